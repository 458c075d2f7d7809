"""The shipped demo models (``core.runs.demo``), loaded once per server and labelled.

Read-only and shared by every session (``st.cache_resource``): pages only read their weights.
A page shows a demo only while the session has no trained model of its own.
"""

from __future__ import annotations

import streamlit as st

from core.forecast.run import ForecastRun
from core.runs import demo
from core.runs.formats.common import CheckpointError
from dashboard.common import state
from dashboard.common.safe_text import md_escape

LABEL = "Demo model"


@st.cache_resource(show_spinner=False)
def forecaster(name: str) -> ForecastRun:
    """A demo forecaster (the MSFT one on the session's shared offline sample)."""
    data = state.offline_sample() if name == demo.MSFT else None
    return demo.load_forecaster(name, data)


@st.cache_resource(show_spinner=False)
def comparison():
    """The shipped echo comparison (a CompareSummary)."""
    return demo.load_comparison()


def try_forecaster(name: str) -> ForecastRun | None:
    """The demo, or None with a warning saying why it could not be opened."""
    try:
        return forecaster(name)
    except (CheckpointError, OSError, ValueError) as e:
        st.warning(
            f"The demo model could not be opened ({md_escape(str(e).rstrip('.'))}).",
            icon=":material/warning:",
        )
        return None


def label(name: str, replaced_by: str = "Train a model and it replaces this one.") -> None:
    """The visible label under which a demo model is shown: what it is, how it was made."""
    st.info(
        f"**{LABEL}**: {demo.made_by(name)}. {replaced_by}",
        icon=":material/science:",
    )


def badge(name: str, replaced_by: str = "") -> None:
    """The compact label (lessons): a "Demo model" badge and how it was made, in small type."""
    st.caption(f":blue-badge[:material/science: {LABEL}] {demo.made_by(name)}. {replaced_by}")


def session_or_demo() -> tuple[ForecastRun, bool]:
    """The session's trained forecaster, else the sine demo (labelled); (run, is_demo).

    Without either (the demo file is missing), the usual "train a model first" guard.
    """
    run = state.current_run()
    if run is not None:
        return run, False
    run = try_forecaster(demo.SINE)
    if run is None:
        return state.require_run(), False
    label(demo.SINE)
    st.page_link(state.TRAIN_PAGE, label="Train your own model", icon=":material/school:")
    return run, True
