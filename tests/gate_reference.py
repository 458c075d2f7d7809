"""A step-by-step reference for recurrent gates, independent of core.gates: it steps
nn.LSTMCell / nn.GRUCell / nn.RNNCell (built from a module's own weights) one time step at a
time and recomputes each gate from PyTorch's documented weight layout, checked against the
cell's own output at every step. Shared by the gate tests and the text model's tests."""

from __future__ import annotations

import torch
from torch import nn


def _cell(module: nn.RNNBase, layer: int, d: int):
    """A float64 nn.GRUCell / nn.RNNCell / nn.LSTMCell holding one layer and direction."""
    sfx = f"_l{layer}" + ("_reverse" if d else "")
    w_ih = getattr(module, "weight_ih" + sfx).double()
    H = module.hidden_size
    if isinstance(module, nn.LSTM):
        cell = nn.LSTMCell(w_ih.shape[1], H, bias=module.bias)
    elif isinstance(module, nn.GRU):
        cell = nn.GRUCell(w_ih.shape[1], H, bias=module.bias)
    else:
        cell = nn.RNNCell(w_ih.shape[1], H, bias=module.bias, nonlinearity=module.nonlinearity)
    cell = cell.double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if module.bias else ()):
            getattr(cell, name).copy_(getattr(module, name + sfx).double())
    return cell


def _pre(cell, x: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    xw = x @ cell.weight_ih.T + (cell.bias_ih if cell.bias else 0)
    hw = h @ cell.weight_hh.T + (cell.bias_hh if cell.bias else 0)
    return xw, hw


def _gru_step(cell: nn.GRUCell, x: torch.Tensor, h: torch.Tensor) -> dict[str, torch.Tensor]:
    """r, z, n, h of one step from the cell's weights, checked against the cell itself."""
    H = cell.hidden_size
    xw, hw = _pre(cell, x, h)
    r = torch.sigmoid(xw[:, :H] + hw[:, :H])
    z = torch.sigmoid(xw[:, H : 2 * H] + hw[:, H : 2 * H])
    n = torch.tanh(xw[:, 2 * H :] + r * hw[:, 2 * H :])
    h_new = cell(x, h)
    torch.testing.assert_close((1 - z) * n + z * h, h_new, atol=1e-12, rtol=0)
    return {"r": r, "z": z, "n": n, "h": h_new}


def _lstm_step(cell: nn.LSTMCell, x, h, c) -> dict[str, torch.Tensor]:
    """i, f, g, o, c, h of one step from the cell's weights, checked against the cell."""
    xw, hw = _pre(cell, x, h)
    i, f, g, o = (xw + hw).chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    h_new, c_new = cell(x, (h, c))
    torch.testing.assert_close(f * c + i * g, c_new, atol=1e-12, rtol=0)
    torch.testing.assert_close(o * torch.tanh(c_new), h_new, atol=1e-12, rtol=0)
    return {"i": i, "f": f, "g": g, "o": o, "c": c_new, "h": h_new}


@torch.no_grad()
def reference(module: nn.RNNBase, x: torch.Tensor, h0: torch.Tensor | None = None):
    """key -> (L, D, B, T, H), float64, one step at a time; t is the input position.

    The LSTM starts from zero states; h0 (L*D, B, H) is for the GRU and the RNN.
    """
    n_dir = 2 if module.bidirectional else 1
    b, t_len, _ = x.shape
    H = module.hidden_size
    keys = {nn.LSTM: "ifgoch", nn.GRU: "rznh", nn.RNN: "h"}[type(module)]
    out = {k: torch.zeros(module.num_layers, n_dir, b, t_len, H, dtype=torch.float64) for k in keys}
    layer_in = x.double()
    for layer in range(module.num_layers):
        for d in range(n_dir):
            cell = _cell(module, layer, d)
            h = h0[layer * n_dir + d].double() if h0 is not None else torch.zeros(b, H).double()
            c = torch.zeros(b, H).double()
            for t in reversed(range(t_len)) if d else range(t_len):
                if isinstance(module, nn.LSTM):
                    step = _lstm_step(cell, layer_in[:, t], h, c)
                    c = step["c"]
                elif isinstance(module, nn.GRU):
                    step = _gru_step(cell, layer_in[:, t], h)
                else:
                    step = {"h": cell(layer_in[:, t], h)}
                for k, v in step.items():
                    out[k][layer, d, :, t] = v
                h = step["h"]
        layer_in = torch.cat([out["h"][layer, d] for d in range(n_dir)], dim=-1)
    return out
