"""The Train page while a second run trains: only the live run, one Stop, "starting…"."""

from __future__ import annotations

import json
import threading

from conftest import errors_of, poll
from test_train_page import sine_page, train_job

from core.jobs.threads import Job
from dashboard.common.jobs import manager
from dashboard.train.panels import STATUS_STOP_CSS


def _blocked_job(release: threading.Event) -> Job:
    """A train job that has started but not yet published its epochs (as while it builds
    the windows and the model)."""

    def run(ctx):
        while not (release.is_set() or ctx.should_stop):
            release.wait(0.05)

    return Job(run, name="LSTM · synthetic sine · value", kind="train", meta={"result_key": "x"})


def _titles(at) -> list[str]:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.spec]
    return [s["layout"].get("title", {}).get("text", "") for s in specs]


def test_while_a_new_run_trains_only_it_shows_with_one_stop(app):
    at = sine_page(app, epochs=2)
    at.button(key="trainbtn-start").click().run()
    at = poll(at, lambda a: "run" in a.session_state, timeout=120)
    at.run()
    assert at.subheader[-1].value == "Current run"  # the first run's results
    assert sum(t.startswith("Loss") for t in _titles(at)) == 1

    release = threading.Event()
    job = manager().submit(_blocked_job(release))
    try:
        at.session_state["_lstmlab_jobs"].jobs["train"] = job
        at.run()
        assert not errors_of(at)
        assert train_job(at) is job and not job.done
        # only the live run: the earlier run's charts and results are not below it
        assert "Current run" not in [s.value for s in at.subheader]
        assert not [c for c in at.get("plotly_chart") if "train-run" in c.proto.id]
        assert sum(t.startswith("Loss") for t in _titles(at)) == 1
        assert len(at.dataframe) == 0
        # one Stop: the live panel's; the sidebar links to the page instead
        stops = [b for b in at.button if b.label == "Stop"]
        assert [b.key for b in stops] == ["train-live-stop"]
        links = at.sidebar.get("page_link")
        assert [link.proto.label for link in links] == ["Watch or stop it on Train"]
        # Streamlit's status widget keeps its running indicator, not its script Stop
        assert STATUS_STOP_CSS in [h.proto.body for h in at.get("html")]
        # no "epoch 0/0" before the trainer knows its epochs
        texts = [p.proto.text for p in at.get("progress")]
        assert texts and all("starting…" in t for t in texts), texts
        assert not any("epoch 0" in t for t in texts)
    finally:
        release.set()
        job.join(30)
    at.run()
    assert at.subheader[-1].value == "Current run"  # back once the job has ended
    assert not [h for h in at.get("html") if h.proto.body == STATUS_STOP_CSS]
