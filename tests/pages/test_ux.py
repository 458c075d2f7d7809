"""A newcomer's path through the app: the one-click demos, the honest reading of a stock run,
an uploaded dataset's columns preselected on Train, settings kept across page visits."""

from __future__ import annotations

from pathlib import Path

from conftest import errors_of, poll, run_page, shown

from core.data import synthetic
from dashboard.train.form import SINE_DEMO, SYNTHETIC_LABEL
from dashboard.train.notes import baseline_note

AAPL = (
    Path(__file__).resolve().parents[1] / "fixtures" / "data" / "yahoo" / "AAPL.csv"
).read_bytes()
TIE_HEAD = "**The network ties the naive forecast"


def infos(at) -> str:
    return "\n".join(i.value for i in at.info)


def test_baseline_note_only_when_the_model_does_not_beat_naive():
    assert baseline_note("ratio", {"val": 0.7, "test": 0.95}, dated=True) is None
    note = baseline_note("ratio", {"val": 0.987, "test": 1.02}, dated=True)
    assert note.startswith(f"{TIE_HEAD} (MAE ratio 0.99 on validation, 1.02 on test).**")
    assert "not a bug" in note and "relative change from the window's last value" in note
    level = baseline_note("level", {"test": 1.0}, dated=False)
    assert "stock" not in level and "loss near 1" not in level and "noisy sine" in level


def test_the_sine_demo_from_home_learns_and_fills_the_form(app):
    at = app.run()
    assert at.button(key="home-sine").label == "Watch it learn on a sine wave"
    at.button(key="home-sine").click().run()
    assert not errors_of(at)
    at = poll(at, lambda a: "run" in a.session_state, timeout=300)
    at.run()
    run = at.session_state["run"]
    expected = synthetic(**SINE_DEMO)  # the same series the form's generator draws
    assert run.dataset.fingerprint() == expected.fingerprint()
    losses = [h["train_loss"] for h in run.fit.history]
    assert len(losses) == 15 and losses[-1] < 0.3 * losses[0]  # it visibly learns
    for span in ("val", "test"):
        assert run.scores(span)["model_mae"] < 0.9 * run.scores(span)["naive_mae"]
    # the Train page shows what trained: the synthetic source, its generator, level windows
    assert at.selectbox(key="train-source").value == SYNTHETIC_LABEL
    assert at.selectbox(key="train-syn-kind").value == "noisy_sine"
    assert at.number_input(key="train-syn-noise").value == SINE_DEMO["noise"]
    assert at.radio(key="train-normalize").value == "level"
    assert at.number_input(key="train-epochs").value == 15
    assert TIE_HEAD not in infos(at)  # it beat the naive forecast: no excuse needed


def test_a_stock_run_is_explained_and_offers_the_sine(app):
    at = app.run()
    at.button(key="home-start").click().run()
    at = poll(at, lambda a: "run" in a.session_state, timeout=300)
    at.run()
    assert not errors_of(at)
    run = at.session_state["run"]
    ratio = {s: run.scores(s)["model_mae"] / run.scores(s)["naive_mae"] for s in ("val", "test")}
    assert at.selectbox(key="train-source").value == "MSFT (offline sample)"
    assert at.radio(key="train-normalize").value == "ratio"  # the form shows what trained
    assert (TIE_HEAD in infos(at)) == (min(ratio.values()) >= 0.9)
    if min(ratio.values()) >= 0.9:
        assert "not a bug" in infos(at)
    # relative windows: the price-level range warning does not apply
    assert not any("outside the range seen in training" in shown(w.value) for w in at.warning)
    sidebar = "\n".join(c.value for c in at.sidebar.caption)
    assert "**Train** · quick demo · MSFT Close: done after" in sidebar
    assert "training thread of" in sidebar or "training threads of" in sidebar
    if TIE_HEAD in infos(at):
        at.button(key="train-use-sine").click().run()
        assert not errors_of(at)
        assert at.selectbox(key="train-source").value == SYNTHETIC_LABEL
        assert at.selectbox(key="train-syn-kind").value == "noisy_sine"
        assert at.select_slider(key="train-hidden").value == 32  # model settings kept
        assert at.session_state["run"] is run  # the trained run stays


def test_the_window_mode_survives_a_visit_to_another_page(app):
    at = run_page(app, "train.py")
    assert at.radio(key="train-normalize").value == "ratio"  # positive dated data
    at.radio(key="train-normalize").set_value("diff").run()
    at.switch_page("../pages/home.py").run()
    at.switch_page("../pages/train.py").run()
    assert not errors_of(at)
    assert at.radio(key="train-normalize").value == "diff"


def test_an_uploaded_datasets_columns_are_preselected_on_train(app):
    at = run_page(app, "upload.py")
    at.file_uploader(key="upload-file").set_value(("AAPL.csv", AAPL, "text/csv"))
    at.run()
    at.selectbox(key="upload-target").set_value("Open").run()
    at.multiselect(key="upload-extras").set_value(["Volume"]).run()
    at.button(key="upload-use").click().run()
    assert not errors_of(at)
    at.switch_page("../pages/train.py").run()
    assert at.selectbox(key="train-target").value == "Close"  # still on the MSFT sample
    at.selectbox(key="train-source").set_value("AAPL (upload)").run()
    assert not errors_of(at)
    assert at.selectbox(key="train-target").value == "Open"
    assert at.multiselect(key="train-features").value == ["Open", "Volume"]
    # the user's own choice afterwards stays, also across a page visit
    at.multiselect(key="train-features").set_value([]).run()
    at.switch_page("../pages/home.py").run()
    at.switch_page("../pages/train.py").run()
    assert at.selectbox(key="train-source").value == "AAPL (upload)"
    assert at.multiselect(key="train-features").value == []
    # switching away and back applies the saved columns again
    at.selectbox(key="train-source").set_value("MSFT (offline sample)").run()
    at.selectbox(key="train-source").set_value("AAPL (upload)").run()
    assert at.multiselect(key="train-features").value == ["Open", "Volume"]
    assert not errors_of(at)
