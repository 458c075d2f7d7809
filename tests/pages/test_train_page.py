"""The Train page in AppTest: settings, a real short run, stop, errors, the waiting line."""

from __future__ import annotations

import json
import re
import threading

import pytest
from conftest import errors_of, poll, run_page, shown

from core.config import ModelConfig
from core.models.recurrent import RecurrentForecaster, count_parameters
from core.tasks.live import DIVERGED_FIRST_EPOCH
from dashboard.train.form import SYNTHETIC_LABEL


def train_job(at):
    holder = at.session_state["_lstmlab_jobs"]
    return holder.get("train")


def sine_page(app, epochs: int = 3, **numbers):
    """The Train page on a short synthetic sine, with small settings."""
    at = run_page(app, "train.py")
    at.selectbox(key="train-source").set_value(SYNTHETIC_LABEL).run()
    at.number_input(key="train-syn-n").set_value(300).run()
    at.number_input(key="train-lookback").set_value(12)
    at.select_slider(key="train-hidden").set_value(8)
    at.number_input(key="train-epochs").set_value(epochs)
    for key, value in numbers.items():
        at.number_input(key=key).set_value(value)
    return at.run()


def specs(at) -> dict[str, dict]:
    return {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.spec}


def test_the_page_renders_with_a_preview_and_the_parameter_count(app):
    at = run_page(app, "train.py")
    assert not errors_of(at)
    assert at.title[0].value == "Train"
    assert at.selectbox(key="train-source").value == "MSFT (offline sample)"
    preview = json.loads(at.get("plotly_chart")[0].proto.spec)
    spans = [a["text"] for a in preview["layout"]["annotations"]]
    assert spans == ["train", "validation", "test"]
    assert preview["layout"]["yaxis"]["title"]["text"] == "Close (original units)"
    expected = count_parameters(RecurrentForecaster(ModelConfig(hidden_size=32)))
    assert any(f"**{expected:,} trainable parameters**" in shown(m.value) for m in at.markdown)
    assert not at.button(key="trainbtn-start").disabled
    assert "No trained run in this session yet" in shown(at.info[0].value)


def test_a_shorter_history_changes_the_windows(app):
    at = run_page(app, "train.py")
    at.selectbox(key="train-rows").set_value(500).run()
    assert not errors_of(at)
    # 500 rows: 350 train, 75 validation and 75 test rows; T=30, K=1
    assert shown(at.caption[1].value).startswith(
        "500 rows → 320 training, 75 validation and 75 test windows of T=30 steps"
    ), shown(at.caption[1].value)


def test_a_preset_fills_the_form_and_changes_the_parameter_count(app):
    at = run_page(app, "train.py")
    at.selectbox(key="train-preset").set_value("deep stacked").run()
    assert at.number_input(key="train-layers").value == 4
    assert at.number_input(key="train-dropout").value == pytest.approx(0.2)
    assert at.toggle(key="train-early").value is True
    cfg = ModelConfig(hidden_size=64, num_layers=4, dropout=0.2)
    expected = count_parameters(RecurrentForecaster(cfg))
    assert any(f"**{expected:,} trainable parameters**" in shown(m.value) for m in at.markdown)


def test_a_short_run_on_the_sine_becomes_the_session_run(app):
    at = sine_page(app)
    at.button(key="trainbtn-start").click().run()
    assert not errors_of(at)
    at = poll(at, lambda a: "run" in a.session_state, timeout=300)
    at.run()
    run = at.session_state["run"]
    assert run.dataset.name == "synthetic sine" and run.data_cfg.lookback == 12
    assert [h["epoch"] for h in run.fit.history] == [1, 2, 3]
    assert re.fullmatch(
        r"Training done in \d+:\d\d: finished 3 epochs\.", shown(at.success[0].value)
    )
    charts = specs(at)
    loss = next(s for s in charts.values() if s["layout"]["title"]["text"].startswith("Loss"))
    assert loss["layout"]["yaxis"]["type"] == "log"
    assert [len(t["x"]) for t in loss["data"][:2]] == [3, 3]
    # the score table shows the run's own numbers, model and naive, on both spans
    table = at.dataframe[0].value
    for span, name in (("val", "validation"), ("test", "test")):
        s = run.scores(span)
        assert table.loc[name, "model MAE"] == pytest.approx(s["model_mae"])
        assert table.loc[name, "naive MAE"] == pytest.approx(s["naive_mae"])
        assert table.loc[name, "MAE ratio"] == pytest.approx(s["model_mae"] / s["naive_mae"])


def test_the_run_and_the_settings_survive_a_visit_to_another_page(app):
    at = sine_page(app, epochs=2)
    at.button(key="trainbtn-start").click().run()
    at = poll(at, lambda a: "run" in a.session_state, timeout=300)
    run = at.session_state["run"]
    at.switch_page("../pages/home.py").run()
    at.switch_page("../pages/train.py").run()
    assert not errors_of(at)
    assert at.session_state["run"] is run
    assert at.selectbox(key="train-source").value == SYNTHETIC_LABEL
    assert at.number_input(key="train-epochs").value == 2
    assert at.subheader[-1].value == "Current run"
    assert len(at.dataframe) == 4  # scores; baselines on test and validation; coverage


def test_stop_keeps_a_usable_run(app):
    at = sine_page(app, epochs=2000)
    at.button(key="trainbtn-start").click().run()
    at = poll(at, lambda a: len(train_job(a).snapshot().get("history", [])) >= 2, timeout=300)
    at.button(key="train-live-stop").click().run()
    at = poll(at, lambda a: "run" in a.session_state, timeout=300)
    at.run()
    run = at.session_state["run"]
    assert run.fit.reason == "stopped"
    done = len(run.fit.history)
    assert done >= 2
    assert shown(at.info[0].value) == (
        f"Training stopped: stopped by the user during epoch {done + 1}; kept the weights of "
        f"epoch {done}."
    )
    assert run.scores("test")["n"] > 0  # usable: it forecasts
    assert not at.button(key="trainbtn-start").disabled


def test_bad_model_settings_are_refused_with_a_message(app):
    at = run_page(app, "train.py")
    at.number_input(key="train-dropout").set_value(0.2).run()
    assert shown(at.error[0].value) == (
        "Model settings: dropout acts between stacked layers: set num_layers > 1 or dropout = 0."
    )
    assert at.button(key="trainbtn-start").disabled


def test_a_window_longer_than_the_training_rows_is_refused(app):
    at = sine_page(app)
    at.number_input(key="train-syn-n").set_value(200).run()
    at.number_input(key="train-lookback").set_value(200).run()
    assert shown(at.error[0].value) == (
        "Data settings: only 140 training rows for lookback 200 + horizon 1: use a shorter "
        "lookback, a smaller validation/test share or more data."
    )
    assert at.button(key="trainbtn-start").disabled
    assert not at.exception


def test_a_diverging_run_says_so(app):
    # plain SGD at lr 1 without clipping on the default sine: the loss explodes by orders of
    # magnitude in epoch 1 (seeded), so those weights are not kept as a run (issue 20.6)
    at = run_page(app, "train.py")
    at.selectbox(key="train-source").set_value(SYNTHETIC_LABEL).run()
    at.selectbox(key="train-optimizer").set_value("sgd")
    at.select_slider(key="train-lr").set_value(1.0)
    at.toggle(key="train-clip-on").set_value(False)
    at.number_input(key="train-epochs").set_value(5)
    at.run()
    at.button(key="trainbtn-start").click().run()
    at = poll(at, lambda a: train_job(a).done, timeout=300)
    at.run()
    assert shown(at.error[0].value) == f"Training failed: {DIVERGED_FIRST_EPOCH}."
    assert "run" not in at.session_state


def test_a_failed_job_keeps_the_earlier_run(app):
    at = sine_page(app, epochs=2)
    at.button(key="trainbtn-start").click().run()
    at = poll(at, lambda a: "run" in a.session_state, timeout=300)
    first = at.session_state["run"]
    at.selectbox(key="train-optimizer").set_value("sgd")
    at.select_slider(key="train-lr").set_value(10.0)
    at.select_slider(key="train-batch").set_value(8)
    at.toggle(key="train-clip-on").set_value(False)
    at.run()
    at.button(key="trainbtn-start").click().run()
    at = poll(at, lambda a: train_job(a).done, timeout=300)
    at.run()
    assert shown(at.error[0].value) == f"Training failed: {DIVERGED_FIRST_EPOCH}."
    assert at.session_state["run"] is first
    assert at.subheader[-1].value == "Current run"


def test_a_full_server_puts_the_job_in_line_with_its_place_and_a_cancel(app):
    from core.jobs.threads import Job
    from dashboard.common.jobs import manager

    at = sine_page(app)
    release = threading.Event()
    others = [
        manager().submit(Job(lambda ctx: release.wait(60), name=f"other tab {i}"))
        for i in range(manager().max_jobs)
    ]
    try:
        at.button(key="trainbtn-start").click().run()
        job = train_job(at)
        assert job is not None and job.status == "queued" and not errors_of(at)
        texts = [shown(p.proto.text) for p in at.get("progress")]
        place = "1st in line: it starts when a training slot frees up"
        assert any(t.endswith(place) for t in texts), texts
        assert any("your job waits in line" in shown(m.value) for m in at.markdown)
        assert at.sidebar.button(key=f"sidebar-cancel-{job.id}").label == "Cancel"
        release.set()  # a slot frees: the job in line starts and trains to the end
        assert job.join(120) and job.status == "done"
        at = poll(at, lambda a: "run" in a.session_state)
        # a second one in line can be cancelled from the sidebar: it never starts
        release.clear()
        others = [
            manager().submit(Job(lambda ctx: release.wait(60), name=f"again {i}"))
            for i in range(manager().max_jobs)
        ]
        at.button(key="trainbtn-start").click().run()
        second = train_job(at)
        assert second is not job and second.status == "queued"
        at.sidebar.button(key=f"sidebar-cancel-{second.id}").click().run()
        assert second.join(10) and second.status == "stopped"
        assert second.snapshot()["message"] == "cancelled while waiting in line: it never started"
    finally:
        release.set()
        for other in others:
            other.join(60)
