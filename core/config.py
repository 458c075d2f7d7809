"""Frozen, validated configs for data, model and training.

Every config validates itself on construction and raises ``ValueError`` with an
exact, user-facing message; the UI shows that message as it is.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from core import limits

CELLS = ("lstm", "gru", "rnn")
OPTIMIZERS = ("adam", "adamw", "sgd")
SCALERS = ("standard", "minmax", "none")
NORMALIZE = ("level", "diff", "ratio")
DEVICES = ("auto", "cpu", "cuda", "mps")


# The checks every config uses (here, in core.text.model and in core.sentiment.model): each
# raises ValueError with the exact message the UI shows.


def check(cond: bool, message: str) -> None:
    """Raise ``ValueError(message)`` unless ``cond``."""
    if not cond:
        raise ValueError(message)


def int_at_least(name: str, value: Any, low: int) -> None:
    """An integer (not a bool) >= ``low``."""
    check(
        isinstance(value, int) and not isinstance(value, bool) and value >= low,
        f"{name} must be an integer >= {low}, got {value!r}",
    )


def at_most(name: str, value: Any, high: int) -> None:
    """An integer in [1, high] (the highs live in ``core.limits``)."""
    int_at_least(name, value, 1)
    check(value <= high, f"{name} must be <= {high}, got {value}")


def fraction(name: str, value: Any, low: float, high: float) -> None:
    """A number (not a bool) in [low, high]."""
    check(
        isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high,
        f"{name} must be a number between {low} and {high}, got {value!r}",
    )


def is_positive(value: Any) -> bool:
    """A finite number (not a bool) > 0."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def optimizer_settings(optimizer: Any, weight_decay: Any, clip_norm: Any) -> None:
    """The optimizer settings every trainer shares (forecaster, text model): same checks,
    same messages."""
    check(
        optimizer in OPTIMIZERS,
        f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}",
    )
    check(
        isinstance(weight_decay, (int, float)) and weight_decay >= 0,
        f"weight_decay must be >= 0, got {weight_decay!r}",
    )
    check(
        clip_norm is None or is_positive(clip_norm),
        f"clip_norm must be a positive number or None, got {clip_norm!r}",
    )


def positive(name: str, value: Any) -> None:
    """A finite number > 0."""
    check(is_positive(value), f"{name} must be a positive number, got {value!r}")


def flag(name: str, value: Any) -> None:
    """True or False (not 0 or 1)."""
    check(isinstance(value, bool), f"{name} must be True or False, got {value!r}")


class ConfigBase:
    """Mixin of every config: dict round trip for checkpoints and JSON."""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)  # type: ignore[arg-type]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]):
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(d) - names)
        check(not unknown, f"unknown {cls.__name__} field(s): {', '.join(unknown)}")
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        return cls(**kwargs)

    def replace(self, **changes):
        return replace(self, **changes)  # type: ignore[type-var]


@dataclass(frozen=True)
class DataConfig(ConfigBase):
    """How a series becomes supervised windows."""

    target: str = "Close"  # column to forecast
    features: tuple[str, ...] = ()  # input columns; empty means (target,)
    lookback: int = 30  # T: input steps per window
    horizon: int = 1  # K: steps predicted after each window
    val_fraction: float = 0.15  # chronological share for validation
    test_fraction: float = 0.15  # chronological share for test (the latest part)
    scaler: str = "standard"  # fitted on the training span only
    # level: values as they are (scaled); diff: each window minus its last value; ratio: each
    # window divided by its last value, minus 1. The relative modes predict a change from the
    # last observed value, so they still work when test prices leave the training range.
    normalize: str = "level"

    def __post_init__(self) -> None:
        check(isinstance(self.target, str) and self.target != "", "target must be a column name")
        check(
            isinstance(self.features, tuple) and all(isinstance(c, str) for c in self.features),
            "features must be a tuple of column names",
        )
        check(len(set(self.features)) == len(self.features), "features must not repeat a column")
        int_at_least("lookback", self.lookback, 1)
        int_at_least("horizon", self.horizon, 1)
        fraction("val_fraction", self.val_fraction, 0.0, 0.5)
        fraction("test_fraction", self.test_fraction, 0.0, 0.5)
        check(
            self.val_fraction + self.test_fraction < 0.9,
            "val_fraction + test_fraction must be below 0.9, "
            f"got {self.val_fraction + self.test_fraction:g}",
        )
        check(
            self.normalize in NORMALIZE,
            f"normalize must be one of {', '.join(NORMALIZE)}, got {self.normalize!r}",
        )
        check(
            self.scaler in SCALERS,
            f"scaler must be one of {', '.join(SCALERS)}, got {self.scaler!r}",
        )

    @property
    def input_columns(self) -> tuple[str, ...]:
        return self.features or (self.target,)


@dataclass(frozen=True)
class ModelConfig(ConfigBase):
    """A recurrent forecaster: recurrent stack + linear head to K outputs."""

    cell: str = "lstm"  # one of CELLS
    input_size: int = 1  # F
    hidden_size: int = 32  # H
    num_layers: int = 1  # L
    bidirectional: bool = False  # D = 2 when True
    dropout: float = 0.0  # between stacked layers (needs num_layers > 1)
    horizon: int = 1  # K
    forget_bias: float | None = 1.0  # LSTM forget-gate bias at init; None = PyTorch default
    orthogonal_init: bool = True  # orthogonal recurrent weights (W_hh)

    def __post_init__(self) -> None:
        check(self.cell in CELLS, f"cell must be one of {', '.join(CELLS)}, got {self.cell!r}")
        at_most("input_size", self.input_size, limits.MAX_INPUT_SIZE)
        at_most("hidden_size", self.hidden_size, limits.MAX_HIDDEN)
        at_most("num_layers", self.num_layers, limits.MAX_LAYERS)
        flag("bidirectional", self.bidirectional)
        fraction("dropout", self.dropout, 0.0, 0.9)
        check(
            self.dropout == 0 or self.num_layers > 1,
            "dropout acts between stacked layers: set num_layers > 1 or dropout = 0",
        )
        at_most("horizon", self.horizon, limits.MAX_HORIZON)
        check(
            self.forget_bias is None
            or (isinstance(self.forget_bias, (int, float)) and math.isfinite(self.forget_bias)),
            f"forget_bias must be a finite number or None, got {self.forget_bias!r}",
        )

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1


@dataclass(frozen=True)
class TrainConfig(ConfigBase):
    """Optimisation settings; every run with the same seed repeats exactly on CPU."""

    epochs: int = 20
    batch_size: int = 64
    lr: float = 3e-3
    optimizer: str = "adam"  # one of OPTIMIZERS
    weight_decay: float = 0.0
    clip_norm: float | None = 1.0  # gradient clipping by global norm; None = off
    scheduler: bool = False  # ReduceLROnPlateau on validation loss
    scheduler_patience: int = 3
    scheduler_factor: float = 0.5
    early_stopping: bool = False  # stop when validation loss stalls, restore best weights
    patience: int = 5
    min_delta: float = 0.0
    seed: int = 0
    device: str = "auto"  # auto = cuda, then mps, then cpu

    def __post_init__(self) -> None:
        int_at_least("epochs", self.epochs, 1)
        check(self.epochs <= 10_000, f"epochs must be <= 10000, got {self.epochs}")
        int_at_least("batch_size", self.batch_size, 1)
        positive("lr", self.lr)
        check(self.lr <= 10, f"lr must be <= 10, got {self.lr!r}")
        optimizer_settings(self.optimizer, self.weight_decay, self.clip_norm)
        int_at_least("scheduler_patience", self.scheduler_patience, 0)
        check(
            isinstance(self.scheduler_factor, (int, float)) and 0 < self.scheduler_factor < 1,
            f"scheduler_factor must be between 0 and 1 (exclusive), got {self.scheduler_factor!r}",
        )
        int_at_least("patience", self.patience, 1)
        check(
            isinstance(self.min_delta, (int, float)) and self.min_delta >= 0,
            f"min_delta must be >= 0, got {self.min_delta!r}",
        )
        int_at_least("seed", self.seed, 0)
        check(
            self.device in DEVICES,
            f"device must be one of {', '.join(DEVICES)}, got {self.device!r}",
        )
