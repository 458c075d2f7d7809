"""The character language model and its two configs.

ids (B, T) -> embedding (B, T, E) -> stacked LSTM/GRU/RNN (B, T, H) -> linear (B, T, V)

``forward`` takes and returns the recurrent state, so a long text can be read in
chunks with the state carried across them (truncated backpropagation through time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from core import limits
from core.config import (
    CELLS,
    DEVICES,
    ConfigBase,
    at_most,
    check,
    fraction,
    int_at_least,
    optimizer_settings,
)
from core.models.recurrent import CELL_CLASSES, init_recurrent

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]  # h (L, B, H) or (h, c)


@dataclass(frozen=True)
class CharModelConfig(ConfigBase):
    """Embedding + recurrent stack + linear head over the character vocabulary."""

    cell: str = "lstm"  # one of CELLS
    vocab_size: int = 65  # V, set from the corpus
    embed_size: int = 32  # E
    hidden_size: int = 128  # H
    num_layers: int = 2  # L
    dropout: float = 0.0  # between stacked layers (needs num_layers > 1)
    forget_bias: float | None = 1.0  # LSTM forget-gate bias at init; None = PyTorch default
    orthogonal_init: bool = True  # orthogonal recurrent weights (W_hh)

    def __post_init__(self) -> None:
        check(self.cell in CELLS, f"cell must be one of {', '.join(CELLS)}, got {self.cell!r}")
        at_most("vocab_size", self.vocab_size, limits.MAX_CHAR_VOCAB)
        at_most("embed_size", self.embed_size, limits.MAX_TEXT_HIDDEN)
        at_most("hidden_size", self.hidden_size, limits.MAX_TEXT_HIDDEN)
        at_most("num_layers", self.num_layers, limits.MAX_TEXT_LAYERS)
        fraction("dropout", self.dropout, 0.0, 0.9)
        check(
            self.dropout == 0 or self.num_layers > 1,
            "dropout acts between stacked layers: set num_layers > 1 or dropout = 0",
        )
        check(
            self.forget_bias is None
            or (isinstance(self.forget_bias, (int, float)) and math.isfinite(self.forget_bias)),
            f"forget_bias must be a finite number or None, got {self.forget_bias!r}",
        )


@dataclass(frozen=True)
class CharTrainConfig(ConfigBase):
    """Truncated BPTT over B parallel streams of the text, seq_len characters per step."""

    epochs: int = 1  # passes over the training text
    max_steps: int | None = None  # stop after this many optimizer steps (None = all epochs)
    batch_size: int = 32  # B parallel streams
    seq_len: int = 64  # T: characters per chunk (the truncation length of BPTT)
    lr: float = 3e-3
    optimizer: str = "adam"  # one of OPTIMIZERS
    weight_decay: float = 0.0
    clip_norm: float | None = 1.0  # gradient clipping by global norm; None = off
    val_fraction: float = 0.1  # the text's last part, never trained on
    log_every: int = 20  # steps between history records (each with validation bpc)
    sample_every_s: float = 3.0  # seconds between live samples (0 = with every record)
    sample_length: int = 200  # characters per live sample
    sample_temperature: float = 0.8
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        int_at_least("epochs", self.epochs, 1)
        check(self.epochs <= 1000, f"epochs must be <= 1000, got {self.epochs}")
        if self.max_steps is not None:
            int_at_least("max_steps", self.max_steps, 1)
        int_at_least("batch_size", self.batch_size, 1)
        int_at_least("seq_len", self.seq_len, 2)
        check(self.seq_len <= 2048, f"seq_len must be <= 2048, got {self.seq_len}")
        check(
            isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and 0 < self.lr <= 10,
            f"lr must be a positive number <= 10, got {self.lr!r}",
        )
        optimizer_settings(self.optimizer, self.weight_decay, self.clip_norm)
        fraction("val_fraction", self.val_fraction, 0.01, 0.5)
        int_at_least("log_every", self.log_every, 1)
        check(
            isinstance(self.sample_every_s, (int, float)) and self.sample_every_s >= 0,
            f"sample_every_s must be >= 0, got {self.sample_every_s!r}",
        )
        int_at_least("sample_length", self.sample_length, 1)
        fraction("sample_temperature", self.sample_temperature, 0.0, 5.0)
        int_at_least("seed", self.seed, 0)
        check(
            self.device in DEVICES,
            f"device must be one of {', '.join(DEVICES)}, got {self.device!r}",
        )


class CharLM(nn.Module):
    """Predicts the next character at every position of its input."""

    def __init__(self, cfg: CharModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embed_size)
        self.rnn = CELL_CLASSES[cfg.cell](
            input_size=cfg.embed_size,
            hidden_size=cfg.hidden_size,
            num_layers=cfg.num_layers,
            dropout=cfg.dropout if cfg.num_layers > 1 else 0.0,
            batch_first=True,
        )
        init_recurrent(self.rnn, cfg.cell, cfg.forget_bias, cfg.orthogonal_init)
        self.head = nn.Linear(cfg.hidden_size, cfg.vocab_size)

    def forward(self, ids: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """ids (B, T) int64, state from the previous chunk -> logits (B, T, V), new state."""
        x = self.embed(ids)  # (B, T, E)
        out, state = self.rnn(x, state)  # (B, T, H); state (L, B, H) or a pair of them
        return self.head(out), state


def detach_state(state: State | None) -> State | None:
    """Cut the graph between chunks (truncated BPTT) but keep the values."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()
