"""A tiny trained forecaster (with its gate recording) saved in a runs folder."""

from __future__ import annotations

import hashlib
from pathlib import Path

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import synthetic
from core.forecast.run import ForecastRun, build_run, train_run
from core.gates.probe import attach_probe

DATA = synthetic("sine", n=220)


def tiny_run(normalize: str = "level", hidden: int = 8, epochs: int = 3, cell: str = "lstm"):
    """A forecaster on a sine (horizon 3); ``epochs=0``: untrained (random weights)."""
    run = build_run(
        DATA,
        DataConfig(target="value", lookback=8, horizon=3, normalize=normalize),
        ModelConfig(hidden_size=hidden, cell=cell),
        TrainConfig(epochs=max(epochs, 1), batch_size=32),
    )
    if epochs:
        train_run(run, [attach_probe(run)])
    return run


def folder_digest(path: Path) -> dict[str, str]:
    """Every file of a run folder and its hash: to prove an export left it untouched."""
    return {
        str(f.relative_to(path)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(path.rglob("*"))
        if f.is_file()
    }


def save(store_root: Path, run: ForecastRun):
    """(store, run id) of ``run`` saved in a runs folder at ``store_root``."""
    from core.runs.kinds import forecaster as forecaster_runs
    from core.runs.store import RunStore

    store = RunStore(store_root)
    return store, forecaster_runs.save(store, run).info.id
