"""``python -m core train --csv``: a user's file, the run saved like the dashboard's, the
baselines and intervals in the JSON, and ``export --onnx`` working on that run."""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import ROOT


@pytest.fixture
def cli(capsys, monkeypatch):
    """``python -m core ARGS`` in this process (the subprocess start-up costs more than the
    work here): returncode, stdout, stderr, with the runs folder of the test."""

    def run(*args: str, runs):
        from core.cli import main

        monkeypatch.setenv("LSTMLAB_RUNS_DIR", str(runs))
        code = main(["--threads", "1", *args])
        out = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)

    return run


def test_train_on_a_csv_saves_the_run_and_export_works_on_it(tmp_path, cli):
    src = tmp_path / "passengers.csv"  # the user's file, outside the project's data folder
    shutil.copy(ROOT / "data" / "airline-passengers.csv", src)
    runs = tmp_path / "runs"
    r = cli("train", "--csv", str(src), "--target", "Passengers", "--lookback", "12",
            "--horizon", "2", "--hidden", "8", "--epochs", "2", "--json", runs=runs)  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["data"] == "passengers.csv" and out["target"] == "Passengers"
    assert out["season_length"] == 12 and out["season_source"] == "monthly data"
    for span in ("val", "test"):
        assert set(out["scores"][span]) == {"LSTM", "naive", "seasonal naive", "drift",
                                            "AutoETS", "AutoARIMA", "AutoTheta"}  # fmt: skip
        for s in out["scores"][span].values():
            assert {"mae", "rmse", "mase", "smape", "rel_mae"} <= set(s)
    for level in ("80", "95"):
        cov = out["coverage"][level]
        assert 0 <= cov["LSTM (conformal)"] <= 1 and "AutoETS" in cov
    assert out["verdict"].startswith("On the test span")
    assert out["failures"] == {}
    # saved in the runs folder: listed, with the comparison in its meta.json
    listed = json.loads(cli("runs", "list", "--json", runs=runs).stdout)
    ids = [row["id"] for row in listed["runs"]]
    assert ids == [out["run_id"]]
    meta = json.loads((runs / out["run_id"] / "meta.json").read_text())
    assert meta["baselines"]["verdict"] == out["verdict"]
    assert meta["dataset"]["name"] == "passengers.csv"
    # and exported as ONNX, checked against PyTorch by onnxruntime
    onnx = tmp_path / "m.onnx"
    e = cli("export", "--run", out["run_id"], "--onnx", str(onnx), "--json", runs=runs)
    assert e.returncode == 0, e.stderr
    info = json.loads(e.stdout)
    assert onnx.stat().st_size > 0 and info["onnxruntime_max_abs_diff"] < 1e-4
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx), providers=["CPUExecutionProvider"])
    y = sess.run(None, {sess.get_inputs()[0].name: np.zeros((1, 12, 1), np.float32)})[0]
    assert y.shape == (1, 2)


def test_a_bad_target_is_a_clear_error_and_saves_nothing(tmp_path, cli):
    runs = tmp_path / "runs"
    r = cli("train", "--csv", str(ROOT / "data" / "airline-passengers.csv"), "--target",
            "Sales", "--epochs", "1", "--json", runs=runs)  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.strip() == ("error: column(s) not in the data: Sales; available: Passengers"), (
        r.stderr
    )
    assert not runs.exists() or not any(runs.iterdir())
