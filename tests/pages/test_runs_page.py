"""The Runs page in a real AppTest (and once in a real browser): reopen after a restart,
manage, compare, export, import, limits."""

from __future__ import annotations

import json
import pickle

import pandas as pd
import pytest
from conftest import errors_of, fresh_app, poll, run_page, screenshot, shown, wait_ready

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import synthetic
from core.forecast.run import fit_forecaster
from core.runs.formats import forecaster as ck
from core.runs.kinds import forecaster as forecaster_runs
from core.runs.store import Limits, RunStore

DATA = synthetic("sine", n=140)
APPTEST_SESSION = "test session id"  # what every AppTest's script run context says


def tiny(hidden: int):
    return fit_forecaster(
        DATA,
        DataConfig(target="value", lookback=6),
        ModelConfig(hidden_size=hidden),
        TrainConfig(epochs=2, batch_size=32),
    )


@pytest.fixture(scope="module")
def runs():
    return [tiny(3), tiny(5)]


def test_empty_folder_says_what_to_do(app, store):
    at = run_page(app, "runs.py")
    assert not errors_of(at)
    assert any(i.value.startswith("No saved runs yet.") for i in at.info)
    assert at.button(key="runs-import").label == "Restore this run"


def test_home_run_is_saved_and_reopens_after_a_restart(app, store):
    at = app.run()
    at.button(key="home-start").click().run()
    at = poll(at, lambda a: "run" in a.session_state, timeout=300)
    trained = at.session_state["run"]
    saved_id = trained.extras["saved_run_id"]
    assert [i.id for i in store.list()] == [saved_id]

    again = run_page(fresh_app(), "runs.py")  # a restarted app: nothing in memory
    assert "run" not in again.session_state
    assert again.selectbox(key="runs-selected").value == saved_id
    again.button(key="runs-open").click().run()
    assert not errors_of(again)
    opened = again.session_state["run"]
    for span in ("val", "test"):
        pd.testing.assert_frame_equal(opened.predictions(span), trained.predictions(span))
    assert opened.dataset.fingerprint() == trained.dataset.fingerprint()
    assert any("is now this session's current run" in shown(s.value) for s in again.success)


def test_rename_pin_and_delete_with_confirmation(app, store, runs):
    rid = forecaster_runs.save(store, runs[0], name="old name", session=APPTEST_SESSION).info.id
    at = run_page(app, "runs.py")
    at.text_input(key=f"runs-rename-{rid}").input("  sine   baseline ")
    at.button(key="runs-rename").click().run()
    assert store.get(rid).name == "sine baseline"
    at.button(key="runs-pin").click().run()
    assert store.get(rid).pinned and at.button(key="runs-pin").label == "Unpin"
    at.button(key="runs-delete").click().run()
    assert shown(at.warning[0].value) == (
        "Delete 'sine baseline' and its checkpoints from disk? This cannot be undone."
    )
    at.button(key="runs-delete-cancel").click().run()
    assert store.list() and not at.warning
    at.button(key="runs-delete").click().run()
    at.button(key="runs-delete-confirm").click().run()
    assert store.list() == [] and not errors_of(at)
    assert shown(at.success[0].value).startswith("Deleted 'sine baseline'.")


def test_compare_overlays_losses_and_tabulates_metrics(app, store, runs):
    names = ["three units", "five units"]
    for run, name in zip(runs, names, strict=True):
        forecaster_runs.save(store, run, name=name)
    at = run_page(app, "runs.py")
    assert not errors_of(at)
    overlay = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert sorted(t["name"] for t in overlay["data"]) == sorted(names)
    assert overlay["layout"]["yaxis"]["title"]["text"] == "val loss (MSE, scaled)"
    table = at.dataframe[1].value
    assert sorted(table["run"]) == sorted(names)
    want = {n: r.scores("test")["model_mae"] for n, r in zip(names, runs, strict=True)}
    for _, row in table.iterrows():
        assert row["test MAE"] == pytest.approx(want[row["run"]])
    bars = json.loads(at.get("plotly_chart")[1].proto.spec)["data"][0]
    for run_name, ratio in zip(bars["y"], bars["x"], strict=True):  # horizontal bars
        scores = runs[names.index(run_name)].scores("test")
        assert ratio == pytest.approx(scores["model_mae"] / scores["naive_mae"])


def test_import_restores_a_run_and_refuses_hostile_files(app, store, runs):
    good = ck.to_bytes(ck.run_to_dict(runs[1]))
    at = run_page(app, "runs.py")
    at.file_uploader(key="runs-upload").set_value(("model.pt", good, "application/octet-stream"))
    at.button(key="runs-import").click().run()
    assert not errors_of(at)
    current = at.session_state["run"]
    pd.testing.assert_frame_equal(current.predictions("test"), runs[1].predictions("test"))
    assert [i.meta["origin"] for i in store.list()] == ["imported"]

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    for payload, message in [
        (pickle.dumps(Evil()), "this file is a plain Python pickle, not a checkpoint saved"),
        (good[:400], "the file is truncated or damaged"),
    ]:
        at.file_uploader(key="runs-upload").set_value(("x.pt", payload, "application/octet-stream"))
        at.button(key="runs-import").click().run()
        assert shown(at.error[0].value).startswith(message)
        assert at.session_state["run"] is current  # earlier work survives
        assert len(store.list()) == 1


def test_export_builds_a_checked_onnx_file(app, store, runs):
    forecaster_runs.save(store, runs[0])
    at = run_page(app, "runs.py")
    assert [b.label for b in at.get("download_button")] == ["Checkpoint (.pt)", "Settings (.json)"]
    at.button(key="runs-onnx-build").click().run()
    assert not errors_of(at)
    check = next(c.value for c in at.caption if c.value.startswith("Checked with onnxruntime"))
    assert float(check.rsplit("= ", 1)[1].rstrip(".")) < 1e-5
    assert at.get("download_button")[-1].proto.label == "ONNX (.onnx)"


def test_without_onnx_the_page_says_how_to_get_it(app, store, runs, monkeypatch):
    import dashboard.runs.ui as ui

    monkeypatch.setattr(ui, "available", lambda module: False)
    forecaster_runs.save(store, runs[0])
    at = run_page(app, "runs.py")
    assert not errors_of(at)
    assert any("pip install -r requirements-onnx.txt" in shown(i.value) for i in at.info)
    assert not [b for b in at.button if b.key == "runs-onnx-build"]


def test_the_user_is_told_which_runs_the_limits_removed(app, store, runs):
    small = RunStore(store.root, Limits(per_session=1))
    forecaster_runs.save(small, runs[0], name="oldest", session=APPTEST_SESSION)
    forecaster_runs.save(small, runs[1], name="newest", session=APPTEST_SESSION)
    at = run_page(app, "runs.py")
    notice = next(i.value for i in at.info if "were removed" in i.value)
    assert "'oldest'" in notice and "more than 1 runs in this session" in notice
    assert [i.name for i in store.list()] == ["newest"]


@pytest.mark.browser
def test_runs_page_in_a_browser(page, server_url, runs):
    """The real server saves into artifacts/test-runs (conftest); seed two runs there."""
    store = RunStore.default()
    for r in store.list():
        if r.name.startswith("browser "):
            store.delete(r.id)
    forecaster_runs.save(store, runs[0], name="browser small")
    forecaster_runs.save(store, runs[1], name="browser wider")
    page.goto(f"{server_url}/runs")
    wait_ready(page)
    page.get_by_text("Run to open, manage or export").wait_for()
    assert page.get_by_text("browser wider").count() >= 1
    screenshot(page, "runs-page")
    page.get_by_role("tab", name="Compare").click()
    page.wait_for_selector("[data-testid='stPlotlyChart']")
    assert page.get_by_text("Validation loss of the selected runs").count() >= 1
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    screenshot(page, "runs-page-compare")
    charts = page.locator("[data-testid='stPlotlyChart']")
    charts.nth(1).scroll_into_view_if_needed()  # the metrics table and the MAE bars
    assert page.get_by_text("Test error relative to the naive").count() >= 1
    page.screenshot(path=str(screenshot(page, "runs-page-metrics")))  # the scrolled viewport
    page.get_by_role("tab", name="Export").click()
    page.get_by_role("button", name="Build the ONNX file").click()
    page.get_by_text("Checked with onnxruntime").wait_for()
    screenshot(page, "runs-page-export")


def test_a_failed_save_is_shown_and_the_trained_run_survives(app, tmp_path, monkeypatch):
    blocker = tmp_path / "runs-is-a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LSTMLAB_RUNS_DIR", str(blocker))
    at = app.run()
    at.button(key="home-start").click().run()
    at = poll(at, lambda a: "run" in a.session_state, timeout=300)
    at.switch_page("../pages/runs.py")
    at.run()
    assert not at.exception
    warning = next(w.value for w in at.warning if "could not be saved" in w.value)
    assert warning.startswith("the run was trained but could not be saved in the runs folder")
    assert str(tmp_path) not in warning  # never a server path in the browser
    assert at.session_state["run"].fit.history  # the trained run is still the current run


def test_each_browser_session_sees_only_its_runs_and_the_shared_gallery(app, store, runs):
    from dashboard.common.state import SESSION_ID_KEY

    forecaster_runs.save(store, runs[0], name="alice's run", session="alice")
    forecaster_runs.save(store, runs[1], name="bob's run", session="bob")
    gallery = forecaster_runs.save(store, runs[1], name="pinned demo", session="carol").info.id
    store.set_shared(gallery, True)
    seen = {}
    for who in ("alice", "bob"):
        at = fresh_app()
        at.session_state[SESSION_ID_KEY] = who
        at = run_page(at, "runs.py")
        assert not errors_of(at)
        options = at.selectbox(key="runs-selected").options
        seen[who] = sorted(o.split(" · ")[0] for o in options)
        assert not any(str(store.root) in shown(c.value) for c in at.caption)  # no server paths
        at.selectbox(key="runs-selected").set_value(gallery).run()
        assert at.button(key="runs-delete").disabled and at.button(key="runs-pin").disabled
        assert not [t for t in at.text_input if t.key.startswith("runs-rename")]
        at.button(key="runs-open").click().run()  # open is allowed
        assert not errors_of(at) and "run" in at.session_state
    assert seen == {"alice": ["alice's run", "pinned demo"], "bob": ["bob's run", "pinned demo"]}


def test_evictions_are_told_on_the_page_that_saved_the_run(app, store, runs, monkeypatch):
    monkeypatch.setenv("LSTMLAB_RUNS_PER_SESSION", "1")
    forecaster_runs.save(store, runs[0], name="my older run", session=APPTEST_SESSION)
    at = app.run()
    at.button(key="home-start").click().run()
    at = poll(at, lambda a: "run" in a.session_state, timeout=300)
    at.switch_page("../pages/train.py")
    at = poll(at, lambda a: any("older run" in shown(i.value) for i in a.info), timeout=60)
    note = shown(next(i.value for i in at.info if "older run" in i.value))
    assert note.startswith("Removed 1 older run to stay within the limits") and (
        "'my older run'" in note
    )
