"""The run store: round trips, broken folders, concurrent writers, limits, autosave, CLI, ONNX."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import ROOT

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import synthetic
from core.forecast.run import fit_forecaster
from core.jobs.threads import Job
from core.models.onnx_export import export_onnx, onnx_parity
from core.runs.files import CheckpointKeeper
from core.runs.formats import forecaster as ck
from core.runs.kinds import forecaster as forecaster_runs
from core.runs.store import Limits, RunError, RunStore
from core.tasks.forecast import forecast_task

DATA = synthetic("noisy_sine", n=160, seed=1)
DCFG = DataConfig(target="value", lookback=8)


def tiny(hidden: int = 4, epochs: int = 2, keeper=None, **train):
    cbs = [keeper] if keeper else []
    tcfg = TrainConfig(epochs=epochs, batch_size=32, **train)
    return fit_forecaster(DATA, DCFG, ModelConfig(hidden_size=hidden), tcfg, callbacks=cbs)


@pytest.fixture(scope="module")
def run():
    r = tiny()
    r.extras["probe"] = {"epochs": [1, 2], "f": np.arange(6.0).reshape(2, 3), "t": torch.ones(2)}
    return r


def test_save_list_load_round_trip(tmp_path, run):
    store = RunStore(tmp_path)
    res = forecaster_runs.save(store, run, name="first", session="s1")
    assert res.evicted == [] and res.message == ""
    [info] = store.list()
    assert (info.id, info.name, info.kind, info.session) == (
        res.info.id,
        "first",
        "forecaster",
        "s1",
    )
    meta = info.meta
    assert meta["dataset"]["fingerprint"] == DATA.fingerprint()
    assert meta["dataset"]["provenance"]["generator"] == "noisy_sine"
    assert meta["fit"]["best_val_loss"] == pytest.approx(run.fit.best_val_loss)
    assert meta["scores"]["test"]["model_mae"] == pytest.approx(run.scores("test")["model_mae"])
    assert {"meta.json", "history.json", "last.pt", "extras.pt"} <= {
        p.name for p in info.path.iterdir()
    }
    back = forecaster_runs.load(store, info.id)
    for span in ("train", "val", "test"):
        pd.testing.assert_frame_equal(back.predictions(span), run.predictions(span))
    assert back.fit.history == run.fit.history
    np.testing.assert_array_equal(back.extras["probe"]["f"], run.extras["probe"]["f"])
    assert isinstance(back.extras["probe"]["f"], np.ndarray)
    assert torch.equal(back.extras["probe"]["t"], torch.ones(2))
    assert back.extras["saved_run_id"] == info.id
    assert json.loads((info.path / "history.json").read_text())[-1]["epoch"] == 2


def test_best_and_last_checkpoints_are_the_epochs_weights(tmp_path):
    keeper = CheckpointKeeper()
    run = tiny(epochs=5, keeper=keeper, lr=0.5, early_stopping=True, patience=2)
    assert run.fit.best_epoch < run.fit.history[-1]["epoch"]  # best and last differ
    info = forecaster_runs.save(RunStore(tmp_path), run, keeper=keeper).info
    best = ck.load_dict(info.path / "best.pt")
    last = ck.load_dict(info.path / "last.pt")
    for saved, kept in ((best, keeper.best), (last, keeper.last)):
        assert all(torch.equal(saved["state_dict"][k], v) for k, v in kept.items())
    assert best["weights"] == "best" and last["weights"] == "last"
    # early stopping restored the best weights: the run opens with those
    assert info.meta["weights"] == "best"
    model = run.model.state_dict()
    assert all(torch.equal(best["state_dict"][k], v) for k, v in model.items())


def test_without_early_stopping_last_is_the_final_model(tmp_path):
    keeper = CheckpointKeeper()
    run = tiny(epochs=4, keeper=keeper, lr=0.5)
    assert run.fit.best_epoch < 4  # the case that matters: the best epoch is not the last
    assert keeper.last is None  # not copied: the final weights are the last epoch's
    info = forecaster_runs.save(RunStore(tmp_path), run, keeper=keeper).info
    last = ck.load_dict(info.path / "last.pt")["state_dict"]
    best = ck.load_dict(info.path / "best.pt")["state_dict"]
    assert all(torch.equal(last[k], v) for k, v in run.model.state_dict().items())
    assert all(torch.equal(best[k], v) for k, v in keeper.best.items())
    best_is_last = run.fit.best_epoch == run.fit.history[-1]["epoch"]
    assert all(torch.equal(best[k], last[k]) for k in best) == best_is_last
    assert info.meta["weights"] == ("best" if best_is_last else "last")


def test_broken_and_unfinished_folders_never_break_the_list(tmp_path, run):
    store = RunStore(tmp_path)
    good = forecaster_runs.save(store, run).info
    (tmp_path / "no-meta").mkdir()
    (tmp_path / "bad-json").mkdir()
    (tmp_path / "bad-json" / "meta.json").write_text("{not json")
    (tmp_path / ".tmp-20200101-000000-abcdef").mkdir()  # a writer that crashed
    infos = {i.id: i for i in store.list()}
    assert set(infos) == {good.id, "no-meta", "bad-json"}
    assert infos["no-meta"].broken == "its meta.json is missing"
    assert infos["bad-json"].broken.startswith("its meta.json is not valid JSON")
    assert [i.id for i in store.list(include_broken=False)] == [good.id]
    with pytest.raises(RunError) as e:
        forecaster_runs.load(store, "no-meta")
    assert str(e.value) == "run 'no-meta' cannot be opened: its meta.json is missing"
    store.delete("no-meta")
    assert "no-meta" not in {i.id for i in store.list()}


def test_concurrent_writers_never_corrupt_the_folder(tmp_path, run):
    store = RunStore(tmp_path, Limits(per_session=3))
    errors: list[BaseException] = []
    seen_broken: list[str] = []

    def writer(session: str) -> None:
        try:
            for i in range(4):
                forecaster_runs.save(
                    RunStore(tmp_path, Limits(per_session=3)),
                    run,
                    name=f"{session}-{i}",
                    session=session,
                )
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    def reader() -> None:
        for _ in range(20):
            seen_broken.extend(i.id for i in store.list() if i.broken)

    threads = [threading.Thread(target=writer, args=(s,)) for s in ("a", "b")]
    threads.append(threading.Thread(target=reader))
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors and not seen_broken
    infos = store.list()
    assert sorted(i.name for i in infos) == ["a-1", "a-2", "a-3", "b-1", "b-2", "b-3"]
    assert all(forecaster_runs.load(store, i.id).fit is not None for i in infos)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".tmp-", ".trash-"))]


def test_per_session_limit_removes_the_oldest_unpinned_first(tmp_path, run):
    store = RunStore(tmp_path, Limits(per_session=2))
    r1 = forecaster_runs.save(store, run, name="one", session="s").info
    r2 = forecaster_runs.save(store, run, name="two", session="s").info
    store.set_pinned(r1.id, True)
    forecaster_runs.save(store, run, name="other session", session="t")
    res = forecaster_runs.save(store, run, name="three", session="s")
    assert [r.id for r in res.evicted] == [r2.id]  # "one" is older but pinned
    assert res.message == (
        "Removed 1 older run to stay within the limits (2 runs per session, 500 MB in all): "
        "'two'. Pin a run on the Runs page to keep it."
    )
    assert sorted(i.name for i in store.list()) == ["one", "other session", "three"]
    [log] = store.evictions()
    assert (log["name"], log["reason"]) == ("two", "more than 2 runs in this session")


def test_size_limit_removes_the_oldest_unpinned_runs(tmp_path, run):
    probe = forecaster_runs.save(RunStore(tmp_path / "probe"), run).info.size_bytes
    store = RunStore(tmp_path / "runs", Limits(max_bytes=int(2.5 * probe)))
    ids = [forecaster_runs.save(store, run, name=f"r{i}").info.id for i in range(2)]
    res = forecaster_runs.save(store, run, name="r2")
    assert [r.id for r in res.evicted] == [ids[0]]
    assert sum(i.size_bytes for i in store.list()) <= store.limits.max_bytes
    assert store.evictions()[0]["reason"].startswith("the runs folder was over its")


def test_rename_pin_delete_and_their_messages(tmp_path, run):
    store = RunStore(tmp_path)
    rid = forecaster_runs.save(store, run).info.id
    assert store.rename(rid, "  my   best run ").name == "my best run"
    with pytest.raises(RunError, match=r"^a run name cannot be empty$"):
        store.rename(rid, "   ")
    assert store.set_pinned(rid, True).pinned
    store.delete(rid)
    assert store.list() == []
    with pytest.raises(RunError) as e:
        store.delete(rid)
    assert str(e.value) == f"no run {rid!r} (it may have been deleted)"
    with pytest.raises(RunError, match="is not a run id"):
        store.get("../etc")


def test_other_kinds_are_stored_as_records(tmp_path):
    store = RunStore(tmp_path)
    info = store.save_record("text", "char-LSTM", {"perplexity": 3.5}, {"w": np.ones(2)}).info
    assert (info.kind, info.meta["perplexity"]) == ("text", 3.5)
    assert torch.load(info.path / "payload.pt", weights_only=True)["w"]["__ndarray__"].sum() == 2
    with pytest.raises(RunError) as e:
        forecaster_runs.load(store, info.id)
    assert str(e.value) == "run 'char-LSTM' is a text run, not a forecaster"


def _job(task) -> Job:
    job = Job(task, name="autosave test")
    job.start()
    assert job.join(300)
    return job


def test_forecast_task_saves_the_run_when_the_job_ends(tmp_path):
    store = RunStore(tmp_path)
    task = forecast_task(DATA, DCFG, ModelConfig(hidden_size=4), TrainConfig(epochs=2), store=store)
    job = _job(task)
    snap = job.snapshot()
    assert snap["status"] == "done" and "save_warning" not in snap
    [info] = store.list()
    assert snap["saved_run"] == info.id and info.name == "autosave test"
    assert job.result.extras["saved_run_id"] == info.id
    pd.testing.assert_frame_equal(
        forecaster_runs.load(store, info.id).predictions("test"), job.result.predictions("test")
    )


def test_a_failed_save_is_a_warning_and_keeps_the_run(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the runs folder should be")
    store = RunStore(blocker)
    task = forecast_task(DATA, DCFG, ModelConfig(hidden_size=4), TrainConfig(epochs=1), store=store)
    job = _job(task)
    snap = job.snapshot()
    assert snap["status"] == "done" and job.result.fit.history
    assert snap["save_warning"].startswith(
        "the run was trained but could not be saved in the runs folder: "
    )
    assert str(tmp_path) not in snap["save_warning"]  # never a server path in the browser
    assert snap["save_warning"].endswith(
        "It stays open in this session; free disk space or fix the folder's permissions, "
        "then export it from the Runs page."
    )


@pytest.mark.parametrize(
    "cfg",
    [
        ModelConfig(cell="lstm", input_size=3, hidden_size=6, num_layers=2, horizon=2),
        ModelConfig(cell="gru", input_size=2, hidden_size=5, bidirectional=True),
        ModelConfig(cell="rnn", input_size=1, hidden_size=4, num_layers=2, bidirectional=True),
    ],
    ids=["lstm-2-layers", "gru-bi", "rnn-bi-2-layers"],
)
def test_onnx_matches_pytorch_on_random_inputs(cfg):
    from core.models.recurrent import RecurrentForecaster

    torch.manual_seed(0)
    model = RecurrentForecaster(cfg).eval()
    data = export_onnx(model, lookback=7)
    assert onnx_parity(data, model, lookback=7, batch=9, seed=1) < 1e-5
    assert onnx_parity(data, model, lookback=12, batch=3, seed=2) < 1e-5  # dynamic time axis


def _cli(*args: str, env_dir) -> subprocess.CompletedProcess:
    env = {"LSTMLAB_RUNS_DIR": str(env_dir), "LSTMLAB_THREADS": "1", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_cli_lists_runs_and_exports_onnx(tmp_path, run):
    store = RunStore(tmp_path / "runs")
    info = forecaster_runs.save(store, run, name="cli run").info
    out = _cli("runs", "list", "--json", env_dir=store.root)
    assert out.returncode == 0, out.stderr
    [row] = json.loads(out.stdout)["runs"]
    assert (row["id"], row["name"], row["model"]) == (info.id, "cli run", "LSTM 4×1")
    onnx_path = tmp_path / "m.onnx"
    out = _cli(
        "export", "--run", str(info.path), "--onnx", str(onnx_path), "--json", env_dir=tmp_path
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["onnxruntime_max_abs_diff"] < 1e-5
    assert onnx_path.stat().st_size == result["onnx_bytes"] > 0
    out = _cli("export", "--run", "missing-run", "--onnx", str(onnx_path), env_dir=store.root)
    assert out.returncode == 2
    assert out.stderr.strip() == "error: no run 'missing-run' (it may have been deleted)"


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        (
            "LSTMLAB_RUNS_MAX_MB",
            "lots",
            "LSTMLAB_RUNS_MAX_MB must be a number of MB > 0, got 'lots'",
        ),
        ("LSTMLAB_RUNS_MAX_MB", "-5", "LSTMLAB_RUNS_MAX_MB must be a number of MB > 0, got '-5'"),
        (
            "LSTMLAB_RUNS_PER_SESSION",
            "0",
            "LSTMLAB_RUNS_PER_SESSION must be an integer >= 1, got '0'",
        ),
    ],
)
def test_bad_limits_in_the_environment_warn_but_never_stop_training(
    monkeypatch, tmp_path, var, value, message
):
    monkeypatch.setenv("LSTMLAB_RUNS_DIR", str(tmp_path))
    monkeypatch.setenv(var, value)
    with pytest.raises(ValueError) as e:
        Limits.from_env()
    assert str(e.value) == message
    job = _job(forecast_task(DATA, DCFG, ModelConfig(hidden_size=4), TrainConfig(epochs=1)))
    assert job.snapshot()["status"] == "done" and job.result.fit.history
    assert job.snapshot()["save_warning"] == f"the run was trained but not saved: {message}"
