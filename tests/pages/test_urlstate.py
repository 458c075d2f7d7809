"""Settings in the link (dashboard.common.urlstate) and presenter mode, in AppTest: parsing and
validation, the round trip link -> form -> link, junk values, uploads, lock and hide."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import errors_of, fresh_app, shown

from dashboard.common.urlstate import Param, css_class, from_url, to_url
from dashboard.train import link as train_link


def open_link(page: str, query: dict[str, str], at=None):
    """A fresh session opening ``/<page>?query`` (the link's first run is on that page)."""
    at = fresh_app() if at is None else at
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(f"../pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not errors_of(at), errors_of(at)
    return at


def notes(at) -> str:
    return " ".join(shown(i.value) for i in at.info if "this link" in i.value)


def query(at) -> dict[str, str]:
    return {k: at.query_params[k] for k in at.query_params}


def by_key(at, key: str):
    return next(w for w in at.main if getattr(w, "key", None) == key)


# -- parsing, pure ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "param, text, value",
    [
        (Param("n", "k", "int", lo=1, hi=10), "7", 7),
        (Param("x", "k", "float", lo=0.0, hi=0.5), "0.15", 0.15),
        (Param("b", "k", "bool"), "1", True),
        (Param("b", "k", "bool"), "off", False),
        (Param("c", "k", choices=[1e-3, 1e-2]), "1e-2", 1e-2),  # any spelling of the number
        (Param("c", "k", choices=["all", 250]), "250", 250),  # the choice itself, typed
        (Param("l", "k", "list", choices=[2, 5, 10], hi=2), "10,2", [10, 2]),
        (Param("a", "k", choices=["Long label"], aliases={"short": "Long label"}), "short",
         "Long label"),
        (Param("d", "k", "date", lo=dt.date(2020, 1, 1)), "2021-03-04", dt.date(2021, 3, 4)),
    ],
)  # fmt: skip
def test_valid_values_parse_and_write_back_the_same(param, text, value):
    assert from_url(param, text) == value
    assert from_url(param, to_url(param, value)) == value


@pytest.mark.parametrize(
    "param, text",
    [
        (Param("n", "k", "int", lo=1, hi=10), "11"),
        (Param("n", "k", "int", lo=1, hi=10), "2.5"),
        (Param("x", "k", "float", lo=0.0, hi=0.5), "nan"),
        (Param("x", "k", "float"), "abc"),
        (Param("b", "k", "bool"), "maybe"),
        (Param("c", "k", choices=["lstm", "gru"]), "transformer"),
        (Param("l", "k", "list", choices=[2, 5, 10], hi=2), "2,5,10"),
        (Param("l", "k", "list", choices=[2, 5, 10]), "2,7"),
        (Param("d", "k", "date", hi=dt.date(2020, 1, 1)), "2021-01-01"),
    ],
)
def test_invalid_values_raise_value_error(param, text):
    with pytest.raises(ValueError):
        from_url(param, text)


def test_css_class_follows_streamlits_rule():
    assert css_class("train-lr") == "st-key-train-lr"
    assert css_class("a b.c") == "st-key-a-b-c"


# -- the Train page ----------------------------------------------------------------------------
LINK = {
    "src": "synthetic",
    "gen": "noisy_sine",
    "n": "400",
    "noise": "0.2",
    "T": "12",
    "cell": "gru",
    "hidden": "16",
    "lr": "0.01",
    "epochs": "4",
    "seed": "7",
    "early": "1",
}


def test_a_link_fills_the_train_form_and_the_form_writes_the_same_link():
    at = open_link("train", LINK)
    ss = at.session_state
    assert ss["train-source"] == train_link.form.SYNTHETIC_LABEL
    assert (ss["train-syn-kind"], ss["train-syn-n"], ss["train-syn-noise"]) == (
        "noisy_sine",
        400,
        0.2,
    )
    assert (ss["train-lookback"], ss["train-cell"], ss["train-hidden"]) == (12, "gru", 16)
    assert (ss["train-lr"], ss["train-epochs"], ss["train-seed"], ss["train-early"]) == (
        0.01, 4, 7, True)  # fmt: skip
    assert notes(at) == ""
    # only non-defaults, in the declared order (synthetic data: level windows are the default)
    order = [p.name for p in train_link.params()]
    assert list(query(at)) == [k for k in order if k in LINK]
    assert query(at) == LINK
    # the user changes a setting: the link follows; back to the default: it leaves the link
    at.number_input(key="train-epochs").set_value(9).run()
    assert query(at)["epochs"] == "9"
    at.number_input(key="train-epochs").set_value(train_link.DEFAULTS["train-epochs"]).run()
    assert "epochs" not in query(at)
    # the link box in the sidebar shows the same query
    assert "seed=7" in at.sidebar.code[0].value and "epochs" not in at.sidebar.code[0].value


def test_the_written_link_reopens_the_same_form_in_a_fresh_session():
    first = open_link("train", LINK)
    first.select_slider(key="train-batch").set_value(32).run()
    again = open_link("train", query(first))
    keys = [p.widget_key() for p in train_link.params()]
    assert {k: again.session_state[k] for k in keys if k in again.session_state} == {
        k: first.session_state[k] for k in keys if k in first.session_state
    }


def test_junk_values_are_ignored_with_one_note_naming_them():
    at = open_link(
        "train", {"epochs": "-3", "cell": "transformer", "lr": "lots", "color": "red", "T": "20"}
    )
    note = notes(at)
    for name in ("epochs=-3", "cell=transformer", "lr=lots", "color"):
        assert name in note, note
    assert at.session_state["train-lookback"] == 20  # the valid one was taken
    assert at.session_state["train-epochs"] == train_link.DEFAULTS["train-epochs"]
    assert at.session_state["train-cell"] == train_link.DEFAULTS["train-cell"]
    assert set(query(at)) == {"T"}  # the ignored values left the address


def test_an_upload_link_falls_back_to_the_bundled_sample_with_a_note():
    at = open_link("train", {"src": "upload", "T": "20"})
    assert "uploaded data" in notes(at)
    assert at.session_state["train-source"] == train_link._source_default()
    assert at.session_state["train-lookback"] == 20


def test_an_uploaded_source_is_written_as_upload():
    from core.data import Dataset

    at = open_link("train", {})
    sample = at.session_state["datasets"][train_link._source_default()]
    mine = Dataset(sample.frame.tail(300), "my prices.csv", {"kind": "upload"})
    at.session_state["datasets"][mine.name] = mine
    at.run()
    at.selectbox(key="train-source").set_value(mine.name).run()
    assert query(at)["src"] == "upload"


def test_lock_disables_and_hide_hides_exactly_the_named_train_controls():
    at = open_link("train", {"lr": "0.01", "lock": "lr,epochs", "hide": "cell,hidden"})
    bound = [p.widget_key() for p in train_link.params()]
    drawn = {k: by_key(at, k) for k in bound if any(getattr(w, "key", None) == k for w in at.main)}
    assert len(drawn) > 20
    disabled = {k for k, w in drawn.items() if w.disabled and k != "train-clip"}
    assert disabled == {"train-lr", "train-epochs"}
    css = " ".join(h.proto.body for h in at.get("html") if "display: none" in h.proto.body)
    hidden = {k for k in drawn if css_class(k) in css}
    assert hidden == {"train-cell", "train-hidden"}
    # a preset fills the form, but a locked value stays the link's
    at.selectbox(key="train-preset").set_value("accurate").run()
    assert at.session_state["train-lr"] == 0.01
    assert at.session_state["train-epochs"] == train_link.DEFAULTS["train-epochs"]
    assert query(at)["lock"] == "lr,epochs" and query(at)["hide"] == "cell,hidden"


def test_an_unknown_lock_name_gets_a_note():
    at = open_link("train", {"lock": "lr,warp"})
    assert "warp" in notes(at) and "lr" not in notes(at).replace("warp", "")


# -- presenter mode ----------------------------------------------------------------------------
def test_presenter_mode_from_the_link_scales_the_charts_and_stays_in_the_link():
    plain = open_link("train", {})
    shown = open_link("train", {"present": "1"})
    assert shown.sidebar.toggle(key="present-mode").value is True
    assert query(shown)["present"] == "1" and "present" not in query(plain)

    def title_size(at):
        spec = json.loads(at.get("plotly_chart")[0].proto.spec)
        return spec["layout"]["title"]["font"]["size"], spec["layout"]["height"]

    (size0, h0), (size1, h1) = title_size(plain), title_size(shown)
    assert size1 > size0 and h1 > h0
    assert any("font-size" in h.proto.body for h in shown.get("html"))
    plain.sidebar.toggle(key="present-mode").set_value(True).run()
    assert query(plain)["present"] == "1"


# -- Gates and the other pages -----------------------------------------------------------------
@pytest.fixture(scope="module")
def two_layer_run():
    from core.config import DataConfig, ModelConfig, TrainConfig
    from core.data import load_sample
    from core.forecast.run import build_run, train_run

    data = DataConfig(target="Close", lookback=10, normalize="ratio")
    model = ModelConfig(cell="lstm", hidden_size=5, num_layers=2, bidirectional=True)
    return train_run(build_run(load_sample("MSFT", last=200), data, model, TrainConfig(epochs=1)))


def test_gates_link_restores_tab_window_layer_and_units(two_layer_run):
    at = fresh_app()
    at.session_state["run"] = two_layer_run
    link = {"tab": "Units", "span": "train", "by": "index", "win": "5", "layer": "1",
            "dir": "1", "sort": "saturation", "units": "2,3", "unit": "4"}  # fmt: skip
    at = open_link("gates", link, at)
    ss = at.session_state
    assert (ss["gates-tab"], ss["gates-span"], ss["gates-k-train"]) == ("Units", "train", 5)
    assert (ss["gates-layer"], ss["gates-dir"], ss["gates-units"]) == (1, 1, [2, 3])
    assert ss["gates-cell-unit"] == 4 and notes(at) == ""
    assert query(at) == link
    at.slider(key="gates-k-train").set_value(7).run()
    assert query(at)["win"] == "7"


def test_gates_link_out_of_range_window_and_layer_are_noted(two_layer_run):
    at = fresh_app()
    at.session_state["run"] = two_layer_run
    at = open_link("gates", {"span": "val", "by": "index", "win": "99999", "layer": "5"}, at)
    assert "win=99999" in notes(at) and "layer=5" in notes(at)
    assert at.session_state["gates-k-val"] == 0


@pytest.mark.parametrize(
    "page, link, key, value",
    [
        ("compare", {"exp": "depth", "layers": "3", "lr": "0.03"}, "cmp-layers", 3),
        ("text", {"preset": "Classic char-rnn", "layers": "3"}, "text-Classic char-rnn-layers", 3),
        ("sentiment", {"cell": "gru", "hidden": "128"}, "sent-hidden", 128),
        ("stocks", {"mode": "level", "horizon": "5"}, "stocks-horizon", 5),
    ],
)
def test_other_pages_take_their_link_and_note_junk(page, link, key, value):
    at = open_link(page, {**link, "epochs": "100000"})
    assert at.session_state[key] == value
    assert "epochs=100000" in notes(at)
    assert query(at) == link


def test_a_gates_link_opened_before_any_run_applies_to_the_demo_model_then_to_a_trained_run(
    two_layer_run,
):
    """With nothing trained, Gates shows the shipped demo model (issue 18): a link's tab,
    span and window apply to it at once; a run trained later replaces it, error-free."""
    at = open_link("gates", {"tab": "Summary", "span": "test", "by": "index", "win": "3"})
    assert any("Demo model" in i.value for i in at.info), "the demo model is labelled"
    ss = at.session_state
    assert (ss["gates-tab"], ss["gates-span"], ss["gates-k-test"]) == ("Summary", "test", 3)
    at.query_params.clear()  # moving to Train and back clears the address in a browser
    at.session_state["run"] = two_layer_run
    at.run()
    assert not at.exception and not errors_of(at)
    assert not any("Demo model" in i.value for i in at.info)


def test_names_streamlit_keeps_cannot_be_registered():
    from dashboard.common import urlstate

    with pytest.raises(AssertionError, match="embed"):
        urlstate.register("nowhere", ["lr", "embed"])
    assert "nowhere" not in urlstate.REGISTRY
