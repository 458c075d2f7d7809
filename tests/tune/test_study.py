"""The study coordinator on a real SQLite study: trials as jobs, pruning, the best run saved,
continuing, reopening after a restart, Stop, and a test span the search never reads."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import wait_until

from core.config import DataConfig
from core.data import Dataset, synthetic
from core.jobs.threads import JobManager
from core.runs.kinds import forecaster as forecaster_kind
from core.runs.store import RunStore
from core.tune import Budget, SearchSpace, Study, TuneSpec, list_studies, load_snapshot

optuna = pytest.importorskip("optuna")  # requirements-tune.txt: installed by the test command

SPACE = SearchSpace(cells=("lstm", "gru"), hidden=(4, 8), layers=(1, 1), lr=(1e-4, 3e-2),
                    batch=(64,), lookback=(10,))  # fmt: skip
DATA = DataConfig(target="value")


def spec(ds: Dataset, trials: int, epochs: int = 4, parallel: int = 1, pruner="median"):
    return TuneSpec(ds, DATA, SPACE, Budget(trials=trials, epochs=epochs, parallel=parallel),
                    pruner=pruner)  # fmt: skip


def run_study(study: Study, timeout: float = 120.0) -> dict:
    job = study.job()
    job.start()
    wait_until(lambda: job.done, timeout, what="the study to end")
    snap = job.snapshot()
    assert snap["status"] in ("done", "stopped"), snap.get("traceback")
    return snap


def test_study_prunes_saves_the_best_run_continues_and_reopens(tmp_path):
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    store = RunStore(tmp_path / "runs")
    ds = synthetic("sine", n=300)
    study = Study(spec(ds, trials=8), JobManager(2), name="s1", storage=url, store=store)
    snap = run_study(study)
    assert snap["phase"] == "done" and snap["n_trials"] == 8
    assert snap["n_pruned"] >= 1  # tiny learning rates lag behind the median and are stopped
    states = {t["state"] for t in snap["trials"]}
    assert states <= {"complete", "pruned"}, states
    pruned = [t for t in snap["trials"] if t["state"] == "pruned"]
    assert all(len(t["val_curve"]) < 4 for t in pruned)  # stopped before their last epoch
    # every trial's params and curve stay queryable in the database
    stored = optuna.load_study(study_name="s1", storage=url)
    for t in stored.trials:
        assert set(t.params) >= {"cell", "hidden_size", "lr"} and t.intermediate_values
        assert len(t.user_attrs["train_loss"]) >= len(t.intermediate_values)
    best = stored.best_trial
    result = snap["result"]
    assert result["best_trial"] == best.number and result["best_value"] == best.value
    assert best.value in [v for _, v in snap["trials"][best.number]["val_curve"]]
    test = result["test"]
    assert test["n"] > 0 and np.isfinite(test["model_mae"]) and np.isfinite(test["naive_mae"])
    assert {"drift_mae", "moving_average_mae"} <= set(test)
    # the best trial is a normal forecaster run: openable on Gates and Train
    run = forecaster_kind.load(store, result["run_id"])
    assert run.model_cfg.cell == result["params"]["cell"]
    assert run.scores("test")["model_mae"] == pytest.approx(test["model_mae"], rel=1e-5)
    # a trial's value is its validation MSE in the target's units (comparable across window
    # modes), at the epoch whose weights it kept
    assert result["best_value"] == pytest.approx(run.scores("val")["model_rmse"] ** 2, rel=1e-4)
    assert len(store.list()) == 1  # one run saved, not one per trial

    more = Study(spec(ds, trials=2), JobManager(2), name="s1", storage=url, store=store)
    assert more.n_before == 8
    snap2 = run_study(more)
    assert snap2["n_trials"] == 10 and snap2["n_before"] == 8
    # a restart: nothing in memory, the study reopens from its database
    again = load_snapshot("s1", storage=url)
    assert (
        again["n_trials"] == 10 and again["result"]["best_value"] == snap2["result"]["best_value"]
    )
    assert [s["name"] for s in list_studies(url)] == ["s1"]


def test_test_span_never_touched_during_the_search(tmp_path):
    """Poison every test row: the validation losses and the chosen trial stay identical;
    only the test score (computed once, after the search) changes."""
    ds = synthetic("sine", n=300)
    frame = ds.frame.copy()
    n_test = round(len(frame) * DATA.test_fraction)
    frame.iloc[-n_test:, 0] = np.random.default_rng(1).uniform(-5, 5, n_test)
    poisoned = Dataset(frame, ds.name, ds.provenance)
    snaps = []
    for i, d in enumerate((ds, poisoned)):
        url = f"sqlite:///{tmp_path / f'{i}.db'}"
        snaps.append(run_study(Study(spec(d, trials=4, epochs=3), JobManager(1), storage=url,
                                     store=None)))  # fmt: skip
    clean, bad = snaps
    assert [t["val_curve"] for t in clean["trials"]] == [t["val_curve"] for t in bad["trials"]]
    assert [t["state"] for t in clean["trials"]] == [t["state"] for t in bad["trials"]]
    assert clean["result"]["best_trial"] == bad["result"]["best_trial"]
    assert clean["result"]["params"] == bad["result"]["params"]
    assert bad["result"]["test"]["naive_mae"] > 3 * clean["result"]["test"]["naive_mae"]


def test_stop_ends_the_study_cleanly(tmp_path):
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    manager = JobManager(2)
    ds = synthetic("sine", n=2000)
    study = Study(spec(ds, trials=40, epochs=300, parallel=2, pruner="none"), manager,
                  name="long", storage=url, store=None)  # fmt: skip
    job = study.job()
    job.start()
    wait_until(lambda: any(t["val_curve"] for t in job.snapshot().get("trials", [])), 120,
               what="a trial to report an epoch")  # fmt: skip
    job.stop()
    wait_until(lambda: job.done, 120, what="the study to stop")
    snap = job.snapshot()
    assert snap["status"] == "stopped" and snap["phase"] == "stopped"
    assert snap["result"]["stopped"] == "stopped by the user"
    assert manager.running() == []  # its trials were stopped too
    stored = optuna.load_study(study_name="long", storage=url)
    assert stored.trials and all(t.state.is_finished() for t in stored.trials)
    assert len(stored.trials) < 40


def test_the_time_limit_ends_the_search_and_the_best_trial_is_still_scored(tmp_path):
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    ds = synthetic("sine", n=300)
    budget = Budget(trials=500, epochs=4, time_limit_s=5)
    s = Study(TuneSpec(ds, DATA, SPACE, budget, pruner="none"), JobManager(1), storage=url,
              store=None)  # fmt: skip
    snap = run_study(s, timeout=120)
    assert snap["phase"] == "stopped" and "time limit of 5 s" in snap["result"]["stopped"]
    assert 1 <= snap["n_trials"] < 500 and snap["n_running"] == 0
    assert snap["result"]["test"]["n"] > 0  # the best completed trial, scored once


def test_trials_run_in_ray_workers_with_optuna_on_the_server(tmp_path, ray_local):
    """Issue 15 + 16: the same study on the Ray backend: each trial trains in a Ray worker
    (another process), the coordinator here reads its snapshots, reports and prunes; the best
    run comes back and is saved here."""
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    store = RunStore(tmp_path / "runs")
    manager = JobManager(backend=ray_local)
    study = Study(spec(synthetic("sine", n=300), trials=3, epochs=3), manager, name="ray",
                  storage=url, store=store)  # fmt: skip
    snap = run_study(study, timeout=300.0)
    assert snap["phase"] == "done" and snap["n_trials"] == 3
    stored = optuna.load_study(study_name="ray", storage=url)
    assert all(t.intermediate_values for t in stored.trials)  # every trial reported per epoch
    run = forecaster_kind.load(store, snap["result"]["run_id"])
    assert run.fit.history and run.scores("test")["n"] > 0
    assert not manager.running()
