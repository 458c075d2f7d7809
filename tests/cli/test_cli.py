"""The command line, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def test_help_lists_train():
    r = cli("--help")
    assert r.returncode == 0 and "train" in r.stdout


def test_train_sine_prints_one_json_object():
    r = cli("--threads", "1", "train", "--data", "sine", "--epochs", "5", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["epochs"] == 5 and out["reason"] == "completed"
    assert 0 < out["val_loss"] < 0.05  # a clean sine is easy
    assert out["train_loss"] > 0 and out["device"].startswith("CPU") and out["threads"] == 1


def test_train_saves_a_checkpoint_that_loads(tmp_path):
    path = tmp_path / "m.pt"
    r = cli(
        "train", "--data", "sine", "--epochs", "1", "--no-baselines", "--save", str(path), "--json"
    )
    assert r.returncode == 0, r.stderr
    from core.runs.formats.forecaster import load_dict

    assert load_dict(path)["model_cfg"]["cell"] == "lstm"


def test_bad_settings_exit_2_with_a_message():
    r = cli("train", "--data", "sine", "--epochs", "0")
    assert r.returncode == 2
    assert "epochs must be an integer >= 1, got 0" in r.stderr
    assert "Traceback" not in r.stderr
