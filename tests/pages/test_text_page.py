"""The Text generation page: real AppTest of the router, real training in a background job,
pure builders checked for escaping, and a real browser for the coloured text."""

from __future__ import annotations

import html
import re

import pytest
import torch
from conftest import errors_of, poll, run_page, screenshot, shown, wait_ready

from core.runs.formats.text import text_run_bytes as to_bytes
from core.text import CharModelConfig, CharTrainConfig, build_text_run, load_shakespeare
from dashboard.text.figures import bpc_figure, colored_text_html, legend_html

SPECIAL = '\n<b>bold</b> & "quoted" <script>alert(1)</script>\n'
CORPUS = load_shakespeare(6000).text + SPECIAL * 3  # markup characters are in the vocabulary


def trained_page(app):
    """Paste a small corpus, train the quick preset (6 steps) and wait for the run."""
    at = run_page(app, "text.py")
    at.radio(key="text-source").set_value("Paste text").run()
    at.text_area(key="text-paste").input(CORPUS).run()
    assert not errors_of(at)
    at.button(key="text-train").click().run()
    at = poll(at, lambda a: "text_run" in a.session_state, timeout=300)
    assert not errors_of(at)
    return at


def shown_text(body: str) -> str:
    """What a reader sees in an st.html body: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", body))


def html_bodies(at) -> list[str]:
    return [h.value for h in at.get("html")]


# -- pure builders -------------------------------------------------------------------------
def test_colored_text_escapes_every_character_and_hover():
    text = '<img src=x onerror="alert(1)">&\n'
    out = colored_text_html(text, [0.5] * len(text), 0.0, 1.0, ['"><script>'] * len(text))
    assert "<img" not in out and "<script>" not in out
    assert "&lt;" in out and "&quot;" in out and "&amp;" in out
    assert out.count("<span") == len(text) and "↵" in out
    assert 'title="&quot;&gt;&lt;script&gt;"' in out
    # value 0.5 on [0, 1] is half-way from white to red (178, 24, 43)
    half = ",".join(str(round(255 + (e - 255) * 0.5)) for e in (178, 24, 43))
    assert f"background-color:rgb({half})" in out
    assert "rgb(33,102,172)" in colored_text_html("a", [-1.0], -1.0, 1.0)  # blue at -1
    assert "rgb(226,230,238)" in colored_text_html("a", [float("nan")], 0.0, 1.0)  # no value


def test_legend_and_bpc_figure_are_labelled():
    assert "+1.00" in legend_html(-1.0, 1.0, "x") and "0.50" in legend_html(0.0, 1.0, "x")
    hist = [{"step": s, "epoch": 1, "train_loss": 5.0 - s / 10, "val_loss": 4.8 - s / 10}
            for s in (5, 10)]  # fmt: skip
    fig = bpc_figure(hist, {"uniform_bpc": 6.0, "unigram_bpc": 4.5}).to_dict()
    assert [t["name"] for t in fig["data"]] == ["train (mean since last point)", "validation"]
    assert fig["layout"]["yaxis"]["title"]["text"].startswith("bits per character")
    assert fig["layout"]["xaxis"]["title"]["text"].startswith("optimizer step")
    notes = [a["text"] for a in fig["layout"]["annotations"]]
    assert notes == ["uniform guess log2(V): 6.00", "character frequencies only: 4.50"]


# -- the page ------------------------------------------------------------------------------
def test_page_renders_with_a_guard_before_any_model(app):
    at = run_page(app, "text.py")
    assert not errors_of(at)
    assert at.title[0].value == "Text generation"
    assert at.radio(key="text-source").value == "Shakespeare (bundled)"
    assert not at.button(key="text-train").disabled
    assert any("Train a model above" in shown(i.value) for i in at.info)
    assert not at.tabs


def test_bad_text_is_refused_with_a_clear_message(app):
    at = run_page(app, "text.py")
    at.radio(key="text-source").set_value("Paste text").run()
    at.text_area(key="text-paste").input("too short").run()
    assert [shown(e.value) for e in at.error] == [
        "This text cannot be used: the text has 9 characters; at least 1,000 are needed to "
        "train and validate (a few pages or more work best)."
    ]
    assert at.button(key="text-train").disabled
    at.radio(key="text-source").set_value("Upload a .txt file").run()
    at.file_uploader(key="text-upload").set_value(("latin1.txt", b"caf\xe9 " * 400, "text/plain"))
    at.run()
    assert [shown(e.value) for e in at.error] == [
        "This text cannot be used: the file is not UTF-8 text (byte 0xe9 at position 3 cannot "
        "be decoded): save it as UTF-8 and upload it again."
    ]
    assert not at.exception


def test_train_generate_colour_rank_and_save_on_the_page(app):
    at = trained_page(app)
    run = at.session_state["text_run"]
    assert run.result["reason"] == "completed" and run.result["steps"] == 6
    spec = at.get("plotly_chart")[0].proto.spec
    assert '"validation"' in spec and "bits per character" in spec
    assert any(c.value.startswith("Current text model: LSTM 1 × 128") for c in at.caption)
    # generate greedily: the same text twice, shown with the model's probabilities
    at.text_input(key="text-prompt").input("<b>")  # a form: values are sent on submit
    at.number_input(key="text-temp").set_value(0.0)
    at.number_input(key="text-length").set_value(60)
    at.button[[b.label for b in at.button].index("Generate")].click().run()
    assert not errors_of(at)
    first = at.session_state["text_generation"]
    assert first.prompt == "<b>" and first.temperature == 0
    at.button[[b.label for b in at.button].index("Generate")].click().run()
    assert at.session_state["text_generation"].text == first.text and len(first.text) == 60
    assert any("p = " in h and "Model&#x27;s top 5" in h for h in html_bodies(at))
    # a prompt with a character the model never saw: a message, the model survives
    at.text_input(key="text-prompt").input("naïve")
    at.button[[b.label for b in at.button].index("Generate")].click().run()
    assert [shown(e.value) for e in at.error] == [
        "Cannot generate: the prompt has characters the model never saw in training: 'ï'; "
        "remove them or train on a text that contains them."
    ]
    assert at.session_state["text_run"] is run
    # colour user markup by a cell: escaped, never live HTML
    at.radio(key="text-cells-source").set_value("your own text").run()
    at.text_area(key="text-cells-own").input(SPECIAL.strip()).run()
    drawn = {shown_text(b): b for b in html_bodies(at)}
    assert SPECIAL.strip() in drawn  # every character drawn, in order...
    assert all("<script" not in b and "<b>" not in b for b in html_bodies(at))  # ...as text
    assert drawn[SPECIAL.strip()].count("<span") == len(SPECIAL.strip())
    # rank cells, then jump to the best one
    at.radio(key="text-cells-source").set_value("validation text").run()
    at.button(key="text-rank").click().run()
    table = at.dataframe[-1].value
    assert {"feature", "layer", "gate", "unit", "r"} <= set(table.columns) and len(table) > 0
    assert (table.r.abs() <= 1).all()
    at.selectbox(key="text-rank-pick").set_value(0).run()
    at.button(key="text-rank-show").click().run()
    assert at.number_input(key="text-cell-unit-lstm-1x128").value == table.unit.iloc[0]
    assert at.selectbox(key="text-cell-gate-lstm-1x128").value == table.gate.iloc[0]
    assert not errors_of(at)


def test_load_a_saved_model_and_refuse_a_bad_file(app):
    at = run_page(app, "text.py")
    cfg = CharTrainConfig(max_steps=2, batch_size=8, seq_len=32)
    saved, _, _ = build_text_run(load_shakespeare(3000), CharModelConfig(hidden_size=32), cfg)
    at.file_uploader(key="text-load").set_value(("m.pt", to_bytes(saved), "application/octet"))
    at.run()
    assert not errors_of(at)
    run = at.session_state["text_run"]
    assert run.vocab == saved.vocab and at.tabs
    for a, b in zip(run.model.parameters(), saved.model.parameters(), strict=True):
        torch.testing.assert_close(a, b)
    at.file_uploader(key="text-load").set_value(("x.pt", b"garbage", "application/octet"))
    at.run()
    assert len(at.error) == 1 and shown(at.error[0].value).startswith(
        "Could not load x.pt: this file is not a PyTorch file"
    )
    assert at.session_state["text_run"] is run  # the earlier model survives
    at.button[[b.label for b in at.button].index("Generate")].click().run()
    assert len(at.metric) == 3 and "generated text" in at.radio(key="text-cells-source").options
    other, _, _ = build_text_run(load_shakespeare(4000), CharModelConfig(hidden_size=16), cfg)
    at.file_uploader(key="text-load").set_value(("o.pt", to_bytes(other), "application/octet"))
    at.run()
    assert at.session_state["text_run"].model_cfg.hidden_size == 16
    assert not at.metric  # the last generation belonged to the previous model
    assert "generated text" not in at.radio(key="text-cells-source").options


def test_stop_ends_a_long_training_early(app):
    at = run_page(app, "text.py")
    at.radio(key="text-preset").set_value("Classic char-rnn").run()
    at.button(key="text-train").click().run()
    at = poll(at, lambda a: any(b.key == "text-stop" for b in a.button), timeout=300)
    at.button(key="text-stop").click().run()
    at = poll(at, lambda a: "text_run" in a.session_state, timeout=300)
    run = at.session_state["text_run"]
    assert run.result["reason"] == "stopped"
    assert run.result["steps"] < 10 * 72  # far from the 720 steps of 10 passes
    assert not errors_of(at)


# -- a real browser ------------------------------------------------------------------------
@pytest.mark.browser
def test_browser_trains_and_colours_text_by_a_cell(page, server_url):
    page.goto(f"{server_url}/text")
    wait_ready(page)
    page.get_by_text("Paste text").click()
    box = page.get_by_label("Paste any UTF-8 text")
    box.fill(load_shakespeare(20_000).text)  # 2 passes x 8 steps of 32 x 64 characters
    box.press("Control+Enter")
    wait_ready(page)
    page.get_by_role("button", name="Train").click()
    page.wait_for_selector("[data-testid='stCode']", timeout=120_000)  # a live sample
    screenshot(page, "text-live-training")
    page.get_by_text("Current text model").wait_for(timeout=180_000)
    wait_ready(page)
    page.get_by_role("tab", name="Cells").click()
    spans = page.locator("[data-testid='stHtml'] span[style*='background-color']")
    spans.first.wait_for(timeout=120_000)
    assert spans.count() == 2000  # the validation part of the 20,000 characters, one span each
    assert re.match(r"^\S.*: [+-]\d\.\d{3}$", spans.nth(5).get_attribute("title"))
    page.locator("[data-testid='stTabs']").scroll_into_view_if_needed()
    screenshot(page, "text-cells")
    page.get_by_role("button", name="Rank cells by correlation with simple features").click()
    table = page.locator("[data-testid='stDataFrame']").last
    table.wait_for(timeout=120_000)
    page.locator("[data-testid='stPlotlyChart']").last.scroll_into_view_if_needed()
    screenshot(page, "text-cells-trace")
    table.scroll_into_view_if_needed()
    screenshot(page, "text-cells-ranking")
    page.get_by_role("tab", name="Generate").click()
    page.get_by_role("button", name="Generate").click()
    page.get_by_text("Mean probability of the emitted characters").wait_for(timeout=120_000)
    wait_ready(page)
    colored = page.locator("[data-testid='stHtml'] span[title*='top 5']")
    assert colored.count() == 400  # the default length, one hover per generated character
    colored.first.hover()
    page.get_by_text(
        "Next-character probabilities, position by position"
    ).scroll_into_view_if_needed()
    screenshot(page, "text-generate")
    assert not page.locator("[data-testid='stException']").count()
