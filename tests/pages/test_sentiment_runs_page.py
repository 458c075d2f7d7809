"""Sentiment classifiers on the Runs page (real AppTest, real training, real browser): train
on the Sentiment page, reopen after a restart with the same prediction, import a sentiment
checkpoint, refuse a damaged one, details and export."""

from __future__ import annotations

import json

import pytest
from conftest import errors_of, fresh_app, poll, run_page, screenshot, settle, shown, wait_ready

from core.config import TrainConfig
from core.runs import registry as run_kinds
from core.runs.formats.sentiment import sentiment_bytes
from core.runs.store import RunStore
from core.sentiment import ClassifierConfig, TextConfig, fit_sentiment, load_bundled

RUN = "sentiment_run"
SENTENCE = "A gorgeous, witty film, but far too long."


@pytest.fixture(scope="module")
def trained():
    return fit_sentiment(
        load_bundled("yelp"), TextConfig(max_vocab=500, max_len=20),
        ClassifierConfig(embed_dim=8, hidden_size=8, attention=True), TrainConfig(epochs=2),
    )  # fmt: skip


def prediction(at) -> dict[str, float]:
    """Class -> probability (%) from the Sentiment page's Prediction chart for SENTENCE."""
    at.text_input(key="sent-text").set_value(SENTENCE).run()
    assert not errors_of(at)
    bars = json.loads(next(c for c in at.get("plotly_chart") if c.key == "sent-prob").proto.spec)
    return dict(zip(bars["data"][0]["y"], bars["data"][0]["x"], strict=True))


def test_a_classifier_trained_on_the_page_reopens_after_a_restart(app, store):
    at = run_page(app, "sentiment.py")
    at.selectbox(key="sent-data").set_value("imdb")
    at.select_slider(key="sent-embed").set_value(16)
    at.select_slider(key="sent-hidden").set_value(16)
    at.slider(key="sent-epochs").set_value(2)
    at.button(key="sent-train").click().run()
    at = poll(at, lambda a: RUN in a.session_state, timeout=300)
    trained = at.session_state[RUN]
    [info] = store.list()
    assert info.kind == "sentiment" and trained.extras["saved_run_id"] == info.id
    assert info.name == "LSTM 16×1 + attention · imdb"  # attention is on by default
    assert any(
        c.value.startswith(f"Saved in the runs folder as run `{info.id}`") for c in at.caption
    )
    first = prediction(at)
    assert sorted(first) == ["negative", "positive"]
    assert sum(first.values()) == pytest.approx(100, abs=1e-3)

    again = run_page(fresh_app(), "runs.py")  # a restarted app: nothing in memory
    assert RUN not in again.session_state
    assert again.selectbox(key="runs-selected").value == info.id
    again.button(key="runs-open").click().run()
    assert not errors_of(again)
    assert shown(again.success[0].value) == (
        f"Opened '{info.name}': it is now this session's sentiment model."
    )
    assert [p.proto.label for p in again.get("page_link")] == [
        "Classify sentences with it on the Sentiment page"
    ]
    again.switch_page("../pages/sentiment.py")
    again.run()
    assert not errors_of(again)
    assert again.session_state[RUN].extras["saved_run_id"] == info.id
    assert prediction(again) == first  # the very same probabilities
    values = {m.label: m.value for m in again.metric}
    assert values["model accuracy"] == f"{trained.results['model']['accuracy']:.1%}"
    assert any(
        c.value.startswith("Opened from a checkpoint: its test sentences") for c in again.caption
    )


def test_a_sentiment_checkpoint_is_imported_and_a_damaged_one_refused(app, store, trained):
    at = run_page(app, "runs.py")
    at.file_uploader(key="runs-upload").set_value(
        ("reviews.pt", sentiment_bytes(trained), "application/octet-stream")
    )
    at.button(key="runs-import").click().run()
    assert not errors_of(at)
    [info] = store.list()
    assert (info.kind, info.meta["origin"], info.name) == (
        "sentiment", "imported", "imported reviews.pt · yelp",
    )  # fmt: skip
    assert (
        shown(at.success[0].value)
        == f"Restored '{info.name}': it is now this session's sentiment model."
    )
    current = at.session_state[RUN]
    assert current.extras["saved_run_id"] == info.id
    assert (current.predict_proba([SENTENCE]) == trained.predict_proba([SENTENCE])).all()

    damaged = sentiment_bytes(trained)[:-300]  # cut short, as by a failed download
    at.file_uploader(key="runs-upload").set_value(("cut.pt", damaged, "application/x"))
    at.button(key="runs-import").click().run()
    assert [shown(e.value) for e in at.error] == [
        "the file is truncated or damaged (its archive index is missing): download or copy it again"
    ]
    assert at.session_state[RUN] is current and len(store.list()) == 1  # nothing lost


def test_details_and_export_of_a_sentiment_run(app, store, trained):
    run_kinds.get("sentiment").save(store, trained, name="yelp classifier")
    at = run_page(app, "runs.py")
    assert not errors_of(at)
    row = at.dataframe[0].value.iloc[0]
    assert (row["kind"], row["units"], row["data"]) == (
        "sentiment", "cross-entropy / accuracy", "yelp",
    )  # fmt: skip
    assert row["best_val_loss"] == pytest.approx(trained.fit.best_val_loss)
    details = next(m.value for m in at.markdown if m.value.startswith("- **Data**"))
    assert details.startswith(
        "- **Data**: yelp, 1,000 sentences (negative 500, positive 500) · sha256 "
        f"`{load_bundled('yelp').fingerprint()[:12]}`"
    )
    acc = trained.results
    assert (
        f"model {acc['model']['accuracy']:.1%}, bag of words {acc['bag_of_words']['accuracy']:.1%}"
        f", majority class {acc['majority']['accuracy']:.1%}"
    ) in details
    buttons = at.get("download_button")
    assert [b.label for b in buttons] == ["Checkpoint (.pt)", "Settings (.json)"]
    assert not [b for b in at.button if b.key == "runs-onnx-build"]
    assert any(
        i.value.startswith("ONNX export is for forecasters only. A sentiment model is exported")
        for i in at.info
    )


@pytest.mark.browser
def test_runs_page_opens_a_sentiment_run_in_a_browser(page, server_url, trained):
    """The real server saves into artifacts/test-runs (conftest); seed a run there."""
    store = RunStore.default()
    for r in store.list():
        if r.name.startswith("browser sentiment"):
            store.delete(r.id)
    run_kinds.get("sentiment").save(store, trained, name="browser sentiment yelp")
    page.goto(f"{server_url}/runs")
    wait_ready(page)
    page.get_by_text("Run to open, manage or export").wait_for()
    page.get_by_test_id("stTabs").get_by_role("button", name="Open").first.click()
    page.get_by_text("it is now this session's sentiment model").wait_for()
    wait_ready(page)
    link = page.get_by_role("link", name="Classify sentences with it on the Sentiment page")
    link.wait_for()
    page.get_by_text("Details: data, settings, timings").click()
    page.get_by_text("Test accuracy").wait_for()
    settle(page)  # the expander's opening animation
    screenshot(page, "runs-page-sentiment")
    link.click()
    opened = page.get_by_text("Opened from a checkpoint")
    opened.wait_for(timeout=120_000)
    wait_ready(page)
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    page.locator("[data-testid='stPlotlyChart']").first.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot(page, "sentiment-page-opened-run")))  # results in view
