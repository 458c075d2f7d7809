"""Recompute every gate of a trained recurrent layer from its own weights.

Training uses the fast fused ``nn.LSTM`` / ``nn.GRU`` (cuDNN on a GPU), which
never exposes its gates. For inspection, each layer and direction runs once
through the same fused kernel to get its hidden states h_1..h_T (what the network
really computes); the gates then follow from the equations below for all steps at
once, because each only needs x_t and h_{t-1}. Only the LSTM cell state needs a
loop over time, one fused multiply-add per step. Tested against the fused module
(outputs and final states) to 1e-5, and every gate of every layer, direction and step
against nn.LSTMCell / nn.GRUCell / nn.RNNCell stepped by hand in float64
(tests/test_gates_reference.py). The one gate implementation: the text page's
``core.text.cells.fast_gates`` calls it too.

LSTM (PyTorch gate order i, f, g, o):
    i_t = sigma(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
    f_t = sigma(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
    g_t = tanh (W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
    o_t = sigma(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)
GRU (order r, z, n):
    r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    z_t = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n_t = tanh (W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

Every returned tensor is shaped (L, D, B, T, H). For the backward direction,
index t still means input position t (the state after reading x_T..x_t).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

LSTM_KEYS = ("i", "f", "g", "o", "c", "h")
GRU_KEYS = ("r", "z", "n", "h")
RNN_KEYS = ("h",)


def _weights(module: nn.RNNBase, layer: int, direction: int):
    sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
    w_ih = getattr(module, "weight_ih" + sfx)
    w_hh = getattr(module, "weight_hh" + sfx)
    b_ih = getattr(module, "bias_ih" + sfx, None) if module.bias else None
    b_hh = getattr(module, "bias_hh" + sfx, None) if module.bias else None
    return w_ih, w_hh, b_ih, b_hh


def _check(module: nn.RNNBase, cls: type, x: torch.Tensor) -> None:
    if not isinstance(module, cls):
        raise TypeError(f"expected a torch.nn.{cls.__name__}, got {type(module).__name__}")
    if not module.batch_first:
        raise ValueError("the module must use batch_first=True")
    if getattr(module, "proj_size", 0):
        raise ValueError("LSTMs with proj_size > 0 are not supported")
    if x.dim() != 3 or x.shape[-1] != module.input_size:
        raise ValueError(f"x must be (B, T, {module.input_size}), got {tuple(x.shape)}")


def _hidden_states(
    module: nn.RNNBase, layer_in: torch.Tensor, weights: tuple, h0: tuple[torch.Tensor, ...]
) -> torch.Tensor:
    """h_1..h_T of one layer and direction from the fused kernel: (B, T, H).

    layer_in: (B, T, F_l) already in processing order; h0: (h0,) or (h0, c0), each (B, H).
    """
    one = type(module)(
        layer_in.shape[-1],
        module.hidden_size,
        batch_first=True,
        bias=weights[2] is not None,
        **({"nonlinearity": module.nonlinearity} if isinstance(module, nn.RNN) else {}),
    ).to(layer_in.device)
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    params = {n: w for n, w in zip(names, weights, strict=True) if w is not None}
    hx = tuple(s[None] for s in h0)  # (1, B, H) each
    out, _ = torch.func.functional_call(one, params, (layer_in, hx if len(hx) == 2 else hx[0]))
    return out


def _run(
    module: nn.RNNBase,
    x: torch.Tensor,
    keys: tuple[str, ...],
    gates_fn: Callable | None,
    state: tuple[torch.Tensor, ...] | None,
) -> dict[str, torch.Tensor]:
    """Generic layer/direction loop; ``gates_fn(xw, h_prev, h, w_hh, b_hh, c0)`` -> gates."""
    n_dir = 2 if module.bidirectional else 1
    b, t_len, _ = x.shape
    hsz = module.hidden_size
    out = {k: x.new_empty(module.num_layers, n_dir, b, t_len, hsz) for k in keys}
    n_states = 2 if isinstance(module, nn.LSTM) else 1
    layer_in = x
    for layer in range(module.num_layers):
        for d in range(n_dir):
            w_ih, w_hh, b_ih, b_hh = _weights(module, layer, d)
            k = layer * n_dir + d
            if state is not None:
                h0 = tuple(s[k] for s in state)
            else:
                h0 = tuple(x.new_zeros(b, hsz) for _ in range(n_states))
            seq = layer_in.flip(1) if d == 1 else layer_in  # processing order
            h = _hidden_states(module, seq, (w_ih, w_hh, b_ih, b_hh), h0)  # (B, T, H)
            h_prev = torch.cat([h0[0][:, None], h[:, :-1]], dim=1)  # (B, T, H)
            if gates_fn is not None:
                xw = seq @ w_ih.T  # (B, T, G*H), all steps at once
                if b_ih is not None:
                    xw = xw + b_ih
                gates = gates_fn(xw, h_prev, h, w_hh, b_hh, h0[-1])
            else:
                gates = {"h": h}
            for key, value in gates.items():
                out[key][layer, d] = value.flip(1) if d == 1 else value
        layer_in = torch.cat([out["h"][layer, d] for d in range(n_dir)], dim=-1)  # (B, T, D*H)
    return out


def _lstm_gates(xw, h_prev, h, w_hh, b_hh, c0) -> dict[str, torch.Tensor]:
    pre = xw + h_prev @ w_hh.T  # (B, T, 4H)
    if b_hh is not None:
        pre = pre + b_hh
    i, f, g, o = pre.chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    ig = i * g
    c, cs = c0, []
    for t in range(xw.shape[1]):  # the one recurrence left: c_t = f_t * c_{t-1} + i_t * g_t
        c = torch.addcmul(ig[:, t], f[:, t], c)
        cs.append(c)
    return {"i": i, "f": f, "g": g, "o": o, "c": torch.stack(cs, dim=1), "h": h}


def _gru_gates(xw, h_prev, h, w_hh, b_hh, _h0) -> dict[str, torch.Tensor]:
    hw = h_prev @ w_hh.T  # (B, T, 3H)
    if b_hh is not None:
        hw = hw + b_hh
    x_r, x_z, x_n = xw.chunk(3, dim=-1)
    h_r, h_z, h_n = hw.chunk(3, dim=-1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return {"r": r, "z": z, "n": n, "h": h}


@torch.no_grad()
def lstm_gates(
    lstm: nn.LSTM, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
) -> dict[str, torch.Tensor]:
    """Gates i, f, g, o and states c, h of every layer/direction/step: each (L, D, B, T, H).

    x: (B, T, F) on the module's device; state: optional (h0, c0), each (L*D, B, H).
    """
    _check(lstm, nn.LSTM, x)
    return _run(lstm, x, LSTM_KEYS, _lstm_gates, state)


@torch.no_grad()
def gru_gates(
    gru: nn.GRU, x: torch.Tensor, h0: torch.Tensor | None = None
) -> dict[str, torch.Tensor]:
    """Gates r, z, n and state h of every layer/direction/step: each (L, D, B, T, H)."""
    _check(gru, nn.GRU, x)
    return _run(gru, x, GRU_KEYS, _gru_gates, (h0,) if h0 is not None else None)


@torch.no_grad()
def rnn_states(
    rnn: nn.RNN, x: torch.Tensor, h0: torch.Tensor | None = None
) -> dict[str, torch.Tensor]:
    """Hidden state h of a vanilla RNN: (L, D, B, T, H)."""
    _check(rnn, nn.RNN, x)
    return _run(rnn, x, RNN_KEYS, None, (h0,) if h0 is not None else None)


def recurrent_gates(module: nn.RNNBase, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Dispatch on the module type: LSTM, GRU or vanilla RNN."""
    if isinstance(module, nn.LSTM):
        return lstm_gates(module, x)
    if isinstance(module, nn.GRU):
        return gru_gates(module, x)
    if isinstance(module, nn.RNN):
        return rnn_states(module, x)
    raise TypeError(f"no gate recorder for {type(module).__name__}")
