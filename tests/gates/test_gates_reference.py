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
from gate_reference import reference
from torch import nn

from core.gates.compute import gru_gates, lstm_gates, rnn_states

F, H = 3, 5  # input features, hidden units of the test modules
ATOL = 1e-5


def _make(cls, layers: int, bidir: bool, seed: int = 0, **kw) -> nn.RNNBase:
    torch.manual_seed(seed)
    return cls(F, H, num_layers=layers, bidirectional=bidir, batch_first=True, **kw).eval()


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
