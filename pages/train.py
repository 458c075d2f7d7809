"""Train: pick data and a model, press Train, watch the network learn live, judge its forecasts.

Training runs in a background job (``dashboard.common.jobs.start_job``) that never calls
Streamlit; the live panel is a fragment that polls the job's snapshot twice a second.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.config import DataConfig
from core.data import Dataset, prepare
from core.models.recurrent import parameter_count
from core.tasks.live import live_task
from dashboard.common import jobs, state
from dashboard.common.safe_text import md_escape
from dashboard.common.ui import chart_config
from dashboard.train import form as train_form
from dashboard.train import link as train_link
from dashboard.train.figures import split_figure
from dashboard.train.panels import hide_status_stop, job_view, run_results

POLL_S = 0.5  # live redraw period while a job runs
FIRST_POLL_S = 0.1  # until the first epoch's point is drawn (a Home demo: at once, not in 0.5 s)


@st.cache_data(max_entries=32, show_spinner=False)
def window_counts(fingerprint: str, cfg: dict, _frame: pd.DataFrame) -> dict[str, int]:
    """Windows per span and the split rows; raises prepare's ValueError for bad settings."""
    p = prepare(_frame, DataConfig.from_dict(cfg))
    return dict(train=len(p.train), val=len(p.val), test=len(p.test), a=p.train_end, b=p.val_end)


def data_section() -> tuple[Dataset, DataConfig | None, dict]:
    """Data source, windows and split, with a preview; (dataset, config or None, counts)."""
    ds = train_form.data_source()
    cfg = train_form.data_settings(ds)
    if isinstance(cfg, str):
        st.error(f"Data settings: {md_escape(cfg)}.", icon=":material/error:")
        return ds, None, {}
    try:
        counts = window_counts(ds.fingerprint(), cfg.to_dict(), ds.frame)
    except ValueError as e:
        st.error(f"Data settings: {md_escape(e)}.", icon=":material/error:")
        return ds, None, {}
    title = f"{ds.name}: {cfg.target} with the train / validation / test split"
    fig = split_figure(ds.frame, cfg.target, (counts["a"], counts["b"]), title)
    st.plotly_chart(fig, width="stretch", key="train-preview", config=chart_config())
    st.caption(
        f"{len(ds.frame):,} rows → {counts['train']:,} training, {counts['val']:,} validation "
        f"and {counts['test']:,} test windows of T={cfg.lookback} steps predicting K="
        f"{cfg.horizon}. Scaling is fitted on the training rows only."
    )
    return ds, cfg, counts


def live(waiting_first: bool = False) -> None:
    """Polled: the job's progress while it runs; when it ends, the whole page redraws.

    ``waiting_first``: polled fast until the first epoch's point is drawn, then the whole page
    runs again once, which sets the usual period."""
    job = jobs.holder().get("train")
    job_view(job)
    if job is not None and job.done and jobs.collect_finished():
        st.rerun(scope="app")
    if waiting_first and job is not None and job.snapshot().get("history"):
        st.rerun(scope="app")


def live_first() -> None:
    live(waiting_first=True)


st.title("Train")
st.caption(
    "Pick data and a model, press **Train**, and watch the network learn. Training runs in "
    "the background: you can open other pages meanwhile, the sidebar shows its progress."
)
train_link.bind()  # the link's settings first: restore() only fills what is still missing
train_form.restore()
jobs.collect_finished()  # a job that ended while the user was on another page

with st.container(border=True):
    st.subheader("1 · Data", anchor=False)
    dataset, data_cfg, counts = data_section()
with st.container(border=True):
    st.subheader("2 · Model and training", anchor=False)
    configs = train_form.model_settings()
train_form.remember()
if isinstance(configs, str):
    st.error(f"Model settings: {md_escape(configs)}.", icon=":material/error:")

job = jobs.holder().get("train")
running = job is not None and not job.done
ready = data_cfg is not None and not isinstance(configs, str)
left, right = st.columns([1, 5], vertical_alignment="center")
start = left.button(
    "Train",
    type="primary",
    icon=":material/play_arrow:",
    disabled=not ready or running,
    key="trainbtn-start",
    width="stretch",
)


def busy_words(job) -> str:
    if job.status == "queued":
        return " · your job waits in line: cancel it to start another"
    return " · a job is running: stop it to start another"


if ready:
    model_cfg, train_cfg = configs
    n = parameter_count(
        model_cfg.replace(input_size=len(data_cfg.input_columns), horizon=data_cfg.horizon)
    )
    right.markdown(
        f"**{n:,} trainable parameters** · {train_cfg.epochs} epochs of "
        f"{-(-counts['train'] // train_cfg.batch_size):,} batches"
        + (busy_words(job) if running else "")
    )
    if start:
        job = jobs.start_job(
            "train",
            live_task(dataset, data_cfg, model_cfg, train_cfg),
            name=f"{model_cfg.cell.upper()} · {dataset.name} · {data_cfg.target}",
            result_key=state.RUN_KEY,
            meta={"clip_norm": train_cfg.clip_norm},
        )
        if job is not None:
            st.rerun()  # redraw with the Train button disabled and the live panel polling

if running:  # one Stop on the page: the live panel's (the sidebar links here)
    hide_status_stop()
train_job = jobs.holder().get("train")
if running and train_job is not None and not train_job.snapshot().get("history"):
    st.fragment(run_every=FIRST_POLL_S)(live_first)()
else:
    st.fragment(run_every=POLL_S if running else None)(live)()

run = state.current_run()
if running:
    pass  # only the live run while it trains: the earlier run's charts would read as its own
elif run is None:
    st.info("No trained run in this session yet: press **Train** above.", icon=":material/info:")
else:
    run_results(run)
