"""One LSTM step of one unit, computed by hand, and checked against ``nn.LSTMCell``.

The tutorials' equations for unit u (gate order i, f, g, o as in PyTorch):
    f_t = sigma(W_f [h_{t-1}, x_t] + b_f)      i_t = sigma(W_i [h_{t-1}, x_t] + b_i)
    g_t = tanh (W_g [h_{t-1}, x_t] + b_g)      o_t = sigma(W_o [h_{t-1}, x_t] + b_o)
    c_t = f_t * c_{t-1} + i_t * g_t            h_t = o_t * tanh(c_t)
where W_f [h, x] = W_hf h + W_xf x splits into a recurrent and an input part, and
b = b_ih + b_hh (PyTorch keeps two biases; only their sum matters).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

GATES = ("i", "f", "g", "o")


@dataclass(frozen=True)
class UnitWeights:
    """The rows of one unit in each gate block. F inputs, H units of its layer."""

    w_x: np.ndarray  # (4, F) input weights, gates i, f, g, o
    w_h: np.ndarray  # (4, H) recurrent weights
    b: np.ndarray  # (4,) b_ih + b_hh


@dataclass(frozen=True)
class LayerWeights:
    """A whole LSTM layer/direction: what ``nn.LSTMCell`` needs. G = 4H rows."""

    w_ih: np.ndarray  # (4H, F)
    w_hh: np.ndarray  # (4H, H)
    b_ih: np.ndarray  # (4H,)
    b_hh: np.ndarray  # (4H,)

    def unit(self, u: int) -> UnitWeights:
        h = self.w_hh.shape[1]
        rows = [g * h + u for g in range(4)]
        return UnitWeights(self.w_ih[rows], self.w_hh[rows], self.b_ih[rows] + self.b_hh[rows])


def layer_weights(lstm: nn.LSTM, layer: int = 0, direction: int = 0) -> LayerWeights:
    """Weights of one layer and direction of a trained ``nn.LSTM`` as float64 arrays."""
    if not isinstance(lstm, nn.LSTM):
        raise TypeError(f"expected a torch.nn.LSTM, got {type(lstm).__name__}")
    sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")

    def get(name: str) -> np.ndarray:
        p = getattr(lstm, name + sfx, None)
        if p is None:
            if name.startswith("bias"):
                return np.zeros(4 * lstm.hidden_size)
            raise ValueError(f"the LSTM has no layer {layer} direction {direction}")
        return p.detach().cpu().double().numpy()

    return LayerWeights(get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"))


def single_unit(w_x: list[float], w_h: list[float], b: list[float]) -> LayerWeights:
    """A one-input, one-unit LSTM from 4 input weights, 4 recurrent weights and 4 biases."""
    return LayerWeights(
        np.asarray(w_x, np.float64).reshape(4, 1),
        np.asarray(w_h, np.float64).reshape(4, 1),
        np.asarray(b, np.float64).reshape(4),
        np.zeros(4),
    )


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


def step_by_hand(x: np.ndarray, h_prev: np.ndarray, c_prev: float, w: UnitWeights) -> dict:
    """Every intermediate value of one step of one unit, as plain floats.

    x: (F,) this step's input; h_prev: (H,) the whole layer's previous hidden state;
    c_prev: this unit's previous cell state. Returns for each gate q in i, f, g, o:
    ``xpart_q`` = W_xq x, ``hpart_q`` = W_hq h_{t-1}, ``b_q``, ``pre_q`` (their sum)
    and q (after sigma or tanh); then c, tanh_c, h and the inputs.
    """
    x = np.asarray(x, np.float64).reshape(-1)
    h_prev = np.asarray(h_prev, np.float64).reshape(-1)
    out: dict[str, float] = {"c_prev": float(c_prev)}
    for j, q in enumerate(GATES):
        xpart = float(w.w_x[j] @ x)
        hpart = float(w.w_h[j] @ h_prev)
        pre = xpart + hpart + float(w.b[j])
        out.update({f"xpart_{q}": xpart, f"hpart_{q}": hpart, f"b_{q}": float(w.b[j])})
        out[f"pre_{q}"] = pre
        out[q] = math.tanh(pre) if q == "g" else _sigmoid(pre)
    out["c"] = out["f"] * out["c_prev"] + out["i"] * out["g"]
    out["tanh_c"] = math.tanh(out["c"])
    out["h"] = out["o"] * out["tanh_c"]
    return out


@torch.no_grad()
def lstmcell_step(
    weights: LayerWeights, x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The reference: ``nn.LSTMCell`` (float64) with these weights; returns (h, c), each (H,)."""
    h = weights.w_hh.shape[1]
    cell = nn.LSTMCell(weights.w_ih.shape[1], h).double()
    cell.weight_ih.copy_(torch.from_numpy(weights.w_ih))
    cell.weight_hh.copy_(torch.from_numpy(weights.w_hh))
    cell.bias_ih.copy_(torch.from_numpy(weights.b_ih))
    cell.bias_hh.copy_(torch.from_numpy(weights.b_hh))

    def row(a) -> torch.Tensor:
        return torch.as_tensor(np.asarray(a, np.float64).reshape(1, -1))

    h1, c1 = cell(row(x), (row(h_prev), row(c_prev)))
    return h1[0].numpy(), c1[0].numpy()


def check_unit(
    weights: LayerWeights, unit: int, x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray
) -> tuple[dict, float]:
    """By-hand values of ``unit`` and max |difference| of its (h, c) from ``nn.LSTMCell``.

    c_prev: (H,) the layer's previous cell state (the cell needs all of it).
    """
    c_prev = np.asarray(c_prev, np.float64).reshape(-1)
    hand = step_by_hand(x, h_prev, c_prev[unit], weights.unit(unit))
    h_ref, c_ref = lstmcell_step(weights, x, h_prev, c_prev)
    diff = max(abs(hand["h"] - h_ref[unit]), abs(hand["c"] - c_ref[unit]))
    return hand, float(diff)


def step_inputs(
    gates: dict[str, np.ndarray], x: np.ndarray, layer: int, direction: int, t: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x_t, h_{t-1}, c_{t-1}) of a layer/direction at step t of a recorded window.

    gates: key -> (L, D, T, H) from :func:`core.gates.view.window_gates`; x: (T, F).
    Layer 0 reads the window; layer l > 0 reads layer l-1's h of every direction (D*H,).
    The backward direction's "previous" step is t+1. The state before the first step is 0.
    """
    n_dir, t_len = gates["h"].shape[1], gates["h"].shape[2]
    if not 0 <= t < t_len:
        raise ValueError(f"step must be between 0 and {t_len - 1}, got {t}")
    if layer == 0:
        x_t = np.asarray(x[t], np.float64)
    else:
        x_t = np.concatenate([gates["h"][layer - 1, d, t] for d in range(n_dir)]).astype(np.float64)
    prev = t + 1 if direction == 1 else t - 1
    if 0 <= prev < t_len:
        h_prev = gates["h"][layer, direction, prev].astype(np.float64)
        c_prev = gates["c"][layer, direction, prev].astype(np.float64)
    else:
        h_prev = np.zeros(gates["h"].shape[-1])
        c_prev = np.zeros(gates["h"].shape[-1])
    return x_t, h_prev, c_prev
