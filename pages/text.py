"""Text generation: a character-level LSTM learns to write like its corpus, live."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.runs.formats.text import text_run_bytes
from core.tasks.text import text_task
from dashboard.common import jobs, state
from dashboard.common.safe_text import md_escape
from dashboard.common.ui import chart_config
from dashboard.runs import notes as runs_notes
from dashboard.text import link as text_link
from dashboard.text import tabs as text_tabs
from dashboard.text import ui as text_ui
from dashboard.text.figures import bpc_figure

st.title("Text generation")
st.markdown(
    "The classic LSTM demo: a network reads a text **one character at a time** and learns to "
    "predict the next one. Press *Train* and watch its samples turn from gibberish into words; "
    "then generate with your own prompt, and colour text by single cells to find ones that "
    "count along a line or detect quotes."
)
text_link.bind()  # the link's settings, before the widgets
left, right = st.columns([3, 2], gap="large")
with left:
    corpus = text_ui.corpus_picker()
with right:
    settings = text_ui.settings_picker()
    job = jobs.holder().get(text_ui.JOB_KIND)
    running = job is not None and not job.done
    if st.button(
        "Train", type="primary", icon=":material/play_arrow:", key="text-train",
        disabled=corpus is None or settings is None or running,
    ):  # fmt: skip
        model_cfg, train_cfg = settings
        jobs.start_job(
            text_ui.JOB_KIND,
            text_task(corpus, model_cfg, train_cfg),
            name=f"{model_cfg.cell.upper()} {model_cfg.num_layers}×{model_cfg.hidden_size}",
            result_key=state.TEXT_RUN_KEY,
        )
    text_ui.load_panel()


@st.fragment(run_every=1.0)
def live() -> None:
    """Loss in bits per character and the latest sample, redrawn every second."""
    job = jobs.holder().get(text_ui.JOB_KIND)
    run = state.text_run()
    if job is not None and job.done and jobs.collect_finished():
        st.rerun(scope="app")  # the finished model becomes the session's text model
    snap = job.snapshot() if job is not None else {}
    if job is not None:
        step, steps = snap.get("step", 0), snap.get("steps") or 1
        jobs.progress_or_failure(
            job,
            snap,
            fraction=step / steps,
            text=f"{md_escape(snap['name'])}: step {step:,} of {steps:,}",
            stop_key="text-stop",
        )
    if job is not None and job.result is run:  # not saved, or older runs removed for it
        runs_notes.save_notes(snap)
    if job is not None and not job.done:
        history, baselines = snap.get("history", []), snap.get("baselines", {})
        samples, message = snap.get("samples", []), ""
    elif run is not None:
        history, baselines, samples = run.history, run.baselines, run.samples
        message = run.result.get("message", "")
    else:
        return
    chart, sample = st.columns([3, 2], gap="large")
    chart.plotly_chart(
        bpc_figure(history, baselines, "Bits per character while training"),
        width="stretch",
        key="text-bpc",
        config=chart_config(),
    )
    with sample:
        if samples:
            st.markdown(f"**Sample at step {samples[-1]['step']:,}** (temperature 0.8)")
            st.code(samples[-1]["text"], language=None, wrap_lines=True)
        else:
            st.caption("The first sample appears with the first point of the chart.")
        if message:
            st.caption(md_escape(message))
    if len(samples) > 1:
        with st.expander(f"All {len(samples)} samples: from gibberish to words"):
            st.dataframe(pd.DataFrame(samples), hide_index=True, key="text-samples")


live()
run = state.text_run()
if run is None:
    st.info(
        "Train a model above (the quick demo is the shortest), or load a saved one.",
        icon=":material/model_training:",
    )
    st.stop()

cfg = run.model_cfg
st.caption(
    f"Current text model: {cfg.cell.upper()} {cfg.num_layers} × {cfg.hidden_size}, "
    f"{run.n_params:,} parameters, {run.vocab.size} characters, trained on "
    f"{run.corpus.get('chars', 0):,} characters of {md_escape(run.corpus.get('name', '?'))}; "
    + (f"validation {run.val_bpc:.2f} bits/char." if run.val_bpc is not None else "no history.")
)
gen_tab, cells_tab, save_tab = st.tabs(["Generate", "Cells", "Save"])
with gen_tab:
    text_tabs.generate_tab(run)
with cells_tab:
    text_tabs.cells_tab(run)
with save_tab:
    st.download_button(
        "Download this text model (.pt)",
        data=text_run_bytes(run),
        file_name=text_ui.file_name(run),
        mime="application/octet-stream",
        icon=":material/download:",
        on_click="ignore",
        key="text-download",
    )
    st.caption(
        "The file holds the settings, vocabulary, weights and training history (no code, no "
        "corpus); load it above to generate again. It loads with `torch.load(weights_only=True)`."
    )
    text_ui.save_status(run)
