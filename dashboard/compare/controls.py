"""Widget groups of the comparison page: they return settings, they never train."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import streamlit as st

from core.compare.datasets import dataset_task
from core.compare.longmemory import MAX_LAG, TASK_TITLES, TaskData, make_task
from core.compare.specs import (
    ARCHITECTURES,
    CELL_LABELS,
    DEFAULT_ARCHS,
    ArchSpec,
    depth_specs,
    with_orthogonal,
)
from core.compare.sweep import MAX_SWEEP_LAGS
from core.config import DataConfig, TrainConfig
from core.data import SYNTHETIC, Dataset, synthetic
from dashboard.common.urlstate import ctl

SIDE_BY_SIDE = "Side by side"
DEPTH = "Deeper stack, with and without clipping"
SWEEP = "Lag sweep"
SWEEP_LAGS = [2, 5, 10, 15, 20, 30, 40, 60, 80, 100]
DATASET = "A dataset of the lab"
SYNTH_PREFIX = "synthetic: "


@dataclass(frozen=True)
class CompareSettings:
    """Everything a comparison job needs; the task is built inside the job."""

    make: Callable[[], TaskData]
    specs: list[ArchSpec]
    hidden_size: int
    train_cfg: TrainConfig
    name: str  # the job's name, for the sidebar
    experiment: str
    sweep: dict | None = None  # lag sweep: task_name, lags, n_train


def _sweep_settings(key: str) -> tuple[dict, str]:
    tasks = {TASK_TITLES[t]: t for t in TASK_TITLES}
    c1, c2, c3 = st.columns([2, 3, 2])
    title = c1.selectbox("Task", list(tasks), **ctl(f"{key}-sweep-task"))
    lags = c2.multiselect(
        "Lags", SWEEP_LAGS, [5, 10, 20, 30], max_selections=MAX_SWEEP_LAGS, **ctl(f"{key}-lags")
    )
    n = c3.select_slider("Training sequences", [1024, 2048, 4096, 8192], 4096, **ctl(f"{key}-sn"))
    sweep = {"task_name": tasks[title], "lags": sorted(lags), "n_train": n}
    return sweep, f"{title}, lags {', '.join(map(str, sorted(lags)))}"


def _task_settings(datasets: dict[str, Dataset], key: str) -> tuple[Callable[[], TaskData], str]:
    tasks = {TASK_TITLES[t]: t for t in TASK_TITLES} | {DATASET: ""}
    c1, c2, c3 = st.columns([2, 2, 2])
    title = c1.selectbox("Task", list(tasks), **ctl(f"{key}-task"))
    if title != DATASET:
        lag = c2.slider(
            "Lag: steps to remember",
            1,
            min(MAX_LAG, 100),
            20,
            **ctl(f"{key}-lag"),
            help="The difficulty. As the lag grows, the plain RNN fails first.",
        )
        n = c3.select_slider(
            "Training sequences", [1024, 2048, 4096, 8192], 4096, **ctl(f"{key}-n")
        )
        name = tasks[title]
        return partial(make_task, name, lag, n_train=n, n_val=1024, seed=0), f"{title}, lag {lag}"
    sources = list(datasets) + [SYNTH_PREFIX + k for k in SYNTHETIC]
    source = c2.selectbox("Data", sources, **ctl(f"{key}-data"))
    ds = datasets.get(source) or synthetic(source.removeprefix(SYNTH_PREFIX), n=2000, seed=0)
    cols = ds.columns
    default = next((c for c in ("Close", "value") if c in cols), cols[0])
    target = c3.selectbox("Target column", cols, cols.index(default), key=f"{key}-target")
    lookback = c1.slider("Lookback (steps in)", 5, 120, 30, **ctl(f"{key}-lookback"))
    data_cfg = DataConfig(target=target, lookback=lookback, horizon=1)
    return partial(dataset_task, ds, data_cfg), f"{ds.name} · {target}"


def _arch_settings(experiment: str, key: str) -> list[ArchSpec]:
    if experiment != DEPTH:
        labels = st.multiselect(
            "Architectures",
            list(ARCHITECTURES),
            list(DEFAULT_ARCHS),
            max_selections=6,
            **ctl(f"{key}-archs"),
            help="Trained one after another with the same data, seed and budget.",
        )
        return [ARCHITECTURES[label] for label in labels]
    c1, c2 = st.columns([3, 2])
    names = {v: k for k, v in CELL_LABELS.items()}
    cells = c1.multiselect("Cells", list(names), ["RNN", "LSTM"], **ctl(f"{key}-cells"))
    layers = c2.slider("Stacked layers", 2, 6, 4, **ctl(f"{key}-layers"))
    return depth_specs([names[c] for c in cells], layers)


def _budget_settings(key: str) -> tuple[int, TrainConfig, bool]:
    with st.expander("Budget and initialisation (shared by every architecture)"):
        c1, c2, c3, c4 = st.columns(4)
        hidden = c1.select_slider("Hidden units", [16, 32, 64, 128], 64, **ctl(f"{key}-hidden"))
        epochs = c2.slider("Epochs", 1, 60, 10, **ctl(f"{key}-epochs"))
        batch = c3.select_slider("Batch size", [32, 64, 128, 256], 128, **ctl(f"{key}-batch"))
        lr = c4.select_slider("Learning rate", [1e-3, 3e-3, 1e-2, 3e-2], 1e-2, **ctl(f"{key}-lr"))
        c1, c2, c3 = st.columns(3)
        clip = c1.number_input(
            "Gradient clipping (0 = off)", 0.0, 100.0, 1.0, 0.5, **ctl(f"{key}-clip")
        )
        seed = int(c2.number_input("Seed", 0, 10_000, 0, **ctl(f"{key}-seed")))
        ortho = c3.checkbox(
            "Orthogonal recurrent weights",
            **ctl(f"{key}-ortho"),
            help="Off: PyTorch's default init for every cell (the textbook setting). On: "
            "orthogonal W_hh, a known fix that lets a plain RNN remember much longer.",
        )
        st.caption(
            "The LSTM starts with forget-gate bias 1 (Keras's default and the tutorials' "
            "advice); add *LSTM (PyTorch forget bias)* to see PyTorch's default instead."
        )
    cfg = TrainConfig(epochs=epochs, batch_size=batch, lr=lr, clip_norm=clip or None, seed=seed)
    return hidden, cfg, ortho


def settings(datasets: dict[str, Dataset], key: str = "cmp") -> CompareSettings | None:
    """All controls; returns None (after a message) when the choice cannot run."""
    experiment = st.radio(
        "Experiment", [SIDE_BY_SIDE, DEPTH, SWEEP], horizontal=True, **ctl(f"{key}-experiment")
    )
    sweep = None
    if experiment == SWEEP:
        sweep, task_name = _sweep_settings(key)
        make = partial(make_task, sweep["task_name"], max(sweep["lags"], default=1))
    else:
        make, task_name = _task_settings(datasets, key)
    specs = _arch_settings(experiment, key)
    hidden, cfg, ortho = _budget_settings(key)
    if not specs:
        st.warning("Choose at least one architecture (or cell) to compare.")
        return None
    if sweep is not None and not sweep["lags"]:
        st.warning("Choose at least one lag for the sweep.")
        return None
    if experiment == DEPTH and cfg.clip_norm is None:
        st.info("Clipping is off in the budget: the clipped runs will clip at 1.")
    if make.func is make_task:  # the data seed follows the training seed
        make = partial(make, **(make.keywords | {"seed": cfg.seed}))
    return CompareSettings(
        make=make,
        specs=with_orthogonal(specs, ortho),
        hidden_size=hidden,
        train_cfg=cfg,
        name=task_name,
        experiment=experiment,
        sweep=sweep,
    )
