"""The Tune page in AppTest: a tiny study runs to completion with every view drawn, the best
trial's test scores beside naive, its run opens on Train; a stored study reopens after a
restart; bad input is a sentence on the page."""

from __future__ import annotations

import json

import pytest
from conftest import errors_of, fresh_app, poll, run_page, shown

from dashboard.train.form import SYNTHETIC_LABEL

pytest.importorskip("optuna")


def tiny_form(app, trials: int = 5):
    at = run_page(app, "tune.py")
    assert not errors_of(at), errors_of(at)
    at.selectbox(key="train-source").set_value(SYNTHETIC_LABEL).run()
    at.number_input(key="train-syn-n").set_value(300).run()
    at.number_input(key="train-lookback").set_value(10).run()
    at.multiselect(key="tune-cells").set_value(["lstm", "gru"])
    at.multiselect(key="tune-hidden").set_value([4, 8])
    at.multiselect(key="tune-batch").set_value([64])
    at.slider(key="tune-layers").set_value((1, 1))
    at.number_input(key="tune-trials").set_value(trials)
    at.number_input(key="tune-epochs").set_value(3)
    at.number_input(key="tune-parallel").set_value(1)
    at.text_input(key="tune-name").set_value("page-study")
    return at.run()


def titles(at) -> list[str]:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.spec]
    return [s["layout"].get("title", {}).get("text", "") for s in specs]


def test_a_tiny_study_runs_on_the_page_and_its_best_run_opens(app, store):
    at = tiny_form(app)
    assert not errors_of(at)
    at.button(key="tune-start").click().run()
    at = poll(
        at,
        lambda a: any(s.value == "Best trial on the test span" for s in a.subheader),
        timeout=180,
    )
    assert not errors_of(at), errors_of(at)
    names = titles(at)
    for title in (
        "Optimisation history",
        "Learning curves",
        "Parallel coordinates",
        "Parameter importances",
    ):
        assert any(t.startswith(title) for t in names), (title, names)
    table = at.dataframe[0].value
    assert len(table) == 5 and {"state", "cell", "hidden_size", "val MSE"} <= set(table.columns)
    scores = at.dataframe[1].value
    assert list(scores["forecast"])[:2] == ["tuned model", "naive (last value)"]
    assert scores["test MAE"].notna().all()
    assert any("Model MAE / naive MAE" in m.label for m in at.metric)
    assert len(store.list()) == 1  # the best trial, saved once as a run
    run_id = store.list()[0].id
    # continue the finished study with two more trials
    at.number_input(key="tune-more").set_value(2)
    at.button(key="tune-continue").click().run()
    at = poll(
        at,
        lambda a: (
            any(s.value == "Best trial on the test span" for s in a.subheader)
            and len(a.dataframe[0].value) == 7
        ),
        timeout=180,
    )
    assert not errors_of(at), errors_of(at)
    run_id = at.session_state["_lstmlab_jobs"].get("tune").snapshot()["result"]["run_id"]
    at.button(key="tune-open-train").click().run()
    assert at.session_state["run"].extras["saved_run_id"] == run_id

    # a restart: a new session opens the stored study from its database
    again = run_page(fresh_app(), "tune.py")
    again.expander[0]  # "Open a stored study"
    assert again.selectbox(key="tune-stored").value == "page-study"
    again.button(key="tune-open-stored").click().run()
    assert not errors_of(again)
    assert any(t.startswith("Learning curves") for t in titles(again))
    assert any("7 trials" in shown(m.value) for m in again.markdown)


def test_bad_input_is_a_sentence(app, store, monkeypatch):
    at = tiny_form(app)
    at.multiselect(key="tune-cells").set_value([]).run()
    assert any("search space is empty: pick at least one cell" in e for e in errors_of(at))
    assert at.button(key="tune-start").disabled
    at.multiselect(key="tune-cells").set_value(["lstm"]).run()
    at.number_input(key="tune-epochs").set_value(0).run()
    assert any("cannot run one trial" in e for e in errors_of(at))
    at.number_input(key="tune-epochs").set_value(3).run()
    monkeypatch.setenv("LSTMLAB_OPTUNA_STORAGE", "postgresql://127.0.0.1:1/x")
    at.button(key="tune-start").click().run()
    assert any("The study cannot start" in e and "cannot be reached" in e for e in errors_of(at))
