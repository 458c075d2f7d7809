"""What the Train page shows: the live job (polled snapshots) and the session's trained run."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import streamlit as st

from core.forecast.run import ForecastRun
from core.jobs.threads import DONE, FAILED, FINISHED, QUEUED, STOPPED, Job
from core.training.trainer import DIVERGED
from dashboard.common.figures import loss_figure
from dashboard.common.jobs import queue_words, where_words
from dashboard.common.safe_text import md_escape
from dashboard.common.ui import chart_config, metric_row
from dashboard.runs import notes as runs_notes
from dashboard.train.baselines import panel as baselines_panel
from dashboard.train.figures import forecast_figure, optimizer_figure, scores_table
from dashboard.train.notes import SPAN_WORDS, run_notes

LIVE_FIGS_KEY = "_train_live_figures"  # (signature, loss figure, optimizer figure)
WINDOW_WORDS = {"level": "raw values", "diff": "changes", "ratio": "relative changes"}


def fmt_duration(seconds: float | None) -> str:
    """m:ss, or an ellipsis while unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "…"
    s = round(seconds)
    return f"{s // 60}:{s % 60:02d}"


def _fmt_loss(x: float | None) -> str:
    return "…" if x is None or not math.isfinite(x) else f"{x:.4g}"


def device_line(snap: dict) -> str:
    """GPU name and memory, or CPU and torch threads, as the worker reported them."""
    dev = snap.get("device") or {}
    if not dev:
        return "starting: building the windows and the model…"
    if dev.get("type") == "cuda":
        used = dev.get("memory_allocated_gb")
        return f"{dev['label']}, {used:.2f} GiB allocated at start"
    threads = snap.get("threads") or dev.get("threads")
    return f"CPU, {threads} torch thread{'s' if threads != 1 else ''} of {dev.get('cores')} cores"


def live_panel(job: Job, snap: dict) -> None:
    """A running job: progress, numbers, device, live loss and optimizer charts, Stop."""
    history = snap.get("history", [])
    epochs = snap.get("epochs") or 0
    epoch = snap.get("epoch") or 0
    batch, n_batches = snap.get("batch", 0), max(snap.get("n_batches") or 1, 1)
    frac = min(1.0, (max(epoch - 1, 0) + batch / n_batches) / max(epochs, 1)) if batch else 0.0
    frac = max(frac, len(history) / max(epochs, 1))
    c = st.columns([5, 1])
    if snap["status"] == QUEUED:  # every slot of the server is taken: its place in line
        c[0].progress(0.0, text=f"**{md_escape(snap['name'])}**: {queue_words(snap)}")
        if c[1].button("Cancel", key="train-live-stop", icon=":material/close:", width="stretch"):
            job.stop()
            st.rerun(scope="app")
        return
    where = f"epoch {epoch} of {epochs}" if epochs else "starting…"
    where = snap.get("stage") or where  # after the last epoch: the baselines
    c[0].progress(frac, text=f"Training **{md_escape(snap['name'])}**: {where}")
    if c[1].button("Stop", key="train-live-stop", icon=":material/stop:", width="stretch"):
        job.stop()
        st.toast("Stopping after the current batch; the last completed epoch is kept.")
    last = history[-1] if history else {}
    marked = [h for h in history if "best" in h.get("events", [])]  # the trainer's own choice
    best = marked[-1] if marked else {}
    metric_row(
        {
            "Epochs done": f"{len(history)} / {epochs}" if epochs else "…",
            "Elapsed": fmt_duration(snap.get("elapsed")),
            "ETA": fmt_duration(snap.get("eta_s")),
            "Samples/s": f"{last['samples_per_s']:,.0f}" if last else "…",
            "Best val. loss": _fmt_loss(best.get("val_loss")),
        }
    )
    st.caption(
        f"Device: {device_line(snap)} · {snap.get('n_params', 0):,} parameters · "
        f"{md_escape(where_words(snap))}"
    )
    clip = snap.get("meta", {}).get("clip_norm")
    sig = (snap["id"], len(history), best.get("epoch"))
    cached = st.session_state.get(LIVE_FIGS_KEY)
    if cached is None or cached[0] != sig:  # rebuild only when a new epoch arrived
        cached = (sig, *figures(history, best.get("epoch"), clip))
        st.session_state[LIVE_FIGS_KEY] = cached
    charts(cached[1], cached[2], "live")


# Streamlit's status widget (top right) offers its own "Stop" while a rerun lasts over
# 0.5 s, which the live panel's polling makes frequent; it stops the page's script, not the
# training job: hidden while a job trains, so the page has one Stop that does what it says.
STATUS_STOP_CSS = "<style>[data-testid='stStatusWidget'] button { display: none; }</style>"


def hide_status_stop() -> None:
    """Hide the status widget's script-Stop button (its running indicator stays)."""
    st.html(STATUS_STOP_CSS)


def figures(history: list[dict], best_epoch: int | None, clip: float | None) -> tuple:
    """The loss figure (log scale, best epoch, events) and the optimizer figure."""
    loss = loss_figure(history, "Loss per epoch (log scale)", best_epoch=best_epoch)
    return loss, optimizer_figure(history, clip)


def charts(loss: go.Figure, optimizer: go.Figure, key: str) -> None:
    st.plotly_chart(loss, width="stretch", key=f"train-{key}-loss", config=chart_config())
    st.plotly_chart(optimizer, width="stretch", key=f"train-{key}-opt", config=chart_config())


def finished_banner(snap: dict) -> None:
    """How the last job ended, in words the user can act on."""
    status, message = snap["status"], snap.get("message") or ""
    if status == FAILED:
        st.error(f"Training failed: {md_escape(message)}.", icon=":material/error:")
    elif snap.get("reason") == DIVERGED:
        st.error(
            f"Training diverged: {md_escape(message)}. The run below keeps those weights.",
            icon=":material/warning:",
        )
    elif status == STOPPED:
        st.info(f"Training stopped: {md_escape(message)}.", icon=":material/stop_circle:")
    elif status == DONE:
        took = fmt_duration(snap["elapsed"])
        st.success(f"Training done in {took}: {md_escape(message)}.", icon=":material/check:")
    runs_notes.save_notes(snap)  # not saved, or older runs removed to make room for it


def run_results(run: ForecastRun) -> None:
    """The session's trained run: how it trained and how it forecasts vs the naive baseline."""
    fit, d, m = run.fit, run.data_cfg, run.model_cfg
    st.subheader("Current run", anchor=False)
    bidir = ", bidirectional" if m.bidirectional else ""
    layers = f"{m.num_layers}×{m.cell.upper()}({m.hidden_size}{bidir})"
    st.caption(
        f"{md_escape(run.dataset.name)} · target {md_escape(d.target)} · "
        f"T={d.lookback}, K={d.horizon} · "
        f"{WINDOW_WORDS.get(d.normalize, d.normalize)} · {layers} · "
        f"{run.n_params:,} parameters · {md_escape(fit.message) if fit else 'untrained'}"
        + (f" · {fit.device.get('label', '')}" if fit and fit.device else "")
    )
    if fit and fit.warning:
        st.warning(f"{fit.warning[0].upper()}{fit.warning[1:]}.", icon=":material/warning:")
    if fit and fit.history:
        charts(*figures(fit.history, fit.best_epoch, run.train_cfg.clip_norm), "run")
    spans = {s: run.predictions(s) for s in ("val", "test")}
    spans = {s: df for s, df in spans.items() if len(df)}
    if not spans:
        st.info("No validation or test windows to score: raise the validation or test share.")
        return
    chart = st.container()  # drawn after the baselines panel, which picks its interval band
    table = scores_table({s: run.scores(s) for s in spans})
    st.dataframe(table.style.format(precision=4, na_rep="n/a"), width="stretch")
    st.caption(
        "Each prediction only used inputs up to the step before its target (the first of the "
        "K horizon steps is shown). MAE ratio = model MAE / naive MAE: below 1 the network "
        "beats repeating the last value; on daily prices about 1.0 is the honest expectation."
    )
    ratios = {s: float(table.loc[SPAN_WORDS[s], "MAE ratio"]) for s in spans}
    run_notes(run, {s: r for s, r in ratios.items() if math.isfinite(r)})
    with st.container(border=True):
        band, band_name = baselines_panel(run, spans)
    fig = forecast_figure(spans, d.target, band=band, band_name=band_name)
    chart.plotly_chart(fig, width="stretch", key="train-run-forecast", config=chart_config())


def job_view(job: Job | None) -> bool:
    """Draw the live panel or the end banner of this session's training job; True if running."""
    if job is None:
        return False
    snap = job.snapshot()
    if snap["status"] in FINISHED:
        finished_banner(snap)
        return False
    live_panel(job, snap)
    return True
