"""The app on the Ray backend (issue 15): the Train page trains in a Ray worker to the end and
the server saves the run; an unreachable cluster is a sentence in the sidebar and the app
trains on threads."""

from __future__ import annotations

import os

from conftest import errors_of, poll, run_page, shown

from dashboard.train.form import SYNTHETIC_LABEL


def sine_page(app, epochs: int = 3):
    at = run_page(app, "train.py")
    at.selectbox(key="train-source").set_value(SYNTHETIC_LABEL).run()
    at.number_input(key="train-syn-n").set_value(300).run()
    at.number_input(key="train-lookback").set_value(12)
    at.select_slider(key="train-hidden").set_value(8)
    at.number_input(key="train-epochs").set_value(epochs)
    return at.run()


def train_job(at):
    return at.session_state["_lstmlab_jobs"].get("train")


def captions(at) -> list[str]:
    return [shown(c.value) for c in at.sidebar.caption]


def test_the_train_page_trains_on_ray_and_the_server_saves_the_run(
    app, ray_local, store, monkeypatch
):
    monkeypatch.setenv("LSTMLAB_BACKEND", "ray")
    at = sine_page(app)
    at.button(key="trainbtn-start").click().run()
    job = train_job(at)
    assert job is not None and not errors_of(at)
    assert job.join(180)
    at = poll(at, lambda a: "run" in a.session_state)
    snap = job.snapshot()
    assert snap["status"] == "done", snap["message"]
    assert snap["backend"] == "ray" and snap["where"]["pid"] != os.getpid()
    assert [h["epoch"] for h in at.session_state["run"].fit.history] == [1, 2, 3]
    [info] = store.list()  # saved by the server: the worker has no runs folder
    assert info.id == snap["saved_run"]
    assert any(c.startswith("Server: Ray (local: 2 CPUs)") for c in captions(at)), captions(at)
    assert not errors_of(at)


def test_an_unreachable_cluster_is_said_in_the_sidebar_and_training_runs_on_threads(
    app, monkeypatch
):
    monkeypatch.setenv("LSTMLAB_BACKEND", "ray")
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:1")
    at = sine_page(app, epochs=1)
    notice = (
        ":material/warning: the Ray cluster at 127.0.0.1:1 cannot be reached (Connection "
        "refused); training runs on this server's threads instead."
    )
    assert notice in captions(at)
    at.button(key="trainbtn-start").click().run()
    job = train_job(at)
    assert job.join(120) and job.snapshot()["backend"] == "thread"
    at = poll(at, lambda a: "run" in a.session_state)
    assert any(c.startswith("Server: threads of this server") for c in captions(at))
