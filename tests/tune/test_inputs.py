"""Bad input: a clear sentence, and nothing already stored is lost."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from core.config import DataConfig
from core.data import synthetic
from core.jobs.threads import JobManager
from core.tune import Budget, SearchSpace, Study, TuneSpec, list_studies

pytest.importorskip("optuna")


def test_empty_or_single_point_space():
    with pytest.raises(ValueError, match="search space is empty: pick at least one cell"):
        SearchSpace(cells=())
    with pytest.raises(ValueError, match="single point"):
        SearchSpace(cells=("lstm",), hidden=(8,), layers=(1, 1), lr=(1e-3, 1e-3), batch=(32,))
    with pytest.raises(ValueError, match="learning rate range is empty"):
        SearchSpace(lr=(1e-2, 1e-3))


def test_budget_that_cannot_run_one_trial():
    with pytest.raises(ValueError, match="cannot run one trial: trials must be at least 1"):
        Budget(trials=0)
    with pytest.raises(ValueError, match="cannot run one trial: epochs"):
        Budget(epochs=0)
    with pytest.raises(ValueError, match="time limit of 1 s is too short"):
        Budget(time_limit_s=1)


def test_data_too_short_and_unreachable_storage_lose_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    space = SearchSpace(hidden=(4, 8), lookback=(10, 80))
    ds = synthetic("sine", n=300)
    Study(TuneSpec(ds, DataConfig(target="value"), space), JobManager(1), name="kept", storage=url)
    short = synthetic("sine", n=100)
    with pytest.raises(ValueError, match=r"largest lookback of the search space \(T=80"):
        Study(TuneSpec(short, DataConfig(target="value"), space), JobManager(1), storage=url)
    with pytest.raises(ValueError, match=r"study storage postgresql://127\.0\.0\.1:1/x cannot be"):
        Study(TuneSpec(ds, DataConfig(target="value"), space), JobManager(1),
              storage="postgresql://127.0.0.1:1/x")  # fmt: skip
    with pytest.raises(ValueError, match="was run on other data"):
        Study(TuneSpec(synthetic("sine", n=400), DataConfig(target="value"), space),
              JobManager(1), name="kept", storage=url)  # fmt: skip
    assert [s["name"] for s in list_studies(url)] == ["kept"]


def test_cli_prints_one_json_object(tmp_path):
    idx = pd.bdate_range("2020-01-01", periods=300)
    values = 10 + np.sin(np.arange(300) / 8)
    pd.DataFrame({"Date": idx, "Close": values}).to_csv(tmp_path / "p.csv", index=False)
    r = subprocess.run(
        [sys.executable, "-m", "core", "--threads", "1", "tune", "--csv", str(tmp_path / "p.csv"),
         "--target", "Close", "--trials", "3", "--epochs", "3", "--hidden", "4", "8",
         "--lookback", "10", "--storage", f"sqlite:///{tmp_path / 's.db'}", "--no-save", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["trials"] == 3 and out["pruned"] >= 0 and out["best_val_loss"] > 0
    assert {"cell", "hidden_size", "lr"} <= set(out["best_params"])
    assert out["test_mae"] > 0 and out["naive_mae"] > 0 and out["test_windows"] > 0
    bad = subprocess.run(
        [sys.executable, "-m", "core", "tune", "--data", "sine", "--trials", "0", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert bad.returncode == 2 and "cannot run one trial" in bad.stderr
