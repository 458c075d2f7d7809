"""Session-state keys and accessors: no page reads st.session_state keys directly."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from core.data import Dataset, load_sample

if TYPE_CHECKING:
    from core.forecast.stock_report import StockReport
    from core.sentiment import SentimentRun
    from core.text import TextRun

# -- session-state keys every page and feature shares (widget keys stay with their feature) --
# The strings are part of the app's contract: AppTests read them (at.session_state["run"]).
RUN_KEY = "run"  # the session's current trained forecaster (core.forecast.run.ForecastRun)
DATASETS_KEY = "datasets"  # name -> Dataset (sample, uploaded, downloaded)
TEXT_RUN_KEY = "text_run"  # the session's character model (core.text.TextRun)
SENTIMENT_RUN_KEY = "sentiment_run"  # the trained classifier (core.sentiment.SentimentRun)
COMPARE_RESULT_KEY = "compare_result"  # CompareResult, SweepResult or a saved summary
STOCK_REPORT_KEY = "stocks_report"  # core.forecast.stock_report.StockReport of the last backtest
SESSION_ID_KEY = "_session_id"  # tests give each AppTest its own id (all share one)

DEFAULT_SAMPLE = "MSFT"
SAMPLE_ROWS = 2500  # the offline default: the last ~10 years of MSFT
# page files, absolute: st.page_link and st.switch_page resolve relative paths against the
# entry script's folder (dashboard/), where no page lives
PAGES_DIR = Path(__file__).resolve().parents[2] / "pages"
TRAIN_PAGE = PAGES_DIR / "train.py"
RUNS_PAGE = PAGES_DIR / "runs.py"
GATES_PAGE = PAGES_DIR / "gates.py"
TUNE_PAGE = PAGES_DIR / "tune.py"


@st.cache_resource(show_spinner=False)
def offline_sample() -> Dataset:
    """Read-only, shared by every session: the bundled stock history."""
    return load_sample(DEFAULT_SAMPLE, last=SAMPLE_ROWS)


SEASONAL_SAMPLES = ("airline", "sunspots")  # monthly series with seasons (core.data.SAMPLES)


@st.cache_resource(show_spinner=False)
def seasonal_samples() -> tuple[Dataset, ...]:
    """Read-only, shared: the bundled monthly series (airline passengers, sunspots)."""
    return tuple(load_sample(name) for name in SEASONAL_SAMPLES)


def datasets() -> dict[str, Dataset]:
    """The data sources of this session; the offline samples are always there (MSFT first)."""
    if DATASETS_KEY not in st.session_state:
        samples = (offline_sample(), *seasonal_samples())
        st.session_state[DATASETS_KEY] = {s.name: s for s in samples}
    return st.session_state[DATASETS_KEY]


def add_dataset(ds: Dataset) -> None:
    """Make a dataset (an upload, a download) a data source on every page of the session."""
    datasets()[ds.name] = ds


def current_run():
    """The session's trained forecaster, or None."""
    return st.session_state.get(RUN_KEY)


def set_current_run(run) -> None:
    st.session_state[RUN_KEY] = run


def require_run():
    """Guard clause for pages that need a trained run."""
    run = current_run()
    if run is None:
        st.info(
            "Train a model first: this page shows the inside of the session's trained network.",
            icon=":material/model_training:",
        )
        st.page_link(TRAIN_PAGE, label="Go to the Train page", icon=":material/school:")
        st.stop()
    return run


# -- the other kinds of model and result (one of each per session) ----------------------------
def text_run() -> TextRun | None:
    """The session's character model, or None."""
    return st.session_state.get(TEXT_RUN_KEY)


def set_text_run(run: TextRun) -> None:
    st.session_state[TEXT_RUN_KEY] = run


def sentiment_run() -> SentimentRun | None:
    """The session's trained classifier, or None."""
    return st.session_state.get(SENTIMENT_RUN_KEY)


def set_sentiment_run(run: SentimentRun) -> None:
    """Make a run (trained here, opened or imported on the Runs page) the session's model."""
    st.session_state[SENTIMENT_RUN_KEY] = run


def compare_result() -> Any:
    """The session's comparison (CompareResult, SweepResult or a saved summary), or None."""
    return st.session_state.get(COMPARE_RESULT_KEY)


def set_compare_result(result: Any) -> None:
    """Make a comparison (one run here, or a saved one opened on the Runs page) the session's."""
    st.session_state[COMPARE_RESULT_KEY] = result


def stock_report() -> StockReport | None:
    """The report of the session's last stock backtest, or None."""
    return st.session_state.get(STOCK_REPORT_KEY)


# -- saved runs (issue 9) ----------------------------------------------------------------------


def session_id() -> str | None:
    """This browser session's id: labels the runs it saves (the per-session limit) and
    decides which saved runs it sees and may change (core.runs.meta)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return None
    return st.session_state.get(SESSION_ID_KEY) or ctx.session_id


def run_store():
    """The runs folder ($LSTMLAB_RUNS_DIR or <project>/runs): every session's saved runs."""
    from core.runs.store import RunStore

    try:
        return RunStore.default()
    except ValueError as e:  # a bad LSTMLAB_RUNS_* setting: say which, keep the session
        st.error(f"The runs folder is misconfigured: {e}.", icon=":material/error:")
        st.stop()


def _register_session_provider() -> None:
    from core.tasks import autosave

    autosave.set_session_provider(session_id)


_register_session_provider()
