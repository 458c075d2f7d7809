"""Widget groups of the gate explorer: which run, which window, and the gates cache.

Widget keys start with ``gates-``; they are cleared when the session's run changes,
so a new run with fewer layers or windows never meets a stale selection.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from core.forecast.run import ForecastRun
from core.gates.view import SORTS, window_gates, window_input
from core.runs.formats.common import CheckpointError
from core.runs.formats.forecaster import load_dict, load_run
from dashboard.common import state
from dashboard.common.safe_text import md_escape
from dashboard.common.urlstate import ctl

PREFIX = "gates-"
RUN_TOKEN = "_gates_run_token"
CACHE = "_gates_cache"
PLAY = "_gates_playing"
LOADED = "_gates_loaded"  # (sha256 of the file, ForecastRun): a checkpoint opened on this page
UPLOAD = "gates_checkpoint"  # not PREFIX: survives a change of run
SPAN_NAMES = {"train": "training", "val": "validation", "test": "test"}


@dataclass(frozen=True)
class Choice:
    """What the user picked: sample ``k`` of ``span``, one layer/direction, a unit order."""

    span: str
    k: int
    layer: int
    direction: int
    sort: str


def open_checkpoint(data: bytes, datasets: dict) -> ForecastRun:
    """A saved run, rebuilt on the session dataset it was trained on; CheckpointError if not."""
    ckpt = load_dict(data)
    meta = ckpt.get("dataset") or {}
    want = meta.get("fingerprint")
    match = next((ds for ds in datasets.values() if ds.fingerprint() == want), None)
    if match is None:
        raise CheckpointError(
            f"this checkpoint was trained on data that is not loaded in this session "
            f"({meta.get('name', 'unknown')!s}): open the same data first (Your data or Stocks "
            "page), then the checkpoint"
        )
    return load_run(data, match)


def pick_run() -> ForecastRun | None:
    """The session's run, or a checkpoint opened here (kept apart: the session run survives)."""
    session_run = state.current_run()
    # collapsed: with nothing trained the page shows the demo model (dashboard.common.demo)
    with st.expander("Inspect a saved checkpoint", expanded=False):
        up = st.file_uploader("LSTM Lab checkpoint (.pt)", type=["pt"], key=UPLOAD)
        if up is not None:
            data = up.getvalue()
            digest = hashlib.sha256(data).hexdigest()
            if st.session_state.get(LOADED, (None,))[0] != digest:
                try:
                    st.session_state[LOADED] = (digest, open_checkpoint(data, state.datasets()))
                except CheckpointError as e:
                    st.error(
                        f"Could not open this checkpoint: {md_escape(str(e).rstrip('.'))}.",
                        icon=":material/error:",
                    )
                    st.session_state.pop(LOADED, None)
    loaded = st.session_state.get(LOADED, (None, None))[1] if up is not None else None
    if loaded is None:
        return session_run
    if session_run is None:
        return loaded
    which = st.radio(
        "Inspect",
        ["the session's trained run", "the opened checkpoint"],
        horizontal=True,
        key="gates_which",
    )
    return loaded if which == "the opened checkpoint" else session_run


def reset_on_new_run(run: ForecastRun) -> None:
    """Forget this page's widget values when the run is not the one they were made for."""
    token = id(run)
    if st.session_state.get(RUN_TOKEN) != token:
        for key in [k for k in st.session_state if str(k).startswith(PREFIX)]:
            del st.session_state[key]
        st.session_state.pop(CACHE, None)
        st.session_state[PLAY] = False
        st.session_state[RUN_TOKEN] = token


def _target_labels(run: ForecastRun, span: str) -> pd.Index:
    return run.prepared.index[run.prepared.span(span).start]


def window_picker(run: ForecastRun) -> Choice:
    """Span, window (by date or index), layer, direction and unit order, in one row."""
    p, cfg = run.prepared, run.model_cfg
    spans = [s for s in ("train", "val", "test") if len(p.span(s))]
    c1, c2, c3, c4 = st.columns([1.3, 2.2, 1.2, 1.3], gap="medium")
    span = c1.radio(
        "Span",
        spans,
        index=spans.index("val") if "val" in spans else 0,
        **ctl(PREFIX + "span"),
        format_func=lambda s: f"{SPAN_NAMES[s]} ({len(p.span(s))} windows)",
        horizontal=False,
    )
    labels = _target_labels(run, span)
    n = len(labels)
    is_dates = isinstance(labels, pd.DatetimeIndex)
    with c2:
        by = (
            st.radio("Pick the window by", ["date", "index"], horizontal=True, **ctl(PREFIX + "by"))
            if is_dates
            else "index"
        )
        if by == "date":
            lo, hi = labels[0].date(), labels[-1].date()
            day = st.date_input(
                "Day predicted by the window",
                value=lo,
                min_value=lo,
                max_value=hi,
                **ctl(f"{PREFIX}date-{span}"),
                help="The window is the lookback days right before this trading day.",
            )
            k = min(int(labels.searchsorted(pd.Timestamp(day))), n - 1)
        else:
            k = st.slider("Window number", 0, n - 1, 0, **ctl(f"{PREFIX}k-{span}")) if n > 1 else 0
        t = run.data_cfg.lookback
        first = p.index[int(p.span(span).start[k]) - t]
        st.caption(
            f"Window {k} of {n}: {t} steps from {_label(first)}, predicting {_label(labels[k])}."
        )
    with c3:
        layer = (
            st.selectbox(
                "Layer",
                range(cfg.num_layers),
                **ctl(PREFIX + "layer"),
                format_func=lambda i: f"layer {i + 1} of {cfg.num_layers}",
            )
            if cfg.num_layers > 1
            else 0
        )
        direction = (
            st.radio(
                "Direction",
                [0, 1],
                **ctl(PREFIX + "dir"),
                horizontal=True,
                format_func=lambda d: "forward" if d == 0 else "backward",
            )
            if cfg.bidirectional
            else 0
        )
        if cfg.num_layers == 1 and not cfg.bidirectional:
            st.caption("One layer, forward only.")
    sorts = [s for s in SORTS if not (s == "memory span" and cfg.cell == "rnn")]
    sort = c4.selectbox(
        "Sort units by",
        sorts,
        **ctl(PREFIX + "sort"),
        help="activity: mean |h|; saturation: share of gate values < 0.1 or > 0.9; "
        "memory span: 1 / (1 − mean forget gate). Largest first.",
    )
    return Choice(span, int(k), int(layer), int(direction), sort)


def _label(v) -> str:
    return v.strftime("%Y-%m-%d") if isinstance(v, pd.Timestamp) else f"step {v}"


def gates_of(run: ForecastRun, span: str, k: int) -> dict[str, np.ndarray]:
    """window_gates for one window, remembered for the last window asked (per session)."""
    key = (id(run), span, k)
    cached = st.session_state.get(CACHE)
    if cached is None or cached[0] != key:
        cached = (key, window_gates(run.model, window_input(run, span, k).x))
        st.session_state[CACHE] = cached
    return cached[1]
