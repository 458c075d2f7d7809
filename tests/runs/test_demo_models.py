"""The shipped demo models: small files, read by the lab's own checkpoint code, with a
provenance record that matches what is inside them."""

from __future__ import annotations

import pytest

from core.runs import demo
from core.runs.formats import forecaster as forecaster_format
from core.runs.registry import read_checkpoint

NAMES = [*demo.FORECASTERS, demo.ECHO]


def test_provenance_names_how_each_file_was_made():
    info = demo.provenance()
    assert info["script"] == demo.SCRIPT and (demo.DEMO_DIR.parents[1] / demo.SCRIPT).is_file()
    assert info["torch"] and info["date"] and "CPU" in info["machine"]
    assert set(info["models"]) == set(NAMES)
    assert (demo.DEMO_DIR / "README.md").is_file()
    for name in NAMES:
        entry = info["models"][name]
        assert entry["file"] == demo.path(name).name
        assert entry["bytes"] == demo.path(name).stat().st_size < 64 * 1024  # KBs, not MBs


@pytest.mark.parametrize("name", list(demo.FORECASTERS))
def test_demo_forecasters_load_through_the_format_code(name):
    kind, ckpt = read_checkpoint(demo.path(name))  # the registry: format field -> kind
    assert kind.kind == "forecaster" and ckpt["format"] == forecaster_format.FORMAT
    run = demo.load_forecaster(name)
    entry = demo.provenance()["models"][name]
    assert run.dataset.fingerprint() == entry["data"]["fingerprint"]
    assert run.model_cfg.to_dict() == entry["model_cfg"]
    assert run.train_cfg.to_dict() == entry["train_cfg"] == demo.QUICK_TRAIN.to_dict()
    assert run.fit.history[-1]["val_loss"] == pytest.approx(entry["final_val_loss"])
    scores = run.scores("test")  # the weights are the trained ones: same errors as recorded
    assert scores["model_mae"] == pytest.approx(entry["test_mae_model"], rel=1e-5)


def test_the_echo_comparison_loads_as_a_compare_run():
    summary = demo.load_comparison()
    assert summary.order == list(demo.ECHO_ARCHS)
    entry = demo.provenance()["models"][demo.ECHO]
    trivial = summary.task["trivial"]
    by = {a["label"]: a for a in summary.archs}
    for label, loss in entry["val_loss"].items():
        assert by[label]["val_loss"] == pytest.approx(loss)
    # what the lessons say about it
    assert by["RNN"]["val_loss"] > 0.8 * trivial and by["LSTM"]["val_loss"] < 0.1 * trivial
    assert by["LSTM (PyTorch forget bias)"]["val_loss"] > 0.8 * trivial
