"""Widget groups of the Tune page: the search space and the budget and method. Each returns
validated objects or the exact sentence of the ``ValueError`` they raised. Data, windows and
split come from the Train page's own widgets (``dashboard.train.form``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from core.config import CELLS, NORMALIZE, DataConfig
from core.tune import PRESETS, PRUNERS, SAMPLERS, Budget, SearchSpace
from core.tune.options import PRUNER_LABELS, SAMPLER_LABELS
from dashboard.train.form import BATCH_GRID, HIDDEN_GRID, LR_GRID, NORMALIZE_LABELS

SAVED_KEY = "_tune_settings"
LOOKBACKS = [5, 10, 20, 30, 45, 60, 90, 120]
MAX_LAYERS = 4


@dataclass(frozen=True)
class TuneForm:
    space: SearchSpace
    budget: Budget
    sampler: str
    pruner: str
    name: str | None


def _preset_values(name: str) -> dict[str, Any]:
    p = PRESETS[name]
    s: SearchSpace = p["space"]
    b: Budget = p["budget"]
    return {
        "tune-cells": list(s.cells),
        "tune-hidden": sorted(s.hidden),
        "tune-layers": tuple(s.layers),
        "tune-dropout": tuple(s.dropout),
        "tune-lr-low": _near(s.lr[0]),
        "tune-lr-high": _near(s.lr[1]),
        "tune-batch": sorted(s.batch),
        "tune-trials": b.trials,
        "tune-epochs": b.epochs,
        "tune-parallel": b.parallel,
        "tune-sampler": p["sampler"],
        "tune-pruner": p["pruner"],
        "tune-lookback-extra": sorted(s.lookback),
    }


def _near(v: float) -> float:
    return min(LR_GRID, key=lambda g: abs(g - v) / v)


DEFAULTS: dict[str, Any] = {
    "tune-preset": "quick",
    "tune-time": 0,
    "tune-name": "",
    **_preset_values("quick"),
}


def restore() -> None:
    """Call first: widget values from the last visit, else the defaults."""
    saved = st.session_state.setdefault(SAVED_KEY, {})
    for key, value in {**DEFAULTS, **saved}.items():
        if key not in st.session_state:
            st.session_state[key] = value


def remember() -> None:
    keys = [*DEFAULTS, "tune-lookbacks", "tune-normalize", "tune-data-for"]
    st.session_state[SAVED_KEY] = {k: st.session_state[k] for k in keys if k in st.session_state}


def _apply_preset() -> None:
    values = _preset_values(st.session_state["tune-preset"])
    values["tune-lookbacks"] = values.pop("tune-lookback-extra")
    st.session_state.update(values)


def _follow_data(data_cfg: DataConfig, data_name: str) -> None:
    """Lookback and window mode start from the data section's choice (new data: again)."""
    stamp = [data_name, data_cfg.lookback, data_cfg.normalize]
    if st.session_state.get("tune-data-for") != stamp:
        st.session_state["tune-data-for"] = stamp
        st.session_state["tune-lookbacks"] = [data_cfg.lookback]
        st.session_state["tune-normalize"] = [data_cfg.normalize]


def space_section(data_cfg: DataConfig, data_name: str) -> SearchSpace | str:
    _follow_data(data_cfg, data_name)
    top = st.columns([2, 5])
    preset = top[0].selectbox("Preset", list(PRESETS), key="tune-preset", on_change=_apply_preset)
    top[1].caption(f"**{preset}**: {PRESETS[preset]['help']}. Choosing a preset fills the form.")
    c = st.columns(4)
    cells = c[0].multiselect("Cells", CELLS, key="tune-cells", format_func=str.upper)
    hidden = c[1].multiselect("Hidden sizes H", HIDDEN_GRID, key="tune-hidden")
    batch = c[2].multiselect("Batch sizes B", BATCH_GRID, key="tune-batch")
    lookbacks = sorted({*LOOKBACKS, data_cfg.lookback, *st.session_state["tune-lookbacks"]})
    lookback = c[3].multiselect("Lookbacks T", lookbacks, key="tune-lookbacks")
    r = st.columns([3, 3, 2, 2, 3])
    layers = r[0].slider("Layers L", 1, MAX_LAYERS, key="tune-layers")
    dropout = r[1].slider("Dropout (2+ layers)", 0.0, 0.6, step=0.05, key="tune-dropout")
    lo = r[2].selectbox("Learning rate from", LR_GRID, key="tune-lr-low", format_func="{:g}".format)
    hi = r[3].selectbox("to (log scale)", LR_GRID, key="tune-lr-high", format_func="{:g}".format)
    lr = (lo, hi)
    modes = r[4].multiselect(
        "Window values",
        list(NORMALIZE),
        key="tune-normalize",
        format_func=lambda m: m,
        help=" · ".join(f"{k}: {v}" for k, v in NORMALIZE_LABELS.items()),
    )
    try:
        return SearchSpace(
            cells=tuple(cells),
            hidden=tuple(int(h) for h in sorted(hidden)),
            layers=(int(layers[0]), int(layers[1])),
            dropout=(float(dropout[0]), float(dropout[1])),
            lr=(float(lr[0]), float(lr[1])),
            batch=tuple(int(b) for b in sorted(batch)),
            lookback=tuple(int(t) for t in sorted(lookback)),
            normalize=tuple(modes),
        )
    except ValueError as e:
        return str(e)


def budget_section(max_parallel: int) -> tuple[Budget, str, str, str | None] | str:
    c = st.columns(6)
    trials = c[0].number_input("Trials", 0, 500, key="tune-trials")
    epochs = c[1].number_input("Epochs per trial", 0, 1000, key="tune-epochs")
    minutes = c[2].number_input(
        "Time limit (min, 0 = none)", 0.0, 1440.0, step=1.0, key="tune-time", format="%g"
    )
    st.session_state["tune-parallel"] = min(st.session_state["tune-parallel"], max_parallel)
    parallel = c[3].number_input(
        "Trials at once",
        1,
        max_parallel,
        key="tune-parallel",
        help=f"Each trial is a training job: the server's job slots ({max_parallel}) cap this.",
    )
    sampler = c[4].selectbox(
        "Sampler", SAMPLERS, key="tune-sampler", format_func=SAMPLER_LABELS.get
    )
    pruner = c[5].selectbox("Pruner", PRUNERS, key="tune-pruner", format_func=PRUNER_LABELS.get)
    name = st.text_input("Study name (empty: data name and time)", key="tune-name", max_chars=80)
    try:
        budget = Budget(
            trials=int(trials),
            epochs=int(epochs),
            time_limit_s=float(minutes) * 60 if minutes else None,
            parallel=int(parallel),
        )
    except ValueError as e:
        return str(e)
    return budget, sampler, pruner, (name.strip() or None)
