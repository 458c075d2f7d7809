"""core.models.recurrent.parameter_count equals the parameters of the built model."""

from __future__ import annotations

import pytest

from core.config import ModelConfig
from core.models.recurrent import RecurrentForecaster, count_parameters, parameter_count


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_parameter_count_matches_the_built_model(cell, layers, bidirectional):
    cfg = ModelConfig(
        cell=cell,
        input_size=3,
        hidden_size=7,
        num_layers=layers,
        bidirectional=bidirectional,
        horizon=5,
    )
    assert parameter_count(cfg) == count_parameters(RecurrentForecaster(cfg))


def test_parameter_count_by_hand():
    # one LSTM layer, F=1, H=2, K=1: 4*2*(1 + 2 + 2) = 40 in the stack, 2 + 1 in the head
    assert parameter_count(ModelConfig(input_size=1, hidden_size=2, horizon=1)) == 43
