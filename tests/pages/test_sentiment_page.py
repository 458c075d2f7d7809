"""The Sentiment page: AppTest of uploads, refusals, live training, results and the inside
view, plus a real-browser screenshot."""

from __future__ import annotations

import json

import pytest
from conftest import errors_of, poll, run_page, screenshot, shown, wait_ready

RUN = "sentiment_run"


def small(at, data: str = "imdb", attention: bool = True, epochs: int = 2):
    """Pick a bundled set and a small, fast model in the settings form."""
    at.selectbox(key="sent-data").set_value(data)
    at.select_slider(key="sent-embed").set_value(16)
    at.select_slider(key="sent-hidden").set_value(16)
    at.toggle(key="sent-attention").set_value(attention)
    at.toggle(key="sent-bidir").set_value(attention)
    at.slider(key="sent-epochs").set_value(epochs)
    return at


def spec(at, title_part: str) -> dict:
    for chart in at.get("plotly_chart"):
        fig = json.loads(chart.proto.spec)
        if title_part in fig["layout"].get("title", {}).get("text", ""):
            return fig
    raise AssertionError(f"no chart titled {title_part!r}")


def upload(at, name: str, raw: bytes):
    at.file_uploader(key="sent-upload").set_value((name, raw, "text/csv"))
    return at.run()


def test_page_offers_the_bundled_sets_and_waits_for_training(app):
    at = run_page(app, "sentiment.py")
    assert not errors_of(at)
    assert at.title[0].value == "Sentiment"
    assert at.selectbox(key="sent-data").options[:3] == [
        "All review sets together (Rotten Tomatoes, IMDB, Yelp, Amazon, negations), 13,758 "
        "sentences",
        "Rotten Tomatoes sentence polarity (Pang & Lee 2005), 10,662 snippets",
        "IMDB labelled sentences (Kotzias et al. 2015), 1,000 sentences",
    ]
    assert any("negative 6,879, positive 6,879" in shown(c.value) for c in at.caption)
    assert any("Pang" in c.value and "ACL, 2005" in shown(c.value) for c in at.caption)
    assert "Press **Train**" in shown(at.info[0].value)


def test_upload_becomes_the_dataset_and_bad_files_are_refused(app):
    at = run_page(app, "sentiment.py")
    rows = [f"a {w} movie {i}\t{c}" for i in range(12) for w, c in (("great", "1"), ("dull", "0"))]
    at = upload(at, "mine.tsv", "\n".join(rows).encode())
    assert not errors_of(at)
    assert at.selectbox(key="sent-data").value == "your file: mine.tsv"
    assert any("24 sentences · 2 classes: 0 12, 1 12" in shown(c.value) for c in at.caption)

    at = upload(at, "bad.csv", b"text,label\n" + b"only one,pos\n" * 25)
    assert errors_of(at) == [
        "Could not use this file: every row has the same label 'pos': a classifier needs two "
        "or more classes."
    ]
    # the earlier upload is still there and still selected
    assert at.selectbox(key="sent-data").value == "your file: mine.tsv"
    at = upload(at, "cols.csv", b"a,b,c\n1,2,3\n")
    assert errors_of(at)[0].startswith("Could not use this file: found no text and label columns")
    assert not at.exception


def test_train_live_then_results_and_gates_on_words(app):
    at = run_page(app, "sentiment.py")
    small(at).toggle(key="sent-early").set_value(True)
    at.button(key="sent-train").click().run()  # form values go with the submit
    assert not errors_of(at)
    at = poll(at, lambda a: RUN in a.session_state, timeout=300)
    assert not errors_of(at)
    run = at.session_state[RUN]
    assert run.model_cfg.attention and run.model_cfg.bidirectional
    assert run.train_cfg.early_stopping and run.train_cfg.patience == 2
    assert run.dataset.name == "imdb" and len(run.fit.history) == 2  # patience 2: no stop yet

    # results: the model next to both baselines, from the run's own test scores
    values = {m.label: m.value for m in at.metric}
    assert values["majority class"] == "50.0%"
    assert values["model accuracy"] == f"{run.results['model']['accuracy']:.1%}"
    cm = spec(at, "Confusion: model")
    assert cm["layout"]["xaxis"]["title"]["text"] == "predicted class"
    assert sum(map(sum, run.results["model"]["confusion"])) == run.results["model"]["n"]
    mistakes = next(e for e in at.expander if e.label.startswith("Where the model is wrong"))
    n_wrong = round((1 - run.results["model"]["accuracy"]) * run.results["model"]["n"])
    assert len(mistakes.dataframe[0].value) == min(20, n_wrong)
    curves = spec(at, "Live: LSTM · imdb")
    names = {t["name"] for t in curves["data"]}
    assert {"train", "validation", "majority class (test)"} <= names

    # inside: words on the time axis, attention over real words only
    at.text_input(key="sent-text").set_value("What a zzzunknown, lovely film").run()
    assert not errors_of(at)
    att = spec(at, "Attention")
    assert att["layout"]["xaxis"]["ticktext"] == ["what", "a", "zzzunknown*", ",", "lovely", "film"]
    assert sum(att["data"][0]["y"]) == pytest.approx(100, abs=1e-3)
    heat = spec(at, "Input gate (lets the word in): layer 1, forward")
    assert heat["layout"]["xaxis"]["ticktext"] == att["layout"]["xaxis"]["ticktext"]
    assert heat["data"][0]["z"]["shape"] == "16, 6"  # (H units, T words), binary-encoded
    assert any(m.value.startswith("**Words that open the input gate most:**") for m in at.markdown)
    at.selectbox(key="sent-dir-2").set_value(1).run()
    at.selectbox(key="sent-gate-lstm").set_value("f").run()
    assert "Forget gate" in spec(at, "backward")["layout"]["title"]["text"]

    at.text_input(key="sent-text").set_value(" ?? ").run()  # punctuation is still a token
    assert not errors_of(at)
    at.text_input(key="sent-text").set_value("   ").run()
    assert shown(at.warning[0].value) == "The text has no words to read: type at least one word."
    assert RUN in at.session_state  # the trained run survives bad input


def test_stop_keeps_the_page_alive(app):
    at = run_page(app, "sentiment.py")
    small(at, "rt-polarity", attention=False, epochs=30).toggle(key="sent-early").set_value(False)
    at.button(key="sent-train").click().run()
    at = poll(at, lambda a: any(b.key == "sent-stop" for b in a.button), timeout=300)
    at.button(key="sent-stop").click().run()
    at = poll(at, lambda a: RUN in a.session_state, timeout=300)
    run = at.session_state[RUN]
    assert run.fit.reason == "stopped" and len(run.fit.history) < 30
    assert not errors_of(at)
    assert any("stopped by the user" in shown(c.value) for c in at.caption)


@pytest.mark.browser
def test_browser_trains_and_shows_words_on_the_gates(page, server_url):
    page.goto(f"{server_url}/sentiment")
    wait_ready(page)
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="Yelp labelled sentences").click()
    wait_ready(page)
    for label, keys in (("Hidden units H", ["Home"]), ("Epochs", ["Home", "ArrowRight"])):
        thumb = page.get_by_test_id("stSlider").filter(has_text=label).get_by_role("slider")
        thumb.focus()
        for key in keys:  # small and quick: H = 16, 2 epochs
            thumb.press(key)
    page.get_by_role("button", name="Train").click()
    page.get_by_text("Results on the held-out test split").wait_for(timeout=180_000)
    wait_ready(page)
    page.get_by_text("Gates word by word").first.wait_for(timeout=120_000)
    assert page.get_by_test_id("stAlertContentError").count() == 0
    assert page.get_by_test_id("stPlotlyChart").count() >= 7
    hidden = page.get_by_test_id("stSlider").filter(has_text="Hidden units H").inner_text()
    assert hidden.split() == ["Hidden", "units", "H", "16", "16", "128"]  # value, min, max
    page.set_viewport_size({"width": 1400, "height": 4200})  # the app scrolls inside itself
    wait_ready(page)
    screenshot(page, "sentiment")
