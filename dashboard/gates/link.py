"""The Gates page's settings in the link: the open tab, the window, the layer and the units
(dashboard.common.urlstate). They depend on the run, so they are built when it is known."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.forecast.run import ForecastRun
from core.gates.view import SORTS
from dashboard.common import urlstate
from dashboard.common.urlstate import Param
from dashboard.gates import ui

PAGE = "gates"
TAB_KEY = "gates-tab"
TABS = ["Heatmaps", "Units", "Summary", "Across training", "One cell by hand"]
NAMES = ["tab", "span", "by", "win", "day", "layer", "dir", "sort", "units", "unit"]
urlstate.register(PAGE, NAMES)


def params(run: ForecastRun) -> list[Param]:
    """The page's settings for this run (ranges from its windows, layers and units)."""
    p, cfg = run.prepared, run.model_cfg
    spans = [s for s in ("train", "val", "test") if len(p.span(s))]
    first = "val" if "val" in spans else spans[0]
    ss = st.session_state

    def span() -> str:
        return ss.get(ui.PREFIX + "span", first)

    def labels() -> pd.Index:
        return ui._target_labels(run, span())

    def day(i: int):
        lab = labels()
        return lab[i].date() if isinstance(lab, pd.DatetimeIndex) else None

    sorts = [s for s in SORTS if not (s == "memory span" and cfg.cell == "rnn")]
    units = list(range(cfg.hidden_size))
    specs = [
        Param("tab", TAB_KEY, choices=TABS, default=TABS[0]),
        Param("span", ui.PREFIX + "span", choices=spans, default=first),
        Param("by", ui.PREFIX + "by", choices=["date", "index"], default="date"),
        Param("win", lambda: f"{ui.PREFIX}k-{span()}", "int", lo=0,
              hi=lambda: len(labels()) - 1, default=0),
        Param("day", lambda: f"{ui.PREFIX}date-{span()}", "date", lo=lambda: day(0),
              hi=lambda: day(-1), default=lambda: day(0)),
        Param("layer", ui.PREFIX + "layer", "int", lo=0, hi=cfg.num_layers - 1, default=0),
        Param("dir", ui.PREFIX + "dir", "int", lo=0, hi=int(cfg.bidirectional), default=0),
        Param("sort", ui.PREFIX + "sort", choices=sorts, default=sorts[0]),
        Param("units", ui.PREFIX + "units", "list", choices=units),
        Param("unit", ui.PREFIX + "cell-unit", "int", lo=0, hi=cfg.hidden_size - 1, default=0),
    ]  # fmt: skip
    assert [s.name for s in specs] == NAMES
    return specs


def bind(run: ForecastRun) -> None:
    """Call after reset_on_new_run and before the window picker."""
    urlstate.bind(PAGE, params(run))
