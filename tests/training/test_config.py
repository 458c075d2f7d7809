"""Configs reject bad values with exact, user-facing messages."""

from __future__ import annotations

import pytest

from core.config import DataConfig, ModelConfig, TrainConfig


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (DataConfig, {"lookback": 0}, "lookback must be an integer >= 1, got 0"),
        (DataConfig, {"horizon": 1.5}, "horizon must be an integer >= 1, got 1.5"),
        (
            DataConfig,
            {"val_fraction": 0.6},
            "val_fraction must be a number between 0.0 and 0.5, got 0.6",
        ),
        (
            DataConfig,
            {"val_fraction": 0.45, "test_fraction": 0.45},
            "val_fraction + test_fraction must be below 0.9, got 0.9",
        ),
        (
            DataConfig,
            {"scaler": "robust"},
            "scaler must be one of standard, minmax, none, got 'robust'",
        ),
        (DataConfig, {"features": ("a", "a")}, "features must not repeat a column"),
        (DataConfig, {"target": ""}, "target must be a column name"),
        (
            ModelConfig,
            {"cell": "transformer"},
            "cell must be one of lstm, gru, rnn, got 'transformer'",
        ),
        (ModelConfig, {"hidden_size": 0}, "hidden_size must be an integer >= 1, got 0"),
        (ModelConfig, {"num_layers": 9}, "num_layers must be <= 8, got 9"),
        (
            ModelConfig,
            {"dropout": 0.3},
            "dropout acts between stacked layers: set num_layers > 1 or dropout = 0",
        ),
        (ModelConfig, {"bidirectional": "yes"}, "bidirectional must be True or False, got 'yes'"),
        (
            ModelConfig,
            {"forget_bias": float("nan")},
            "forget_bias must be a finite number or None, got nan",
        ),
        (TrainConfig, {"epochs": 0}, "epochs must be an integer >= 1, got 0"),
        (TrainConfig, {"lr": -1.0}, "lr must be a positive number, got -1.0"),
        (TrainConfig, {"lr": float("inf")}, "lr must be a positive number, got inf"),
        (
            TrainConfig,
            {"optimizer": "rmsprop"},
            "optimizer must be one of adam, adamw, sgd, got 'rmsprop'",
        ),
        (TrainConfig, {"clip_norm": 0}, "clip_norm must be a positive number or None, got 0"),
        (TrainConfig, {"batch_size": True}, "batch_size must be an integer >= 1, got True"),
        (TrainConfig, {"device": "tpu"}, "device must be one of auto, cpu, cuda, mps, got 'tpu'"),
        (
            TrainConfig,
            {"scheduler_factor": 1.0},
            "scheduler_factor must be between 0 and 1 (exclusive), got 1.0",
        ),
    ],
)
def test_bad_values_are_refused_with_exact_messages(cls, kwargs, message):
    with pytest.raises(ValueError) as err:
        cls(**kwargs)
    assert str(err.value) == message


def test_configs_are_frozen_and_round_trip():
    cfg = ModelConfig(cell="gru", hidden_size=7, num_layers=2, dropout=0.1, bidirectional=True)
    with pytest.raises(AttributeError):
        cfg.hidden_size = 8  # type: ignore[misc]
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    data = DataConfig(target="Close", features=("Open", "Close"))
    assert DataConfig.from_dict(data.to_dict()) == data
    assert data.input_columns == ("Open", "Close")
    assert DataConfig(target="Close").input_columns == ("Close",)


def test_from_dict_names_unknown_fields():
    with pytest.raises(ValueError, match="unknown TrainConfig field"):
        TrainConfig.from_dict({"epochs": 3, "learning_rate": 0.1})


def test_replace_validates_again():
    with pytest.raises(ValueError, match="hidden_size"):
        ModelConfig().replace(hidden_size=-3)


def test_the_shared_checks_say_exactly_what_is_wrong():
    """One set of checks serves every config (forecaster, text, sentiment, stock)."""
    from core import config
    from core.forecast.stock_model import StockConfig
    from core.sentiment.model import ClassifierConfig
    from core.sentiment.train import TextConfig
    from core.text.model import CharModelConfig

    cases = [
        (lambda: config.check(False, "why"), "why"),
        (lambda: config.int_at_least("n", 0.5, 1), "n must be an integer >= 1, got 0.5"),
        (lambda: config.at_most("n", 9, 8), "n must be <= 8, got 9"),
        (lambda: config.fraction("f", True, 0, 1), "f must be a number between 0 and 1, got True"),
        (lambda: config.positive("lr", 0), "lr must be a positive number, got 0"),
        (lambda: config.flag("lower", 1), "lower must be True or False, got 1"),
        (lambda: ClassifierConfig(attention=1), "attention must be True or False, got 1"),
        (lambda: TextConfig(lower="no"), "lower must be True or False, got 'no'"),
        (
            lambda: CharModelConfig(dropout=1.0),
            "dropout must be a number between 0.0 and 0.9, got 1.0",
        ),
        (lambda: StockConfig(horizon=31), "horizon must be 1 to 30 trading days, got 31"),
    ]
    for make, message in cases:
        with pytest.raises(ValueError) as err:
            make()
        assert str(err.value) == message
    assert config.is_positive(2.5) and not config.is_positive(float("nan"))
