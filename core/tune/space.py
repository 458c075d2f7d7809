"""What a study searches and how much it may spend: the search space, the budget, and the
checks that refuse a study that cannot run (each a ``ValueError`` with the sentence the user
reads).

A space lists choices (cells, hidden sizes, batch sizes, lookbacks, window modes) and
ranges (layers, dropout, learning rate on a log scale). Only the settings that vary become
Optuna parameters; a fixed one is simply applied to every trial.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from core.config import CELLS, NORMALIZE, DataConfig, ModelConfig, TrainConfig, check
from core.data import Dataset, prepare

MIN_TIME_S = 5.0  # a time limit below this cannot finish one trial's first epoch here
GRID_LR_POINTS = 3  # a learning-rate range becomes this many log-spaced grid points


@dataclass(frozen=True)
class SearchSpace:
    """The settings a study may try (choices are tuples, ranges are (low, high))."""

    cells: tuple[str, ...] = ("lstm", "gru")
    hidden: tuple[int, ...] = (16, 32, 64)
    layers: tuple[int, int] = (1, 2)
    dropout: tuple[float, float] = (0.0, 0.3)  # applies only to trials with 2+ layers
    lr: tuple[float, float] = (1e-3, 1e-2)  # sampled on a log scale
    batch: tuple[int, ...] = (32, 64)
    lookback: tuple[int, ...] = (30,)
    normalize: tuple[str, ...] = ("level",)

    def __post_init__(self) -> None:
        for what, values in (
            ("cell", self.cells),
            ("hidden size", self.hidden),
            ("batch size", self.batch),
            ("lookback", self.lookback),
            ("window mode", self.normalize),
        ):
            check(len(values) > 0, f"the search space is empty: pick at least one {what}")
        check(all(c in CELLS for c in self.cells), f"cells must be among {', '.join(CELLS)}")
        check(
            all(n in NORMALIZE for n in self.normalize),
            f"window modes must be among {', '.join(NORMALIZE)}",
        )
        for name, (lo, hi) in (("layers", self.layers), ("dropout", self.dropout),
                               ("learning rate", self.lr)):  # fmt: skip
            check(lo <= hi, f"the {name} range is empty: its low end {lo:g} is above {hi:g}")
        # every extreme must make a valid config: the configs' own messages
        for m in (self.layers[0], self.layers[1]):
            for h in (min(self.hidden), max(self.hidden)):
                ModelConfig(hidden_size=int(h), num_layers=int(m))
        ModelConfig(num_layers=2, dropout=float(self.dropout[1]))
        for lr in self.lr:
            TrainConfig(lr=float(lr))
        for b in self.batch:
            TrainConfig(batch_size=int(b))
        for t in self.lookback:
            DataConfig(lookback=int(t))
        check(
            bool(self.varying()),
            "the search space has a single point (every setting is fixed): give a setting a "
            "second choice or a wider range",
        )

    # -- which settings vary ----------------------------------------------------------------
    def varying(self) -> list[str]:
        """Names of the Optuna parameters: the settings with more than one value."""
        out = []
        if len(set(self.cells)) > 1:
            out.append("cell")
        if len(set(self.hidden)) > 1:
            out.append("hidden_size")
        if self.layers[0] < self.layers[1]:
            out.append("num_layers")
        if self.dropout[0] < self.dropout[1] and self.layers[1] > 1:
            out.append("dropout")
        if self.lr[0] < self.lr[1]:
            out.append("lr")
        if len(set(self.batch)) > 1:
            out.append("batch_size")
        if len(set(self.lookback)) > 1:
            out.append("lookback")
        if len(set(self.normalize)) > 1:
            out.append("normalize")
        return out

    def grid(self) -> dict[str, list]:
        """The space as the finite grid of a GridSampler (ranges become a few points)."""
        g: dict[str, list] = {
            "cell": list(dict.fromkeys(self.cells)),
            "hidden_size": sorted(set(self.hidden)),
            "num_layers": list(range(self.layers[0], self.layers[1] + 1)),
            "dropout": sorted({float(self.dropout[0]), float(self.dropout[1])}),
            "lr": [float(v) for v in np.geomspace(self.lr[0], self.lr[1], GRID_LR_POINTS)],
            "batch_size": sorted(set(self.batch)),
            "lookback": sorted(set(self.lookback)),
            "normalize": list(dict.fromkeys(self.normalize)),
        }
        return {k: v for k, v in g.items() if k in self.varying()}

    def grid_size(self) -> int:
        return math.prod(len(v) for v in self.grid().values())

    def suggest(self, trial) -> dict:
        """Ask an Optuna trial for every varying setting; returns all settings of the trial."""
        vary = set(self.varying())
        p = self.fixed()
        if "cell" in vary:
            p["cell"] = trial.suggest_categorical("cell", list(dict.fromkeys(self.cells)))
        if "hidden_size" in vary:
            p["hidden_size"] = trial.suggest_categorical("hidden_size", sorted(set(self.hidden)))
        if "num_layers" in vary:
            p["num_layers"] = trial.suggest_int("num_layers", *map(int, self.layers))
        if "dropout" in vary:  # always asked (a grid needs a fixed set of names)
            p["dropout"] = trial.suggest_float("dropout", *map(float, self.dropout))
        if "lr" in vary:
            p["lr"] = trial.suggest_float("lr", *map(float, self.lr), log=True)
        if "batch_size" in vary:
            p["batch_size"] = trial.suggest_categorical("batch_size", sorted(set(self.batch)))
        if "lookback" in vary:
            p["lookback"] = trial.suggest_categorical("lookback", sorted(set(self.lookback)))
        if "normalize" in vary:
            p["normalize"] = trial.suggest_categorical(
                "normalize", list(dict.fromkeys(self.normalize))
            )
        if p["num_layers"] < 2:
            p["dropout"] = 0.0  # dropout acts between stacked layers only
        return p

    def fixed(self) -> dict:
        """Every setting at its single (or first) value."""
        return {
            "cell": self.cells[0],
            "hidden_size": int(self.hidden[0]),
            "num_layers": int(self.layers[0]),
            "dropout": float(self.dropout[0]),
            "lr": float(self.lr[0]),
            "batch_size": int(self.batch[0]),
            "lookback": int(self.lookback[0]),
            "normalize": self.normalize[0],
        }

    def to_dict(self) -> dict:
        return {k: list(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> SearchSpace:
        return cls(**{k: tuple(v) for k, v in d.items()})


@dataclass(frozen=True)
class Budget:
    """How much a study may spend: trials, epochs per trial, a time limit, trials at once."""

    trials: int = 12
    epochs: int = 10
    time_limit_s: float | None = None  # None: no limit
    parallel: int = 1  # trials at once (the job manager's cap still applies)

    def __post_init__(self) -> None:
        check(
            isinstance(self.trials, int) and self.trials >= 1,
            f"the budget cannot run one trial: trials must be at least 1, got {self.trials!r}",
        )
        check(
            isinstance(self.epochs, int) and self.epochs >= 1,
            f"the budget cannot run one trial: epochs per trial must be at least 1, "
            f"got {self.epochs!r}",
        )
        check(self.epochs <= 10_000, f"epochs per trial must be <= 10000, got {self.epochs}")
        check(
            self.time_limit_s is None or self.time_limit_s >= MIN_TIME_S,
            f"the budget cannot run one trial: a time limit of {self.time_limit_s!r} s is "
            f"too short (allow at least {MIN_TIME_S:g} s, or no limit)",
        )
        check(
            isinstance(self.parallel, int) and 1 <= self.parallel <= 16,
            f"trials at once must be between 1 and 16, got {self.parallel!r}",
        )

    def to_dict(self) -> dict:
        return asdict(self)


def trial_configs(
    params: dict, base: DataConfig, epochs: int, seed: int = 0
) -> tuple[DataConfig, ModelConfig, TrainConfig]:
    """The three configs of one trial. Early stopping with patience = epochs never stops a
    trial early; it restores the best epoch's weights at the end, so the model a trial
    returns is the one its value (the lowest validation loss) measured."""
    data_cfg = base.replace(lookback=int(params["lookback"]), normalize=params["normalize"])
    layers = int(params["num_layers"])
    model_cfg = ModelConfig(
        cell=params["cell"],
        hidden_size=int(params["hidden_size"]),
        num_layers=layers,
        dropout=float(params["dropout"]) if layers > 1 else 0.0,
    )
    train_cfg = TrainConfig(
        epochs=int(epochs),
        batch_size=int(params["batch_size"]),
        lr=float(params["lr"]),
        early_stopping=True,
        patience=int(epochs),
        seed=seed,
    )
    return data_cfg, model_cfg, train_cfg


def check_data(dataset: Dataset, base: DataConfig, space: SearchSpace) -> None:
    """Refuse data too short for the largest lookback (in every window mode of the space)."""
    t = max(space.lookback)
    for mode in dict.fromkeys(space.normalize):
        try:
            prepare(dataset.frame, base.replace(lookback=int(t), normalize=mode))
        except ValueError as e:
            raise ValueError(
                f"the data cannot serve the largest lookback of the search space (T={t}, "
                f"{mode} windows): {e}"
            ) from None
