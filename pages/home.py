"""Home: what the lab does, and a one-click start on the offline default."""

from __future__ import annotations

import streamlit as st

from core.config import DataConfig
from core.data import Dataset
from core.tasks.forecast import forecast_task
from core.training.presets import PRESETS
from dashboard.common import jobs, state
from dashboard.common.figures import series_figure
from dashboard.common.ui import chart_config
from dashboard.train import form as train_form

st.title("LSTM Lab")
st.markdown(
    "Train recurrent networks **live** and look inside them. Pick data, press *Train*, and "
    "watch the loss fall; then open the **real gate activations** of the network you just "
    "trained: input, forget and output gates, candidate, cell and hidden state, unit by unit."
)
col_text, col_start = st.columns([3, 2], gap="large")
with col_text:
    st.markdown(
        "- **Train**: LSTM, GRU or plain RNN on stock prices, synthetic series or your own "
        "CSV, on the GPU when there is one.\n"
        "- **Gates**: heatmaps of every gate over time, per unit, and how they organise "
        "themselves epoch by epoch.\n"
        "- **Stocks**: forecasts judged honestly against the naive last-value baseline.\n"
        "- **Lessons**: the classic tutorials made interactive: vanishing gradients, "
        "stacked and bidirectional layers, clipping, forget-gate bias, text generation."
    )
sample = state.offline_sample()


def start(ds: Dataset, data_cfg: DataConfig, name: str) -> None:
    """Start a quick-demo job, show its settings in the Train form, and go watch it there."""
    preset = PRESETS["quick demo"]
    job = jobs.start_job(
        "train",
        forecast_task(ds, data_cfg, preset["model"], preset["train"]),
        name=name,
        result_key=state.RUN_KEY,
    )
    if job is not None:
        synthetic = ds.provenance.get("kind") == "synthetic"
        source = train_form.SYNTHETIC_LABEL if synthetic else ds.name
        train_form.load_form(
            source, data_cfg, "quick demo", train_form.SINE_DEMO if synthetic else None
        )
        st.switch_page(state.TRAIN_PAGE)  # absolute: the entry is dashboard/app.py


with col_start:
    st.subheader("Start here", anchor=False)
    preset = PRESETS["quick demo"]
    # the first lesson learns visibly; the stock demo is the honest second one (a tie)
    if st.button(
        "Watch it learn on a sine wave",
        type="primary",
        icon=":material/airwave:",
        key="home-sine",
        width="stretch",
        help="A small LSTM on a noisy sine: the loss falls from about 1 to under 0.1.",
    ):
        start(train_form.sine_demo_dataset(), train_form.SINE_DATA, "quick demo · noisy sine")
    st.caption(
        "Then the honest second lesson: the same model on real stock prices, "
        f"{sample.provenance['title']}, the last {len(sample.frame):,} trading days, bundled "
        "with the app (no network needed). There it ties the naive “tomorrow = today” forecast."
    )
    if st.button(
        "Train the quick demo on MSFT",
        icon=":material/play_arrow:",
        key="home-start",
        help="Daily stock moves are close to noise: expect the honest result, a tie with "
        "the naive last-value forecast.",
    ):
        data_cfg = DataConfig(target="Close", lookback=30, horizon=1, normalize="ratio")
        start(sample, data_cfg, "quick demo · MSFT Close")
    st.caption(f"Both use the quick demo preset: {preset['help']}.")

st.plotly_chart(
    series_figure(
        sample.frame, "Close", title="MSFT daily close, offline sample", y_title="close (USD)"
    ),
    width="stretch",
    key="home-series",
    config=chart_config(),
)
