"""What the gate explorer shows: one input window, its gates, and summaries of them.

The gates come from :func:`core.gates.compute.recurrent_gates` on the model's own weights,
so every number drawn is exactly what the network computes (the contract is tested
against the fused ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN``).

Shapes: T steps in the window, F input features, H units, L layers, D directions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch
from torch import nn

from core.gates.compute import GRU_KEYS, LSTM_KEYS, RNN_KEYS, recurrent_gates

if TYPE_CHECKING:  # annotations only: core.forecast.run needs nothing from here
    from core.forecast.run import ForecastRun

SORTS = ("unit index", "activity", "saturation", "memory span")
SIGMOID_KEYS = {"i", "f", "o", "r", "z"}  # values in (0, 1)
KEEP_GATE = {"lstm": "f", "gru": "z"}  # the gate that carries the old state forward
SPAN_CAP = 10_000.0  # memory span reported for a gate that never forgets (mean 1)


def gate_keys(cell: str) -> tuple[str, ...]:
    """The arrays a cell type exposes, in the order they are drawn."""
    keys = {"lstm": LSTM_KEYS, "gru": GRU_KEYS, "rnn": RNN_KEYS}
    if cell not in keys:
        raise ValueError(f"cell must be one of lstm, gru, rnn, got {cell!r}")
    return keys[cell]


@dataclass(frozen=True)
class WindowInput:
    """One input window of a span, as the network saw it and in original units."""

    span: str  # train, val or test
    k: int  # sample number within the span
    x: np.ndarray  # (T, F) float32, scaled: what the network reads
    raw: pd.DataFrame  # (T, F) original units, indexed by the real date (or step) of each row
    target_label: object  # date (or step) of the first predicted row

    @property
    def steps(self) -> pd.Index:
        return self.raw.index


def window_input(run: ForecastRun, span: str, k: int) -> WindowInput:
    """Sample ``k`` of ``span``: rows [start - T, start) of the series feed the network.

    ``x`` is what the network reads (scaled, and relative to the window's last row when
    the run normalizes by diff or ratio); ``raw`` is the same rows of the original data.
    """
    prepared = run.prepared
    w = prepared.span(span)
    if not 0 <= k < len(w):
        raise ValueError(f"window {k} is outside the {span} span (0 to {len(w) - 1})")
    start = int(w.start[k])
    x = w.x[k]  # (T, F)
    t = x.shape[0]
    cols = list(prepared.config.input_columns)
    raw = run.dataset.frame[cols].iloc[start - t : start]  # index[start - T + t], t = 0..T-1
    return WindowInput(span, k, x, raw.astype(np.float64), prepared.index[start])


def rnn_of(model: nn.Module) -> nn.RNNBase:
    """The recurrent stack of a forecaster (or the module itself)."""
    rnn = getattr(model, "rnn", model)
    if not isinstance(rnn, nn.RNNBase):
        raise TypeError(f"no recurrent layer in {type(model).__name__}")
    return rnn


def window_gates(model: nn.Module, x: np.ndarray) -> dict[str, np.ndarray]:
    """Gates of one window: key -> float32 array (L, D, T, H). x: (T, F) scaled."""
    rnn = rnn_of(model)
    device = next(rnn.parameters()).device
    xt = torch.as_tensor(np.asarray(x, np.float32), device=device)[None]  # (1, T, F)
    gates = recurrent_gates(rnn, xt)  # each (L, D, 1, T, H)
    return {k: v[:, :, 0].float().cpu().numpy() for k, v in gates.items()}


# -- summaries: each takes (T, H) arrays of one layer and direction ----------------------------


def saturation(values: np.ndarray, lo: float = 0.1, hi: float = 0.9) -> tuple[float, float]:
    """Shares of values below ``lo`` and above ``hi``: (mean[v < lo], mean[v > hi]).

    For sigmoid gates (0..1) use 0.1 / 0.9; for tanh values (-1..1) use -0.9 / 0.9.
    """
    v = np.asarray(values, np.float64)
    return float(np.mean(v < lo)), float(np.mean(v > hi))


def saturation_bounds(key: str) -> tuple[float, float]:
    """(lo, hi) thresholds: 0.1 / 0.9 for sigmoid gates, -0.9 / 0.9 for tanh values."""
    return (0.1, 0.9) if key in SIGMOID_KEYS else (-0.9, 0.9)


def unit_saturation(gates: dict[str, np.ndarray]) -> np.ndarray:
    """Per unit (H,): share of its sigmoid-gate values (or tanh h) that are saturated."""
    keys = [k for k in gates if k in SIGMOID_KEYS] or ["h"]
    flags = []
    for k in keys:
        lo, hi = saturation_bounds(k)
        flags.append((gates[k] < lo) | (gates[k] > hi))  # (T, H)
    return np.concatenate(flags, axis=0).mean(axis=0)


def memory_span(keep: np.ndarray, cap: float = SPAN_CAP) -> np.ndarray:
    """Steps a unit remembers, per unit (H,): span_u = 1 / (1 - mean_t keep_tu).

    ``keep`` is the LSTM forget gate f (c_t = f c_{t-1} + ...) or the GRU update gate z
    (h_t = z h_{t-1} + ...): with a constant keep value a, an input's weight after k
    steps is a^k, and sum_k a^k = 1 / (1 - a). Capped at ``cap`` when mean keep -> 1.
    """
    mean = np.asarray(keep, np.float64).mean(axis=0)
    with np.errstate(divide="ignore"):
        span = 1.0 / np.maximum(1.0 - mean, 0.0)
    return np.minimum(span, cap)


def activity(h: np.ndarray) -> np.ndarray:
    """Per unit (H,): mean_t |h_tu|, how strongly the unit's output is used."""
    return np.abs(np.asarray(h, np.float64)).mean(axis=0)


def unit_order(gates: dict[str, np.ndarray], cell: str, by: str) -> np.ndarray:
    """Unit indices (H,) sorted by ``by`` (one of SORTS), largest first; stable."""
    h = gates["h"].shape[-1]
    if by == "unit index":
        return np.arange(h)
    if by == "activity":
        score = activity(gates["h"])
    elif by == "saturation":
        score = unit_saturation(gates)
    elif by == "memory span":
        if cell not in KEEP_GATE:
            raise ValueError("a vanilla RNN has no gate to estimate memory span from")
        score = memory_span(gates[KEEP_GATE[cell]])
    else:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {by!r}")
    return np.argsort(-score, kind="stable")


def select(gates: dict[str, np.ndarray], layer: int, direction: int) -> dict[str, np.ndarray]:
    """key -> (T, H) for one layer and direction of (L, D, T, H) arrays."""
    return {k: np.asarray(v[layer, direction], np.float32) for k, v in gates.items()}
