"""What the Tune page shows of a study (live while it runs, or reopened from its database):
status, Optuna's figures, the learning curves, the trial table, and after the search the
best trial's test scores beside the baselines with a way to open its run."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from core.jobs.threads import FINISHED, Job
from dashboard.common import jobs, state
from dashboard.common.safe_text import md_escape
from dashboard.common.ui import chart_config
from dashboard.tune import figures

BASELINE_WORDS = {
    "model": "tuned model",
    "naive": "naive (last value)",
    "drift": "drift",
    "moving_average": "moving average (20)",
}


def _loss(x) -> str:
    return f"{x:.4g}" if isinstance(x, (int, float)) and math.isfinite(x) else "–"


def _finished_key(snap: dict) -> tuple:
    """Changes only when a trial finishes: Optuna's figures are rebuilt then, not per epoch."""
    done = tuple(
        (t["number"], t["state"], t["value"])
        for t in snap.get("trials", [])
        if t["state"] in ("complete", "pruned", "fail")
    )
    return (snap.get("study"), done)


@st.cache_data(max_entries=16, show_spinner=False)
def _optuna_figures(key: tuple, _snap: dict) -> tuple:
    return (
        figures.history_figure(_snap),
        figures.parallel_figure(_snap),
        figures.importance_figure(_snap),
    )


def status_line(snap: dict) -> None:
    best = snap.get("best") or {}
    words = (
        f"Study **{md_escape(snap.get('study'))}** · {snap.get('n_trials', 0)} trials: "
        f"{snap.get('n_complete', 0)} complete, {snap.get('n_pruned', 0)} pruned, "
        f"{snap.get('n_failed', 0)} failed, {snap.get('n_running', 0)} running"
    )
    if best:
        words += f" · best validation MSE **{_loss(best.get('value'))}** (trial {best['number']})"
    st.markdown(words)
    st.caption(f"Stored in {md_escape(snap.get('storage', ''))}")


def progress(job: Job, snap: dict) -> None:
    target = max(snap.get("epochs") or 1, 1)
    done = snap.get("epoch") or 0
    phase = snap.get("phase") or "starting"
    text = (
        "scoring the best trial on the test span…"
        if phase == "scoring"
        else (f"{done} of {target} trials finished · {snap.get('n_running', 0)} running")
    )
    jobs.progress_or_failure(
        job,
        snap,
        fraction=done / target,
        text=text,
        stop_key="tune-stop",
        stop_label="Stop the study",
        widths=(5, 1),
        failed="The study failed: {}",
    )


def charts(snap: dict) -> None:
    history, parallel, importance = _optuna_figures(_finished_key(snap), snap)
    curves = figures.curves_figure(snap)
    left, right = st.columns(2)
    with left:
        if history is not None:
            st.plotly_chart(history, width="stretch", key="tune-fig-history", config=chart_config())
        else:
            st.caption("The optimisation history appears when the first trial completes.")
    with right:
        if curves is not None:
            st.plotly_chart(curves, width="stretch", key="tune-fig-curves", config=chart_config())
        else:
            st.caption("Learning curves appear after each trial's first epoch.")
    if parallel is not None:
        st.plotly_chart(parallel, width="stretch", key="tune-fig-parallel", config=chart_config())
    else:
        st.caption("Parallel coordinates appear once two trials completed.")
    left, right = st.columns(2)
    with left:
        if importance is not None:
            st.plotly_chart(
                importance, width="stretch", key="tune-fig-importance", config=chart_config()
            )
        else:
            st.caption(
                f"Parameter importances appear once {figures.MIN_FOR_IMPORTANCE} trials "
                "completed and at least two settings vary."
            )
    with right:
        best_so_far(snap)
    table = figures.trial_table(snap)
    if not table.empty:
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            key="tune-table",
            column_config={"val MSE": st.column_config.NumberColumn(format="%.4g")},
        )


def best_so_far(snap: dict) -> None:
    """The best completed trial's settings, in words, while the search goes on."""
    best = snap.get("best")
    if not best:
        return
    st.markdown(f"**Best so far: trial {best['number']}**, validation MSE {_loss(best['value'])}")
    for k, v in best["params"].items():
        st.markdown(f"- {md_escape(k)}: **{md_escape(f'{v:.3g}' if isinstance(v, float) else v)}**")


def result_panel(snap: dict) -> None:
    """After the search: the best trial scored once on the test span, beside the baselines."""
    result = snap.get("result")
    if not result:
        return
    st.subheader("Best trial on the test span", anchor=False)
    if result.get("stopped"):
        st.caption(f"The search ended early: {md_escape(result['stopped'])}.")
    if "test" not in result:
        st.info(md_escape(result.get("message", "no trial completed")), icon=":material/info:")
        return
    test = result["test"]
    rows = [
        {
            "forecast": BASELINE_WORDS[k],
            "test MAE": test.get(f"{k}_mae"),
            "test RMSE": test.get(f"{k}_rmse"),
        }
        for k in BASELINE_WORDS
    ]
    params = ", ".join(
        f"{k} = {v:.3g}" if isinstance(v, float) else f"{k} = {v}"
        for k, v in result["params"].items()
    )
    st.markdown(
        f"Trial **{result['best_trial']}** (validation MSE {_loss(result['best_value'])}): "
        f"{md_escape(params)}. Scored once, after the search, on {test['n']:,} test windows "
        "it never saw; selection used the validation span only."
    )
    ratio = test.get("ratio_to_naive")
    left, right = st.columns([3, 2])
    left.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        key="tune-scores",
        column_config={
            c: st.column_config.NumberColumn(format="%.4g") for c in ("test MAE", "test RMSE")
        },
    )
    if ratio is not None:
        right.metric(
            "Model MAE / naive MAE",
            f"{ratio:.3f}",
            help="Below 1: better than repeating the last value. On daily prices, "
            "an honest ratio is close to 1.",
        )
    if result.get("save_warning"):
        st.warning(md_escape(result["save_warning"]), icon=":material/warning:")
    if result.get("run_id"):
        b = st.columns(3)
        for col, label, page in (
            (b[0], "Open the best run on Train", state.TRAIN_PAGE),
            (b[1], "Open the best run on Gates", state.GATES_PAGE),
        ):
            if col.button(label, key=f"tune-open-{page.stem}", icon=":material/open_in_new:"):
                open_run(result["run_id"], page)
        b[2].caption(f"Saved as run `{result['run_id']}` (Runs page).")


def open_run(run_id: str, page) -> None:
    from core.runs.kinds import forecaster
    from core.runs.store import RunError

    try:
        run = forecaster.load(state.run_store(), run_id)
    except RunError as e:
        st.error(f"The best run cannot be opened: {md_escape(e)}.", icon=":material/error:")
        return
    state.set_current_run(run)
    st.switch_page(page)


def study_view(snap: dict | None, job: Job | None) -> None:
    """Everything the page shows of one study."""
    if snap is None:
        st.info(
            "No study yet: choose data, a search space and a budget, then press **Start**, "
            "or open a stored study.",
            icon=":material/info:",
        )
        return
    status_line(snap)
    if job is not None and snap.get("status") not in FINISHED:
        progress(job, snap)
    elif job is not None and snap.get("status") == "failed":
        jobs.progress_or_failure(
            job, snap, fraction=1.0, text="", stop_key="tune-stop", failed="The study failed: {}"
        )
    charts(snap)
    result_panel(snap)
