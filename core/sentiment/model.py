"""Embedding + LSTM/GRU sentence classifier, with optional attention pooling.

tokens (B, T) -> embedding (B, T, E) -> packed recurrent stack (L layers, D directions, H)
  without attention: final states of the top layer, both directions -> (B, D*H)
  with attention (the tutorials' LSTMWithAttention, masked):
      s_t = w . h_t + b          (B, T)   one score per word
      a   = softmax over the real words only (padded positions get a_t = 0)
      ctx = sum_t a_t h_t        (B, D*H)
  -> dropout -> linear head -> logits (B, C)

Sequences are packed (``pack_padded_sequence``), so padded positions never enter the
recurrence, the attention, the loss or the gates: a sentence gets the same prediction
alone as inside a padded batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from core import limits
from core.config import ConfigBase, at_most, check, flag, fraction, int_at_least
from core.models.recurrent import init_recurrent
from core.sentiment.text import PAD_ID

CLASSIFIER_CELLS = ("lstm", "gru")


@dataclass(frozen=True)
class ClassifierConfig(ConfigBase):
    """The sentence classifier's shape."""

    vocab_size: int = 10_002  # V, including <pad> and <unk>
    n_classes: int = 2  # C
    cell: str = "lstm"  # one of CLASSIFIER_CELLS
    embed_dim: int = 64  # E
    hidden_size: int = 64  # H
    num_layers: int = 1  # L
    bidirectional: bool = False  # D = 2 when True
    attention: bool = True  # attention pooling (per-word weights) instead of the final state
    dropout: float = 0.2  # on embeddings, between layers and before the head
    forget_bias: float | None = 1.0  # LSTM forget-gate bias at init

    def __post_init__(self) -> None:
        int_at_least("vocab_size", self.vocab_size, 3)
        at_most("vocab_size", self.vocab_size, limits.MAX_WORD_VOCAB)
        int_at_least("n_classes", self.n_classes, 2)
        at_most("n_classes", self.n_classes, limits.MAX_CLASSES)
        check(
            self.cell in CLASSIFIER_CELLS,
            f"cell must be one of {', '.join(CLASSIFIER_CELLS)}, got {self.cell!r}",
        )
        at_most("embed_dim", self.embed_dim, limits.MAX_SENTIMENT_DIM)
        at_most("hidden_size", self.hidden_size, limits.MAX_SENTIMENT_DIM)
        at_most("num_layers", self.num_layers, limits.MAX_SENTIMENT_LAYERS)
        flag("bidirectional", self.bidirectional)
        flag("attention", self.attention)
        fraction("dropout", self.dropout, 0.0, 0.9)

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1


class SentimentClassifier(nn.Module):
    """Embedding + recurrent stack + (attention) pooling + linear head."""

    def __init__(self, cfg: ClassifierConfig):
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.embed_dim, padding_idx=PAD_ID)
        rnn_cls = nn.LSTM if cfg.cell == "lstm" else nn.GRU
        self.rnn = rnn_cls(
            cfg.embed_dim,
            cfg.hidden_size,
            num_layers=cfg.num_layers,
            bidirectional=cfg.bidirectional,
            dropout=cfg.dropout if cfg.num_layers > 1 else 0.0,
            batch_first=True,
        )
        init_recurrent(self.rnn, cfg.cell, cfg.forget_bias, orthogonal=True)
        width = cfg.hidden_size * cfg.directions  # D*H
        self.attention = nn.Linear(width, 1) if cfg.attention else None
        self.dropout = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(width, cfg.n_classes)

    def encode(
        self, tokens: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Pooled sentence vectors (B, D*H) and attention weights (B, T) (None without)."""
        emb = self.dropout(self.embedding(tokens))  # (B, T, E)
        packed = pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        if self.attention is None:
            h_n = state[0] if isinstance(state, tuple) else state  # (L*D, B, H)
            d = self.cfg.directions
            return torch.cat([h_n[-d + i] for i in range(d)], dim=-1), None  # (B, D*H)
        seq, _ = pad_packed_sequence(out, batch_first=True, total_length=tokens.shape[1])
        scores = self.attention(seq).squeeze(-1)  # (B, T)
        t = torch.arange(tokens.shape[1], device=tokens.device)
        mask = t[None, :] < lengths.to(tokens.device)[:, None]  # (B, T) real words
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)  # (B, T)
        return (weights.unsqueeze(-1) * seq).sum(dim=1), weights  # (B, D*H), (B, T)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        # tokens (B, T) int64, lengths (B,) -> logits (B, C)
        pooled, _ = self.encode(tokens, lengths)
        return self.head(self.dropout(pooled))

    @torch.no_grad()
    def predict_proba(
        self, tokens: torch.Tensor, lengths: torch.Tensor, batch_size: int = 1024
    ) -> torch.Tensor:
        """Class probabilities (B, C) on CPU, in eval mode, in batches."""
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        out = []
        for i in range(0, len(tokens), batch_size):
            tok, lens = tokens[i : i + batch_size], lengths[i : i + batch_size]
            tok = tok[:, : int(lens.max())]  # drop columns that are padding in every row
            out.append(torch.softmax(self(tok.to(device), lens.to(device)), dim=-1).cpu())
        self.train(was_training)
        return torch.cat(out) if out else torch.zeros(0, self.cfg.n_classes)
