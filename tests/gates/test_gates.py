"""The gate contract: core.gates.compute replays nn.LSTM / nn.GRU / nn.RNN exactly (to 1e-5).

Outputs are compared on every layer's input/output chain through the top layer's
output sequence, plus the final states (h_n, c_n) of every layer and direction.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from core.gates.compute import gru_gates, lstm_gates, recurrent_gates, rnn_states

SIZES = [(1, 1), (3, 7), (5, 20)]  # (B, T)
F, H = 3, 5
ATOL = 1e-5


def _make(cls, layers: int, bidir: bool, seed: int = 0, **kw) -> nn.RNNBase:
    torch.manual_seed(seed)
    return cls(F, H, num_layers=layers, bidirectional=bidir, batch_first=True, **kw).eval()


def _x(b: int, t: int, seed: int = 1) -> torch.Tensor:
    return torch.randn(b, t, F, generator=torch.Generator().manual_seed(seed))


def _top_output(h: torch.Tensor) -> torch.Tensor:
    """(L, D, B, T, H) -> the module's output (B, T, D*H): top layer, directions side by side."""
    return torch.cat([h[-1, d] for d in range(h.shape[1])], dim=-1)


def _final(s: torch.Tensor) -> torch.Tensor:
    """(L, D, B, T, H) -> (L*D, B, H): forward ends at T-1, backward at step 0."""
    n_layers, n_dirs = s.shape[:2]
    return torch.stack(
        [s[k, d, :, -1 if d == 0 else 0] for k in range(n_layers) for d in range(n_dirs)]
    )


@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("bidir", [False, True])
@pytest.mark.parametrize("bt", SIZES)
def test_lstm_gates_equal_nn_lstm(layers, bidir, bt):
    lstm = _make(nn.LSTM, layers, bidir)
    x = _x(*bt)
    out, (h_n, c_n) = lstm(x)
    g = lstm_gates(lstm, x)
    d = 2 if bidir else 1
    assert set(g) == {"i", "f", "g", "o", "c", "h"}
    for v in g.values():
        assert v.shape == (layers, d, bt[0], bt[1], H)
    torch.testing.assert_close(_top_output(g["h"]), out, atol=ATOL, rtol=0)
    torch.testing.assert_close(_final(g["h"]), h_n, atol=ATOL, rtol=0)
    torch.testing.assert_close(_final(g["c"]), c_n, atol=ATOL, rtol=0)
    # the recorded gates obey the cell equations
    assert ((g["i"] > 0) & (g["i"] < 1)).all() and (g["g"].abs() < 1).all()
    torch.testing.assert_close(g["h"], g["o"] * torch.tanh(g["c"]), atol=1e-6, rtol=0)


@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("bidir", [False, True])
@pytest.mark.parametrize("bt", SIZES)
def test_gru_gates_equal_nn_gru(layers, bidir, bt):
    gru = _make(nn.GRU, layers, bidir)
    x = _x(*bt)
    out, h_n = gru(x)
    g = gru_gates(gru, x)
    assert set(g) == {"r", "z", "n", "h"}
    torch.testing.assert_close(_top_output(g["h"]), out, atol=ATOL, rtol=0)
    torch.testing.assert_close(_final(g["h"]), h_n, atol=ATOL, rtol=0)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("bidir", [False, True])
@pytest.mark.parametrize("bt", SIZES)
def test_rnn_states_equal_nn_rnn(nonlinearity, layers, bidir, bt):
    rnn = _make(nn.RNN, layers, bidir, nonlinearity=nonlinearity)
    x = _x(*bt)
    out, h_n = rnn(x)
    g = rnn_states(rnn, x)
    assert set(g) == {"h"}
    torch.testing.assert_close(_top_output(g["h"]), out, atol=ATOL, rtol=0)
    torch.testing.assert_close(_final(g["h"]), h_n, atol=ATOL, rtol=0)
    if nonlinearity == "relu":
        assert (g["h"] >= 0).all()


@pytest.mark.parametrize("bidir", [False, True])
def test_initial_state_argument(bidir):
    """A given (h0, c0) / h0 is used exactly as nn.LSTM / nn.GRU / nn.RNN use it."""
    b, t, layers, d = 4, 9, 2, 2 if bidir else 1
    gen = torch.Generator().manual_seed(3)
    h0 = torch.randn(layers * d, b, H, generator=gen)
    c0 = torch.randn(layers * d, b, H, generator=gen)
    x = _x(b, t)
    lstm = _make(nn.LSTM, layers, bidir)
    out, (h_n, c_n) = lstm(x, (h0, c0))
    g = lstm_gates(lstm, x, state=(h0, c0))
    torch.testing.assert_close(_top_output(g["h"]), out, atol=ATOL, rtol=0)
    torch.testing.assert_close(_final(g["c"]), c_n, atol=ATOL, rtol=0)
    zero = lstm_gates(lstm, x)
    assert (zero["h"] - g["h"]).abs().max() > 1e-3  # the state really changes the result
    for cls, fn in ((nn.GRU, gru_gates), (nn.RNN, rnn_states)):
        m = _make(cls, layers, bidir)
        out, h_n = m(x, h0)
        g = fn(m, x, h0)
        torch.testing.assert_close(_top_output(g["h"]), out, atol=ATOL, rtol=0)
        torch.testing.assert_close(_final(g["h"]), h_n, atol=ATOL, rtol=0)


def test_modules_without_bias_and_dispatch():
    for cls in (nn.LSTM, nn.GRU, nn.RNN):
        m = _make(cls, 2, True, bias=False)
        x = _x(2, 6)
        out = m(x)[0]
        torch.testing.assert_close(_top_output(recurrent_gates(m, x)["h"]), out, atol=ATOL, rtol=0)


def test_exact_errors_for_wrong_modules_and_shapes():
    lstm = _make(nn.LSTM, 1, False)
    with pytest.raises(TypeError, match=r"^expected a torch\.nn\.LSTM, got GRU$"):
        lstm_gates(_make(nn.GRU, 1, False), _x(1, 2))
    with pytest.raises(TypeError, match=r"^expected a torch\.nn\.GRU, got LSTM$"):
        gru_gates(lstm, _x(1, 2))
    with pytest.raises(TypeError, match=r"^expected a torch\.nn\.RNN, got LSTM$"):
        rnn_states(lstm, _x(1, 2))
    with pytest.raises(TypeError, match=r"^no gate recorder for Linear$"):
        recurrent_gates(nn.Linear(3, 3), _x(1, 2))
    with pytest.raises(ValueError, match=r"^the module must use batch_first=True$"):
        lstm_gates(nn.LSTM(F, H), _x(1, 2))
    with pytest.raises(ValueError, match=r"^LSTMs with proj_size > 0 are not supported$"):
        lstm_gates(nn.LSTM(F, H, proj_size=2, batch_first=True), _x(1, 2))
    with pytest.raises(ValueError, match=r"^x must be \(B, T, 3\), got \(2, 5, 4\)$"):
        lstm_gates(lstm, torch.zeros(2, 5, 4))
    with pytest.raises(ValueError, match=r"^x must be \(B, T, 3\), got \(5, 3\)$"):
        lstm_gates(lstm, torch.zeros(5, 3))
