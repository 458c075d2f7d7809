"""Saved comparisons on the Runs page and the RNN vs GRU vs LSTM page (real AppTest, real
training): compare on the page, reopen after a restart with the same losses, curves,
gradients and reading; the runs list, details, export and the Compare tab."""

from __future__ import annotations

import json
from functools import partial

import pytest
from conftest import errors_of, fresh_app, poll, run_page, screenshot, settle, shown, wait_ready

from core.compare.longmemory import make_task
from core.compare.specs import ARCHITECTURES
from core.compare.training import compare
from core.config import TrainConfig
from core.runs import registry as run_kinds
from core.runs.kinds.compare import summarize
from core.runs.store import RunStore

RESULT_KEY = "compare_result"


@pytest.fixture(scope="module")
def summary():
    task = partial(make_task, "echo", 4, n_train=256, n_val=128, seed=0)()
    specs = [ARCHITECTURES[label] for label in ("RNN", "LSTM")]
    return summarize(compare(task, specs, 8, TrainConfig(epochs=2, batch_size=64)))


def _finished(at) -> bool:
    job = at.session_state["_lstmlab_jobs"].get("compare")
    return job is not None and job.done


def _drawn(at) -> dict:
    """What the compare page shows: final losses, chart traces, the reading."""
    table = at.dataframe[0].value
    charts = {c.key: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    reading = [shown(m.value) for m in at.markdown if m.value.startswith("- Same data")]
    return {
        "archs": list(table["architecture"]),
        "final": list(table["final val loss"]),
        "params": list(table["parameters"]),
        "loss traces": [t.get("name") for t in charts["compare-loss"]["data"]],
        "grad traces": [t.get("name") for t in charts["compare-grad"]["data"]],
        "reading": reading,
    }


def test_a_comparison_made_on_the_page_reopens_after_a_restart(app, store):
    at = run_page(app, "compare.py")
    at.multiselect(key="cmp-archs").set_value(["RNN", "LSTM"])
    at.slider(key="cmp-lag").set_value(4)
    at.select_slider(key="cmp-n").set_value(1024)
    at.slider(key="cmp-epochs").set_value(2)
    at.select_slider(key="cmp-hidden").set_value(16)
    at.run().button(key="compare-start").click().run()
    at = poll(at, _finished, timeout=300)
    at.run()
    assert not errors_of(at)
    live = at.session_state[RESULT_KEY]
    [info] = store.list()
    assert info.kind == "compare" and live.extras["saved_run_id"] == info.id
    assert f"Saved in the runs folder as run `{info.id}` (Runs page)." in [
        shown(c.value) for c in at.caption
    ]
    before = _drawn(at)
    assert before["archs"] == ["RNN", "LSTM"]
    assert before["final"] == pytest.approx([r.val_loss for r in live.results])

    again = run_page(fresh_app(), "runs.py")  # a restarted app: nothing in memory
    assert RESULT_KEY not in again.session_state
    row = again.dataframe[0].value.iloc[0]
    assert (row["kind"], row["units"], row["model"]) == (
        "compare", "validation loss (task units)", "RNN / LSTM 16 units",
    )  # fmt: skip
    assert again.selectbox(key="runs-selected").value == info.id
    again.button(key="runs-open").click().run()
    assert not errors_of(again)
    assert shown(again.success[0].value) == (
        f"Opened '{info.name}': it is now this session's comparison result."
    )
    assert [p.proto.label for p in again.get("page_link")] == [
        "See it on the RNN vs GRU vs LSTM page"
    ]
    again.switch_page("../pages/compare.py")
    again.run()
    assert not errors_of(again)
    assert again.session_state[RESULT_KEY].extras["saved_run_id"] == info.id
    after = _drawn(again)
    assert after == before  # the same losses, parameters, curves, gradients and reading
    assert shown(again.info[0].value).startswith(f"Showing the saved comparison `{info.id}`")
    assert any(c.value.startswith("Opened from the runs folder: a comparison keeps") for c in
               again.caption)  # fmt: skip


def test_details_export_and_compare_tab_of_saved_comparisons(app, store, summary):
    kind = run_kinds.get("compare")
    kind.save(store, summary, name="echo lag 4, first")
    kind.save(store, summary, name="echo lag 4, second")
    at = run_page(app, "runs.py")
    assert not errors_of(at)
    assert list(at.dataframe[0].value["kind"]) == ["compare", "compare"]
    details = next(m.value for m in at.markdown if m.value.startswith("- **Task**"))
    assert details.startswith("- **Task**: Delayed echo, lag 4 · trivial predictor ")
    assert "2 epochs of batch 64" in details
    rnn = summary.archs[0]["val_loss"]
    assert f"**Final validation loss**: RNN {rnn:.4g}; LSTM " in details
    [button] = at.get("download_button")
    assert button.proto.label == "Summary (.json)"
    exported = json.loads(kind.checkpoint_bytes(store, store.list()[0].id))
    assert exported["summary"]["reading"] == summary.reading()
    assert not [b for b in at.button if b.key == "runs-onnx-build"]
    # the Compare tab: every architecture of both comparisons, in the task's units
    overlay = next(c for c in at.get("plotly_chart") if c.key == "runs-overlay-compare")
    spec = json.loads(overlay.proto.spec)
    assert [t["name"] for t in spec["data"]] == ["#1 RNN", "#1 LSTM", "#2 RNN", "#2 LSTM"]
    assert spec["layout"]["yaxis"]["title"]["text"].startswith("validation loss (task units)")
    table = next(d.value for d in at.dataframe if "architecture" in d.value.columns)
    assert list(table["final val loss"]) == pytest.approx([rnn, summary.archs[1]["val_loss"]] * 2)
    assert list(table["val / trivial"]) == pytest.approx(
        [a["val_loss"] / summary.task["trivial"] for a in summary.archs] * 2
    )


@pytest.mark.browser
def test_an_opened_comparison_in_a_browser(page, server_url, summary):
    """The real server saves into artifacts/test-runs (conftest); seed a run there."""
    store = RunStore.default()
    for r in store.list():
        if r.name.startswith("browser comparison"):
            store.delete(r.id)
    run_kinds.get("compare").save(store, summary, name="browser comparison echo")
    page.goto(f"{server_url}/runs")
    wait_ready(page)
    page.get_by_text("Run to open, manage or export").wait_for()
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="browser comparison echo").first.click()
    wait_ready(page)
    page.get_by_test_id("stTabs").get_by_role("button", name="Open").first.click()
    page.get_by_text("it is now this session's comparison result").wait_for()
    wait_ready(page)
    page.get_by_text("Details: data, settings, timings").click()
    page.get_by_test_id("stExpanderDetails").get_by_text("Final validation loss").wait_for()
    settle(page)  # the expander's opening animation
    screenshot(page, "runs-page-comparison")
    page.get_by_role("link", name="See it on the RNN vs GRU vs LSTM page").click()
    page.get_by_text("Showing the saved comparison").wait_for(timeout=120_000)
    wait_ready(page)
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    page.locator("[data-testid='stPlotlyChart']").first.scroll_into_view_if_needed()
    settle(page)
    screenshot(page, "compare-page-opened-run")
