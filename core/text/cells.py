"""Looking for interpretable cells (Karpathy, Johnson & Fei-Fei 2015, "Visualizing and
Understanding Recurrent Networks"): every gate of every unit over a text, and units
ranked by how well they follow simple properties of the text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from core.gates.compute import recurrent_gates
from core.text.corpus import TextError, Vocab
from core.text.model import CharLM, CharModelConfig

MAX_VIEW_CHARS = 5000  # characters replayed step by step for the view and the ranking
MAX_ACTIVATION_VALUES = 20_000_000  # floats one view may keep (80 MB): bounds session memory
GATE_NAMES = {
    "h": "hidden state h",
    "c": "cell state c",
    "i": "input gate i",
    "f": "forget gate f",
    "o": "output gate o",
    "g": "candidate g",
    "r": "reset gate r",
    "z": "update gate z",
    "n": "candidate n",
}
VOWELS = set("aeiouAEIOU")
OPEN_QUOTES, CLOSE_QUOTES = set("\u201c"), set("\u201d")


def gate_keys(cell: str) -> tuple[str, ...]:
    """What can be shown for a cell type, most interpretable first."""
    return {"lstm": ("c", "h", "i", "f", "o", "g"), "gru": ("h", "z", "r", "n"), "rnn": ("h",)}[
        cell
    ]


def max_view_chars(cfg: CharModelConfig) -> int:
    """Characters a view may replay: every gate of every layer, T * L * H * G values in all."""
    per_char = cfg.num_layers * cfg.hidden_size * len(gate_keys(cfg.cell))
    return max(100, min(MAX_VIEW_CHARS, MAX_ACTIVATION_VALUES // per_char))


@torch.no_grad()
def fast_gates(rnn: nn.RNNBase, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """core.gates.compute' gates of one unidirectional sequence: x (1, T, F) -> key -> (L, T, H).

    The one gate implementation (``core.gates.compute.recurrent_gates``), already vectorised over
    time; this only drops its direction and batch axes.
    """
    if rnn.bidirectional or x.shape[0] != 1:
        raise ValueError("fast_gates reads one sequence (batch 1) of a unidirectional network")
    return {k: v[:, 0, 0] for k, v in recurrent_gates(rnn, x).items()}


@torch.no_grad()
def cell_activations(model: CharLM, vocab: Vocab, text: str) -> dict[str, np.ndarray]:
    """Every gate/state of every layer after reading each character: key -> (L, T, H).

    Computed from the trained weights by core.gates.compute (equal to the fused module to ~1e-5);
    position t is the state right after reading text[t].
    """
    if not text:
        raise TextError("the text to colour is empty")
    if len(text) > MAX_VIEW_CHARS:
        raise TextError(
            f"the text has {len(text):,} characters; the view shows at most {MAX_VIEW_CHARS:,}"
        )
    ids = torch.from_numpy(vocab.encode(text)).to(next(model.parameters()).device)[None]
    was_training = model.training
    model.eval()
    gates = fast_gates(model.rnn, model.embed(ids))  # key -> (L, T, H)
    model.train(was_training)
    return {k: v.cpu().numpy() for k, v in gates.items()}


def text_features(text: str) -> dict[str, np.ndarray]:
    """Simple per-character properties, each (T,) float; NaN where one does not apply.

    - inside quotes: 1 from an opening double quote to its closing one (" toggles, or
      the curly pair), else 0
    - position in line: characters since the last newline (0 at a line's first character)
    - vowel (vs consonant): 1 for a vowel, 0 for a consonant, NaN for a non-letter
    - uppercase letter: 1 for an uppercase letter, 0 otherwise
    - space or newline: 1 for whitespace, 0 otherwise
    """
    n = len(text)
    quote, line, vowel = np.zeros(n), np.zeros(n), np.full(n, np.nan)
    inside, col = False, 0
    for t, ch in enumerate(text):
        is_mark = ch == '"' or ch in OPEN_QUOTES or ch in CLOSE_QUOTES
        quote[t] = float(inside or is_mark)  # both quote marks count as inside
        if ch == '"':
            inside = not inside
        elif ch in OPEN_QUOTES or ch in CLOSE_QUOTES:
            inside = ch in OPEN_QUOTES
        line[t] = col
        col = 0 if ch == "\n" else col + 1
        if ch.isalpha():
            vowel[t] = float(ch in VOWELS)
    return {
        "inside quotes": quote,
        "position in line": line,
        "vowel (vs consonant)": vowel,
        "uppercase letter": np.array([float(c.isupper()) for c in text]),
        "space or newline": np.array([float(c.isspace()) for c in text]),
    }


def correlations(acts: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson r of each unit with a feature, over positions where the feature is defined.

    r_u = sum_t (a_tu - mean a_u)(f_t - mean f)
          / sqrt(sum_t (a_tu - mean a_u)^2 * sum_t (f_t - mean f)^2)
    acts: (T, U); feature: (T,) -> (U,), NaN for a constant unit or feature.
    """
    ok = ~np.isnan(feature)
    a = acts[ok].astype(np.float64)
    f = feature[ok]
    a = a - a.mean(axis=0)
    f = f - f.mean() if len(f) else f
    denom = np.sqrt((a**2).sum(axis=0) * (f**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (a * f[:, None]).sum(axis=0) / denom
    r[denom < 1e-12] = np.nan
    return r


def rank_cells(
    activations: dict[str, np.ndarray], text: str, top: int = 5
) -> tuple[pd.DataFrame, list[str]]:
    """The ``top`` units per feature by |r|, over every layer and gate.

    Returns (table with columns feature, layer (1-based), gate, unit, r, positions;
    the names of features that are constant in this text and so cannot be ranked).
    """
    feats = text_features(text)
    rows, constant = [], []
    for name, f in feats.items():
        defined = f[~np.isnan(f)]
        if len(defined) < 3 or np.ptp(defined) == 0:
            constant.append(name)
            continue
        cands = []
        for key, a in activations.items():  # a: (L, T, H)
            for layer in range(a.shape[0]):
                r = correlations(a[layer], f)
                for unit in np.argsort(-np.nan_to_num(np.abs(r), nan=-1))[:top]:
                    if np.isfinite(r[unit]):
                        cands.append((abs(r[unit]), key, layer, int(unit), float(r[unit])))
        for _, key, layer, unit, r in sorted(cands, reverse=True)[:top]:
            rows.append(
                {"feature": name, "layer": layer + 1, "gate": key, "unit": unit, "r": r,
                 "positions": len(defined)}
            )  # fmt: skip
    cols = ["feature", "layer", "gate", "unit", "r", "positions"]
    return pd.DataFrame(rows, columns=cols), constant
