"""Text models on the Runs page (real AppTest, real training, real browser): train on the
Text page, reopen after a restart, import a charlm checkpoint, list and compare by kind."""

from __future__ import annotations

import io
import json

import pytest
import torch
from conftest import errors_of, fresh_app, poll, run_page, screenshot, shown, wait_ready

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import synthetic
from core.forecast.run import fit_forecaster
from core.runs import registry as run_kinds
from core.runs.formats.text import text_run_bytes
from core.runs.kinds import forecaster as forecaster_runs
from core.runs.store import RunStore
from core.text import CharModelConfig, CharTrainConfig, build_text_run, fit_text, load_shakespeare

MODEL = CharModelConfig(embed_size=8, hidden_size=16, num_layers=1)
TRAIN = CharTrainConfig(
    max_steps=4, batch_size=8, seq_len=32, log_every=2, sample_every_s=0, sample_length=20
)


def tiny_text(chars: int = 3000, seed: int = 0):
    cfg = TRAIN.replace(seed=seed)
    run, train_ids, val_ids = build_text_run(load_shakespeare(chars), MODEL, cfg)
    return fit_text(run, train_ids, val_ids)


@pytest.fixture(scope="module")
def text_runs():
    return [tiny_text(3000, 0), tiny_text(3000, 1)]


@pytest.fixture(scope="module")
def forecaster():
    return fit_forecaster(
        synthetic("sine", n=120), DataConfig(target="value", lookback=6),
        ModelConfig(hidden_size=3), TrainConfig(epochs=2, batch_size=32),
    )  # fmt: skip


def click_generate(at, prompt: str, length: int, seed: int):
    at.text_input(key="text-prompt").input(prompt)
    at.number_input(key="text-temp").set_value(0.0)
    at.number_input(key="text-length").set_value(length)
    at.number_input(key="text-gen-seed").set_value(seed)
    at.button[[b.label for b in at.button].index("Generate")].click().run()
    assert not errors_of(at)
    return at.session_state["text_generation"]


def test_a_text_model_trained_on_the_page_reopens_after_a_restart(app, store):
    at = run_page(app, "text.py")
    at.radio(key="text-source").set_value("Paste text").run()
    at.text_area(key="text-paste").input(load_shakespeare(7000).text).run()
    at.button(key="text-train").click().run()
    at = poll(at, lambda a: "text_run" in a.session_state, timeout=300)
    trained = at.session_state["text_run"]
    [info] = store.list()
    assert info.kind == "text" and trained.extras["saved_run_id"] == info.id
    saved = f"Saved in the runs folder as run `{info.id}`"
    assert any(c.value.startswith(saved) for c in at.caption)
    first = click_generate(at, "ROMEO:", 80, 5)

    again = run_page(fresh_app(), "runs.py")  # a restarted app: nothing in memory
    assert "text_run" not in again.session_state
    assert again.selectbox(key="runs-selected").value == info.id
    again.button(key="runs-open").click().run()
    assert not errors_of(again)
    assert (
        shown(again.success[0].value)
        == f"Opened '{info.name}': it is now this session's text model."
    )
    assert [p.proto.label for p in again.get("page_link")] == [
        "Generate with it on the Text generation page"
    ]
    assert again.session_state["text_run"].extras["saved_run_id"] == info.id
    again.switch_page("../pages/text.py")
    again.run()
    assert any(c.value.startswith("Current text model: LSTM 1 × 128") for c in again.caption)
    reopened = click_generate(again, "ROMEO:", 80, 5)
    assert reopened.text == first.text and len(first.text) == 80


def test_a_charlm_checkpoint_is_imported_and_unknown_formats_refused(app, store, text_runs):
    saved = text_runs[0]
    at = run_page(app, "runs.py")
    at.file_uploader(key="runs-upload").set_value(
        ("shakespeare.pt", text_run_bytes(saved), "application/octet-stream")
    )
    at.button(key="runs-import").click().run()
    assert not errors_of(at)
    [info] = store.list()
    assert (info.kind, info.meta["origin"]) == ("text", "imported")
    assert info.name == "imported shakespeare.pt · Tiny Shakespeare"
    assert (
        shown(at.success[0].value)
        == f"Restored '{info.name}': it is now this session's text model."
    )
    current = at.session_state["text_run"]
    for a, b in zip(current.model.parameters(), saved.model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)

    buf = io.BytesIO()
    torch.save({"format": "lstm-lab/translator", "version": 1}, buf)
    at.file_uploader(key="runs-upload").set_value(("s.pt", buf.getvalue(), "application/x"))
    at.button(key="runs-import").click().run()
    assert [shown(e.value) for e in at.error] == [
        "this checkpoint's format is 'lstm-lab/translator', which this LSTM Lab cannot open; "
        "it imports 'lstm-lab/forecaster', 'lstm-lab/charlm' and 'lstm-lab/sentiment' "
        "checkpoints"
    ]
    assert at.session_state["text_run"] is current and len(store.list()) == 1  # nothing lost


def test_loading_on_the_text_page_adds_the_model_to_the_runs(app, store, text_runs):
    at = run_page(app, "text.py")
    raw = text_run_bytes(text_runs[1])
    at.file_uploader(key="text-load").set_value(("m.pt", raw, "application/octet-stream"))
    at.run()
    assert not errors_of(at)
    [info] = store.list()
    assert (info.kind, info.meta["origin"], info.name) == (
        "text", "imported", "imported m.pt · Tiny Shakespeare",
    )  # fmt: skip
    assert at.session_state["text_run"].extras["saved_run_id"] == info.id


def test_the_runs_list_shows_both_kinds_and_compares_one_kind_at_a_time(
    app, store, text_runs, forecaster
):
    kind = run_kinds.get("text")
    forecaster_runs.save(store, forecaster, name="sine forecaster")
    for i, run in enumerate(text_runs):
        kind.save(store, run, name=f"text {i}")
    at = run_page(app, "runs.py")
    assert not errors_of(at)
    table = at.dataframe[0].value
    rows = {r["name"]: r for _, r in table.iterrows()}
    assert rows["sine forecaster"]["kind"] == "forecaster"
    assert rows["sine forecaster"]["units"] == "MSE, scaled"
    assert (rows["text 0"]["kind"], rows["text 0"]["units"]) == ("text", "bits/char")
    assert rows["text 0"]["data"] == "Tiny Shakespeare"
    best = min(h["val_loss"] for h in text_runs[0].history)
    assert rows["text 0"]["best_val_loss"] == pytest.approx(best)

    control = at.segmented_control(key="runs-compare-kind")
    assert control.options == ["text (bits/char)", "forecaster (MSE, scaled)"]  # newest first
    assert control.value == "text"
    overlay = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert sorted(t["name"] for t in overlay["data"]) == ["text 0", "text 1"]
    assert overlay["layout"]["yaxis"]["title"]["text"] == "validation loss (bits per character)"
    assert overlay["layout"]["xaxis"]["title"]["text"] == "optimizer step"
    for trace, run in zip(sorted(overlay["data"], key=lambda t: t["name"]), text_runs, strict=True):
        assert trace["y"] == pytest.approx([h["val_loss"] for h in run.history])
        assert trace["x"] == [h["step"] for h in run.history]
    compared = at.dataframe[1].value
    assert compared["best val bpc"].tolist() == pytest.approx(
        [min(h["val_loss"] for h in r.history) for r in text_runs[::-1]]
    )
    control.set_value("forecaster").run()
    overlay = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [t["name"] for t in overlay["data"]] == ["sine forecaster"]
    assert overlay["layout"]["yaxis"]["title"]["text"] == "val loss (MSE, scaled)"


def test_export_of_a_text_run_is_its_checkpoint_not_onnx(app, store, text_runs):
    run_kinds.get("text").save(store, text_runs[0], name="exported text")
    at = run_page(app, "runs.py")
    assert [b.label for b in at.get("download_button")] == ["Checkpoint (.pt)", "Settings (.json)"]
    assert not [b for b in at.button if b.key == "runs-onnx-build"]
    assert any(
        i.value.startswith("ONNX export is for forecasters only. A text model is exported as")
        for i in at.info
    )
    details = next(m.value for m in at.markdown if m.value.startswith("- **Corpus**"))
    assert details.startswith("- **Corpus**: Tiny Shakespeare, 3,000 characters (3,000 bytes")
    best = min(h["val_loss"] for h in text_runs[0].history)
    assert f"**Best validation**: {best:.3f} bits/char at step" in details
    assert not errors_of(at)


def test_a_kind_this_version_cannot_open_is_listed_but_not_opened(app, store):
    store.save_record("comparison", "a comparison", {"dataset": {"name": "several"}})
    at = run_page(app, "runs.py")
    assert not errors_of(at)
    assert at.dataframe[0].value["kind"].tolist() == ["comparison"]
    assert at.button(key="runs-open").disabled
    assert shown(at.info[0].value) == (
        "'a comparison' is a comparison run: this version of LSTM Lab cannot open it, but you "
        "can rename, pin or delete it."
    )
    assert any("cannot export it" in shown(i.value) for i in at.info)


@pytest.mark.browser
def test_runs_page_with_text_runs_in_a_browser(page, server_url, text_runs, forecaster):
    """The real server saves into artifacts/test-runs (conftest); seed both kinds there."""
    store = RunStore.default()
    for r in store.list():
        if r.name.startswith("browser "):
            store.delete(r.id)
    forecaster_runs.save(store, forecaster, name="browser forecaster")
    for i, run in enumerate(text_runs):
        run_kinds.get("text").save(store, run, name=f"browser text {i}")
    page.goto(f"{server_url}/runs")
    wait_ready(page)
    page.get_by_text("Run to open, manage or export").wait_for()
    page.get_by_test_id("stTabs").get_by_role("button", name="Open").first.click()
    page.get_by_text("it is now this session's text model").wait_for()
    wait_ready(page)
    link = page.get_by_role("link", name="Generate with it on the Text generation page")
    link.wait_for()
    screenshot(page, "runs-page-text")
    page.get_by_role("tab", name="Compare").click()
    page.get_by_text("Validation bits per character of the selected text models").wait_for()
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    page.locator("[data-testid='stPlotlyChart']").first.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot(page, "runs-page-compare-text")))  # the chart in view
    page.locator("[data-testid='stDataFrame']").last.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot(page, "runs-page-compare-text-table")))
    page.get_by_role("tab", name="Export").click()
    page.get_by_text("ONNX export is for forecasters only").wait_for()
    screenshot(page, "runs-page-export-text")
    page.get_by_role("tab", name="Open & manage").click()
    link.click()
    page.get_by_text("Current text model").wait_for(timeout=120_000)
    wait_ready(page)
    screenshot(page, "text-page-opened-run")
