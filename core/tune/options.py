"""Samplers, pruners, presets and the study storage (Optuna imported lazily: the lab runs
without it, and says so)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from core.tune.space import Budget, SearchSpace

ENV_STORAGE = "LSTMLAB_OPTUNA_STORAGE"  # a PostgreSQL/MySQL URL shared by several machines
STORAGE_FILE = "optuna-studies.db"  # the default SQLite file, in the runs folder
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "halving", "none")
SAMPLER_LABELS = {"tpe": "TPE (Bayesian)", "random": "random", "grid": "grid"}
PRUNER_LABELS = {"median": "median", "halving": "successive halving", "none": "none"}


def optuna():
    """The optuna module, or a ValueError the page and the CLI show as it is."""
    try:
        import optuna as _optuna
    except ImportError:
        raise ValueError(
            "hyperparameter search needs Optuna, which is not installed: "
            "pip install -r requirements-tune.txt"
        ) from None
    _optuna.logging.set_verbosity(_optuna.logging.WARNING)
    return _optuna


PRESETS: dict[str, dict] = {
    "quick": {
        "help": "12 trials x 10 epochs over cell, hidden size, layers and learning rate, "
        "2 at once, median pruning: a few minutes on a laptop CPU",
        "budget": Budget(trials=12, epochs=10, parallel=2),
        "space": SearchSpace(),
        "sampler": "tpe",
        "pruner": "median",
    },
    "thorough": {
        "help": "40 trials x 30 epochs, wider sizes, lookback and batch size too, "
        "successive halving stops the weak early",
        "budget": Budget(trials=40, epochs=30, parallel=2),
        "space": SearchSpace(
            cells=("lstm", "gru", "rnn"),
            hidden=(16, 32, 64, 128),
            layers=(1, 3),
            dropout=(0.0, 0.4),
            lr=(3e-4, 3e-2),
            batch=(32, 64, 128),
            lookback=(20, 30, 60),
        ),
        "sampler": "tpe",
        "pruner": "halving",
    },
    "cell grid": {
        "help": "every cell x hidden size (9 trials x 15 epochs), no pruning: "
        "a fair side-by-side of LSTM, GRU and RNN",
        "budget": Budget(trials=9, epochs=15, parallel=2),
        "space": SearchSpace(
            cells=("lstm", "gru", "rnn"), hidden=(16, 32, 64), layers=(1, 1), lr=(3e-3, 3e-3)
        ),
        "sampler": "grid",
        "pruner": "none",
    },
}


def make_sampler(name: str, space: SearchSpace, seed: int = 0):
    o = optuna()
    if name == "tpe":
        return o.samplers.TPESampler(seed=seed, n_startup_trials=min(10, 4 + len(space.varying())))
    if name == "random":
        return o.samplers.RandomSampler(seed=seed)
    if name == "grid":
        return o.samplers.GridSampler(space.grid(), seed=seed)
    raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {name!r}")


def make_pruner(name: str, epochs: int):
    """median: stop a trial whose loss is above the median of earlier trials at the same epoch
    (after 2 finished trials and its first epoch); halving: successive halving from epoch 1."""
    o = optuna()
    if name == "median":
        return o.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    if name == "halving":
        return o.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    if name == "none":
        return o.pruners.NopPruner()
    raise ValueError(f"pruner must be one of {', '.join(PRUNERS)}, got {name!r}")


# -- storage ----------------------------------------------------------------------------------
def storage_url(url: str | None = None) -> str:
    """The study database: ``url``, else $LSTMLAB_OPTUNA_STORAGE, else an SQLite file in
    the runs folder (lasts across server restarts)."""
    url = (url or os.environ.get(ENV_STORAGE, "")).strip()
    if url:
        return url
    from core.runs.store import RunStore

    return f"sqlite:///{RunStore.default().root / STORAGE_FILE}"


def redact(url: str) -> str:
    """A storage URL without its password (messages and snapshots show this one)."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


def open_storage(url: str):
    """An Optuna RDB storage, connected; a ValueError with one sentence when it cannot be."""
    o = optuna()
    shown = redact(url)
    kwargs: dict = {}
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ValueError(
                f"the study database {shown} cannot be created: {e.strerror}"
            ) from None
        kwargs = {"connect_args": {"timeout": 30}}  # several sessions share the file
    elif "://" not in url:
        raise ValueError(
            f"the study storage {shown!r} is not a database URL: use sqlite:///file.db, "
            "postgresql://user@host/db or mysql://user@host/db"
        )
    try:
        return o.storages.RDBStorage(url, engine_kwargs=kwargs, skip_compatibility_check=False)
    except ImportError:
        scheme = url.split("://", 1)[0]
        raise ValueError(
            f"the study storage {shown} cannot be reached: the database driver for "
            f"{scheme!r} URLs is not installed on this server"
        ) from None
    except Exception as e:  # sqlalchemy's OperationalError, ArgumentError...
        why = str(getattr(e, "orig", None) or e).strip().splitlines()[0][:200]
        raise ValueError(f"the study storage {shown} cannot be reached: {why}") from None
