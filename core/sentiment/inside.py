"""Inside the classifier for one sentence: probability, attention per word, gates per word.

The gates are replayed by ``core.gates.compute`` on the sentence alone (B = 1, T = its exact
length), so no padding ever reaches them; the pooled vector rebuilt from the replayed
hidden states gives the same logits as the packed fused model (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core.gates.compute import recurrent_gates
from core.sentiment.model import SentimentClassifier
from core.sentiment.text import UNK_ID, Vocab, tokenize

# what each gate means for one word, in words a newcomer can read
GATE_NAMES = {
    "i": "input gate (lets the word in)",
    "f": "forget gate (keeps the memory)",
    "g": "candidate (what would be written)",
    "o": "output gate (shows the memory)",
    "c": "cell state (the memory)",
    "h": "hidden state (what the next layer reads)",
    "r": "reset gate (how much old state the candidate sees)",
    "z": "update gate (keeps the old state)",
    "n": "candidate (what would be written)",
}
SIGMOID_GATES = ("i", "f", "o", "r", "z")  # in [0, 1]; the others lie in [-1, 1] (c unbounded)


@dataclass
class Explanation:
    words: list[str]  # T tokens as the model read them
    known: list[bool]  # T: False where the word became <unk>
    classes: list[str]  # C
    probs: np.ndarray  # (C,)
    attention: np.ndarray | None  # (T,) weights summing to 1, or None without attention
    gates: dict[str, np.ndarray]  # key -> (L, D, T, H)
    logits: np.ndarray  # (C,) from the packed model
    logits_from_gates: np.ndarray  # (C,) rebuilt from the replayed hidden states

    @property
    def predicted(self) -> str:
        return self.classes[int(self.probs.argmax())]


@torch.no_grad()
def explain(
    model: SentimentClassifier,
    vocab: Vocab,
    classes: list[str],
    text: str,
    max_len: int = 60,
    lower: bool = True,
) -> Explanation:
    """Everything the page shows about one sentence; raises ValueError for a wordless text."""
    words = tokenize(text, lower)[:max_len]
    if not words:
        raise ValueError("the text has no words to read: type at least one word")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    ids = torch.tensor([vocab.encode(words)], device=device)  # (1, T)
    lengths = torch.tensor([len(words)])
    pooled, weights = model.encode(ids, lengths)  # (1, D*H), (1, T)
    logits = model.head(pooled)[0]  # (C,)
    gates = recurrent_gates(model.rnn, model.embedding(ids))  # key -> (L, D, 1, T, H)
    rebuilt = model.head(_pool_from_states(model, gates["h"][-1, :, 0]))[0]
    model.train(was_training)
    return Explanation(
        words=words,
        known=[i != UNK_ID for i in ids[0].tolist()],
        classes=list(classes),
        probs=torch.softmax(logits, -1).cpu().numpy(),
        attention=weights[0].cpu().numpy() if weights is not None else None,
        gates={k: v[:, :, 0].cpu().numpy() for k, v in gates.items()},
        logits=logits.cpu().numpy(),
        logits_from_gates=rebuilt.cpu().numpy(),
    )


def _pool_from_states(model: SentimentClassifier, h_top: torch.Tensor) -> torch.Tensor:
    """The pooled vector (1, D*H) from the top layer's replayed states h_top (D, T, H)."""
    seq = torch.cat(list(h_top), dim=-1)  # (T, D*H): both directions at each word
    if model.attention is None:
        # forward direction ends at the last word, backward at the first
        last = [h_top[0, -1]] + ([h_top[1, 0]] if h_top.shape[0] == 2 else [])
        return torch.cat(last, dim=-1)[None]
    weights = torch.softmax(model.attention(seq).squeeze(-1), dim=0)  # (T,)
    return (weights[:, None] * seq).sum(0)[None]


def word_table(expl: Explanation, layer: int = -1, direction: int = 0) -> pd.DataFrame:
    """One row per word: its mean gate values over the H units (and its attention)."""
    table = pd.DataFrame(
        {"position": np.arange(1, len(expl.words) + 1), "word": expl.words, "known": expl.known}
    )
    if expl.attention is not None:
        table["attention"] = expl.attention
    for key, values in expl.gates.items():
        table[f"mean {key}"] = values[layer, direction].mean(axis=-1)  # (T, H) -> (T,)
    return table


def gate_highlights(table: pd.DataFrame, n: int = 3) -> dict[str, list[str]]:
    """The words that most open the input gate / most close the forget gate (LSTM), or that
    most let new content in (1 - z high) / most reset (r low) for a GRU."""

    def top(col: str, largest: bool) -> list[str]:
        rows = table.nlargest(n, col) if largest else table.nsmallest(n, col)
        return [f"{w} ({v:.2f})" for w, v in zip(rows["word"], rows[col], strict=True)]

    if "mean i" in table:
        return {
            "open the input gate most": top("mean i", True),
            "close the forget gate most": top("mean f", False),
        }
    return {
        "let new content in most (lowest update gate z)": top("mean z", False),
        "reset the memory most (lowest reset gate r)": top("mean r", False),
    }
