"""core.gates.compute' values against an independent, step-by-step reference.

The reference walks every layer and direction one step at a time with ``nn.GRUCell`` /
``nn.RNNCell`` / ``nn.LSTMCell`` (float64, weights copied from the fused module). It
computes the gates from the documented weight layout (W_ir | W_iz | W_in, or
W_ii | W_if | W_ig | W_io, stacked in ``weight_ih``) and checks them against the cell:
(1 - z) * n + z * h_prev, or o * tanh(f * c_prev + i * g), must equal what the cell
returns, so a reference with two gates mixed up could not pass. core.gates.compute' values are
then compared with it value by value.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from core.gates.compute import gru_gates, lstm_gates, rnn_states

F, H = 3, 5  # input features, hidden units of the test modules
ATOL = 1e-5


def _make(cls, layers: int, bidir: bool, seed: int = 0, **kw) -> nn.RNNBase:
    torch.manual_seed(seed)
    return cls(F, H, num_layers=layers, bidirectional=bidir, batch_first=True, **kw).eval()


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


def _x(b: int, t: int) -> torch.Tensor:
    return torch.randn(b, t, F, generator=torch.Generator().manual_seed(1))


def _assert_equal(got: dict, ref: dict) -> None:
    assert set(got) == set(ref)
    for k in ref:
        assert got[k].shape == ref[k].shape, k
        torch.testing.assert_close(got[k].double(), ref[k], atol=ATOL, rtol=0, msg=k)


@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("bidir", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_gru_gates_equal_a_step_by_step_grucell(layers, bidir, bias):
    gru = _make(nn.GRU, layers, bidir, bias=bias)
    x = _x(3, 9)
    ref = reference(gru, x)
    _assert_equal(gru_gates(gru, x), ref)
    # r and z are far enough apart that a mix-up cannot hide inside the tolerance
    assert (ref["r"] - ref["z"]).abs().max() > 0.1


@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("bidir", [False, True])
def test_lstm_gates_equal_a_step_by_step_lstmcell(layers, bidir):
    lstm = _make(nn.LSTM, layers, bidir)
    x = _x(3, 9)
    _assert_equal(lstm_gates(lstm, x), reference(lstm, x))


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("bidir", [False, True])
def test_rnn_states_equal_a_step_by_step_rnncell(nonlinearity, layers, bidir):
    rnn = _make(nn.RNN, layers, bidir, nonlinearity=nonlinearity)
    x = _x(3, 9)
    _assert_equal(rnn_states(rnn, x), reference(rnn, x))


@pytest.mark.parametrize("cls", [nn.GRU, nn.RNN])
def test_a_given_initial_state_is_used_as_the_cells_use_it(cls):
    module = _make(cls, 2, True)
    x = _x(2, 7)
    h0 = torch.randn(4, 2, H, generator=torch.Generator().manual_seed(5))
    fn = gru_gates if cls is nn.GRU else rnn_states
    _assert_equal(fn(module, x, h0), reference(module, x, h0))
