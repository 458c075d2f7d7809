"""The sidebar's job status polls the server only while a job of the session runs.

An idle session must cost the server nothing between clicks (issue 20: every idle
session's sidebar reran once a second, and five idle users starved the server).
"""

from __future__ import annotations

import pytest
from conftest import errors_of, fresh_app, shown

from dashboard.common.jobs import HOLDER_KEY, SIDEBAR_POLL_S


@pytest.fixture
def timers(monkeypatch) -> list[float]:
    """Intervals of the auto-rerun timers (``st.fragment(run_every=...)``) the app sends."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext

    seen: list[float] = []
    real = ScriptRunContext.enqueue

    def spy(self, msg):
        if msg.HasField("auto_rerun"):
            seen.append(msg.auto_rerun.interval)
        return real(self, msg)

    monkeypatch.setattr(ScriptRunContext, "enqueue", spy)
    return seen


def _waiting_job(ctx):
    ctx.stop_event.wait(60)  # runs until stopped


def test_an_idle_home_polls_nothing_and_polls_while_a_job_runs(timers):
    from core.jobs.threads import JobManager, training_job

    at = fresh_app().run()  # Home, nothing trains: no timer at all
    assert not errors_of(at)
    assert timers == []
    holder = at.session_state[HOLDER_KEY]
    job = JobManager(max_jobs=1).submit(training_job(_waiting_job, name="wait", threads=1))
    holder.jobs["train"] = job
    at.run()
    assert timers == [SIDEBAR_POLL_S]  # Home has no fragment of its own: this is the sidebar
    job.stop()
    assert job.join(30)
    at.run()  # the sidebar collects the finished job and shows it as stopped
    assert any("stopped after" in shown(c.value) for c in at.sidebar.caption)
    timers.clear()
    at.run()
    assert timers == []  # idle again


def _start_page():
    import streamlit as st

    from dashboard.common import jobs

    def waiting(ctx):
        ctx.stop_event.wait(60)

    jobs.sidebar_status()
    if st.button("Go", key="go"):
        jobs.start_job("train", waiting, name="wait", result_key="r")
    jobs.poll_if_started()


def test_a_job_started_after_the_sidebar_was_drawn_starts_its_polling(timers):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_start_page, default_timeout=60).run()
    assert timers == []
    at.button(key="go").click().run()  # the job starts after the idle sidebar was drawn
    assert timers == [SIDEBAR_POLL_S]  # one more run drew it polling
    holder = at.session_state[HOLDER_KEY]
    holder.stop_all()
    assert holder.jobs["train"].join(30)
