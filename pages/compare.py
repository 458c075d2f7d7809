"""RNN vs GRU vs LSTM: the same task, seed and budget, trained live; the vanishing gradient
measured at initialisation and after training; a reading written from the numbers."""

from __future__ import annotations

import streamlit as st

from core.compare.reading import read_comparison
from core.compare.sweep import SweepResult
from core.tasks.compare import compare_job, sweep_job
from dashboard.common import jobs, state
from dashboard.common.safe_text import md_escape
from dashboard.common.ui import chart_config
from dashboard.compare import link as compare_link
from dashboard.compare import runs as compare_runs_ui
from dashboard.compare.controls import settings
from dashboard.compare.figures import (
    gradient_figure,
    overlay_loss_figure,
    summary_frame,
    sweep_figure,
)
from dashboard.runs import notes as runs_notes

KIND = "compare"

st.title("RNN vs GRU vs LSTM")
st.markdown(
    "Every tutorial says a plain RNN forgets and an LSTM remembers. Here you can watch it "
    "happen: the architectures learn **the same task from the same data, seed and budget**, "
    "one after another, and the page measures how much of the loss gradient reaches each "
    "earlier input. On the long-memory tasks the answer depends on one input `lag` steps "
    "before the end, so a network must carry it that far."
)

compare_link.bind()  # the link's settings, before the widgets
chosen = settings(state.datasets())
c_start, c_note = st.columns([1, 3], vertical_alignment="center")
if c_start.button(
    "Compare", type="primary", icon=":material/play_arrow:", key="compare-start",
    disabled=chosen is None,
):  # fmt: skip
    fn = (
        sweep_job(**chosen.sweep, specs=chosen.specs, hidden_size=chosen.hidden_size,
                  train_cfg=chosen.train_cfg)
        if chosen.sweep
        else compare_job(chosen.make, chosen.specs, chosen.hidden_size, chosen.train_cfg)
    )  # fmt: skip
    jobs.start_job(
        KIND,
        fn,
        name=f"{chosen.experiment.split(',')[0].lower()} · {chosen.name}",
        result_key=state.COMPARE_RESULT_KEY,
        meta={"labels": [s.label for s in chosen.specs]},
    )
c_note.caption(
    "Training runs in the background: switch pages freely, and stop it at any time. "
    "The first chart updates after every epoch."
)


def draw_result(snap: dict) -> None:
    """Loss curves, table and gradient profiles from a job snapshot (live or finished)."""
    task, order = snap.get("task") or {}, snap.get("order") or []
    histories, summaries = snap.get("histories") or {}, snap.get("summaries") or {}
    if "sweep" in snap:
        st.plotly_chart(
            sweep_figure(snap["sweep"], order),
            width="stretch",
            key="compare-sweep",
            config=chart_config(),
        )
        if task:
            st.caption(f"Below: the curves and gradients at {task['title'].lower()}.")
    st.plotly_chart(
        overlay_loss_figure(
            histories,
            order,
            trivial=task.get("trivial"),
            trivial_label=task.get("trivial_label", "trivial predictor"),
            loss_name="cross-entropy" if task.get("loss") == "ce" else "MSE",
        ),
        width="stretch",
        key="compare-loss",
        config=chart_config(),
    )
    if summaries:
        st.dataframe(
            summary_frame(summaries, order, task.get("trivial") or 0.0),
            hide_index=True,
            width="stretch",
            column_config={
                **compare_runs_ui.TABLE_COLUMNS,
                "symbols recalled": st.column_config.NumberColumn(format="percent"),
            },
        )
        relative = st.toggle(
            "Relative to the last step", value=True, key="compare-relative",
            help="Divide each curve by its value at lag 0, to compare how fast it decays.",
        )  # fmt: skip
        profiles = {k: (v["grad_init"], v["grad_trained"]) for k, v in summaries.items()}
        lag = task.get("lag") if task.get("memory") else None
        st.plotly_chart(
            gradient_figure(profiles, order, lag=lag, relative=relative),
            width="stretch",
            key="compare-grad",
            config=chart_config(),
        )


@st.fragment(run_every=1.0)
def live() -> None:
    job = jobs.holder().get(KIND)
    opened = compare_runs_ui.opened_summary()  # a saved comparison opened on the Runs page
    if opened is not None and (job is None or job.id in jobs.holder().collected):
        compare_runs_ui.show_opened(opened, draw_result)
        return
    if job is None:
        st.info(
            "Pick a task and press **Compare**. The defaults (delayed echo, lag 20, RNN, GRU "
            "and LSTM, 10 epochs) train three models one after another; the sidebar "
            "shows how long the rest will take on this machine.",
            icon=":material/compare_arrows:",
        )
        return
    snap = job.snapshot()
    status = snap["status"]
    jobs.progress_or_failure(
        job,
        snap,
        fraction=(snap.get("epoch") or 0) / max(snap.get("epochs") or 1, 1),
        text=f"Training {snap.get('current', '…')}: epoch {snap.get('epoch', 0)} of "
        f"{snap.get('epochs', '…')} over all architectures",
        stop_key="compare-stop",
        widths=(4, 1),
        failed="The comparison failed: {}. Change the settings and try again.",
    )
    draw_result(snap)
    if job.done:
        jobs.collect_finished()
        result = state.compare_result()
        if snap.get("save_warning"):
            st.warning(md_escape(snap["save_warning"]), icon=":material/save:")
        elif snap.get("saved_run"):
            st.caption(f"Saved in the runs folder as run `{snap['saved_run']}` (Runs page).")
        runs_notes.eviction_note(snap)  # older runs removed to make room for this one
        if result is not None and status != "failed":
            st.subheader("What the charts show", anchor=False)
            lines = result.reading() if isinstance(result, SweepResult) else read_comparison(result)
            st.markdown("\n".join(f"- {line}" for line in lines))


live()
