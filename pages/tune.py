"""Tune: search hyperparameters with Optuna, live. Each trial is a training job; a study
coordinator (a background job of this session) reports every epoch's validation loss to
Optuna, stops the trials it prunes, and scores the best trial once on the test span at the end.
The views poll the coordinator's snapshot; nothing here blocks.
"""

from __future__ import annotations

import streamlit as st

from core.config import DataConfig
from core.jobs.threads import Busy
from dashboard.common import jobs, state
from dashboard.common.safe_text import md_escape
from dashboard.train import form as train_form
from dashboard.tune import form as tune_form
from dashboard.tune.views import study_view

POLL_S = 1.0  # live redraw period while a study runs
VIEW_KEY = "tune-view"  # "job": this session's study job; or the snapshot of a stored study

st.title("Tune")
st.caption(
    "Search cell, sizes, depth, dropout, learning rate, batch size, lookback and window values "
    "with Optuna. Trials train as background jobs, bad ones are pruned after an epoch or two, "
    "and only the validation span decides: the test span is scored once, for the best trial, "
    "after the search."
)
try:
    from core.tune import Budget, SearchSpace, Study, TuneSpec, list_studies, load_snapshot
    from core.tune.options import optuna

    optuna()
except ValueError as e:  # Optuna is not installed: say so, the rest of the lab works
    st.error(f"{md_escape(e)}.", icon=":material/error:")
    st.stop()

train_form.restore()
tune_form.restore()
jobs.collect_finished()

with st.container(border=True):
    st.subheader("1 · Data", anchor=False)
    st.caption("The same data, windows and split as on Train (the settings are shared).")
    dataset = train_form.data_source()
    data_cfg = train_form.data_settings(dataset)
    if isinstance(data_cfg, str):
        st.error(f"Data settings: {md_escape(data_cfg)}.", icon=":material/error:")
with st.container(border=True):
    st.subheader("2 · Search space", anchor=False)
    space = (
        tune_form.space_section(data_cfg, dataset.name)
        if not isinstance(data_cfg, str)
        else "fix the data settings first"
    )
    if isinstance(space, str):
        st.error(f"Search space: {md_escape(space)}.", icon=":material/error:")
with st.container(border=True):
    st.subheader("3 · Budget and method", anchor=False)
    method = tune_form.budget_section(max(1, jobs.manager().max_jobs))
    if isinstance(method, str):
        st.error(f"Budget: {md_escape(method)}.", icon=":material/error:")
train_form.remember()
tune_form.remember()

job = jobs.holder().get("tune")
running = job is not None and not job.done
view = st.session_state.get(VIEW_KEY)
shown = job.snapshot() if view == "job" and job is not None else view
ready = not isinstance(space, str) and not isinstance(method, str)


def start(spec_args: dict, name: str | None, message: str) -> None:
    """Validate and start a study (new, or the continuation of ``name``)."""
    try:
        study = Study(TuneSpec(**spec_args), jobs.manager(), name=name, session=state.session_id())
        jobs.adopt("tune", study.job())
    except (ValueError, Busy) as e:  # bad input or storage: one sentence, nothing lost
        st.error(f"{message}: {md_escape(e)}.", icon=":material/error:")
        return
    st.session_state[VIEW_KEY] = "job"
    st.rerun()


c = st.columns([1, 2, 1, 2])
if c[0].button(
    "Start",
    type="primary",
    icon=":material/play_arrow:",
    key="tune-start",
    disabled=running or not ready,
    width="stretch",
):
    budget, sampler, pruner, name = method
    start(
        dict(
            dataset=dataset,
            data_cfg=data_cfg,
            space=space,
            budget=budget,
            sampler=sampler,
            pruner=pruner,
        ),
        name,
        "The study cannot start",
    )
can_continue = shown is not None and not running and shown.get("space") and shown.get("data")
more = c[2].number_input(
    "More trials",
    1,
    500,
    value=6,
    key="tune-more",
    disabled=not can_continue,
    label_visibility="collapsed",
)
if c[1].button(
    "Continue the study with more trials",
    icon=":material/add:",
    key="tune-continue",
    disabled=not can_continue,
    width="stretch",
):
    old = shown["budget"] or {}
    data = DataConfig.from_dict(shown["data"]["data_cfg"])
    budget = Budget(
        trials=int(more), epochs=int(old.get("epochs", 10)), parallel=int(old.get("parallel", 1))
    )
    start(
        dict(
            dataset=dataset,
            data_cfg=data,
            space=SearchSpace.from_dict(shown["space"]),
            budget=budget,
            sampler=shown.get("sampler") or "tpe",
            pruner=shown.get("pruner") or "median",
        ),
        shown["study"],
        "The study cannot continue",
    )
if running:
    c[3].caption("A study is running: it goes on while you visit other pages.")

with st.expander("Open a stored study", icon=":material/folder_open:"):
    try:
        stored = list_studies()
    except ValueError as e:
        st.error(f"{md_escape(e)}.", icon=":material/error:")
        stored = []
    if stored:
        names = [s["name"] for s in stored]
        pick = st.selectbox(
            "Study",
            names,
            key="tune-stored",
            format_func=lambda n: next(
                f"{n} · {s['n_trials']} trials · started {s['started']}"
                for s in stored
                if s["name"] == n
            ),
        )
        if st.button("Open", key="tune-open-stored", disabled=running):
            try:
                st.session_state[VIEW_KEY] = load_snapshot(pick)
                st.rerun()
            except ValueError as e:
                st.error(f"{md_escape(e)}.", icon=":material/error:")
    else:
        st.caption("No stored study yet.")


def live() -> None:
    """Polled while the study runs; when it ends, the whole page redraws once."""
    j = jobs.holder().get("tune")
    v = st.session_state.get(VIEW_KEY)
    snap = j.snapshot() if v == "job" and j is not None else v
    study_view(snap, j if v == "job" else None)
    if j is not None and j.done and jobs.collect_finished():
        st.rerun(scope="app")


st.fragment(run_every=POLL_S if running and view == "job" else None)(live)()
