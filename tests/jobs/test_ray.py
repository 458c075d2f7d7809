"""Jobs on Ray (issue 15), against one real local Ray instance (the session's ``ray_local``):
the same results as on threads, live progress, Stop, a killed worker, the line, saving on the
server. Pure helpers of the GPU path (options, capacity, sentences) are checked without Ray."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time

import pytest
import torch
from conftest import wait_until
from ray import cloudpickle

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import synthetic
from core.jobs import ray_backend
from core.jobs.backends import make_manager
from core.jobs.ray_backend import capacity_of, explain_ray_error, gpu_share, job_options
from core.jobs.threads import DONE, FAILED, STOPPED, JobManager, training_job
from core.runs.kinds import forecaster as forecaster_runs
from core.tasks.live import live_task
from core.training.trainer import Callback

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/

SINE = synthetic("sine", n=300, period=25.0)
DATA = DataConfig(target="value", lookback=12, val_fraction=0.2, test_fraction=0.2)
MODEL = ModelConfig(cell="lstm", hidden_size=8)
FAST = TrainConfig(epochs=6, batch_size=16, lr=1e-2)
KILLED = (
    "its Ray worker process ended unexpectedly (killed, or out of memory) before training "
    "finished; earlier runs are untouched, start it again"
)


def submit(manager: JobManager, task, name: str = "ray test"):
    return manager.submit(training_job(task, name=name, threads=1))


class Pace(Callback):
    """A pause after each epoch: a tiny model trains in a blink, a watcher needs a moment."""

    def on_epoch_end(self, trainer, record: dict) -> None:
        time.sleep(0.3)


def blocker(ctx):  # waits for its stop: a job that holds a slot and costs nothing
    ctx.publish(holding=True)
    while not ctx.should_stop:
        time.sleep(0.02)
    return "released"


# -- one job, both backends --------------------------------------------------------------------
def test_the_same_job_gives_the_same_run_on_threads_and_on_ray_and_is_saved_here(ray_local, store):
    on_threads = submit(JobManager(max_jobs=1), live_task(SINE, DATA, MODEL, FAST))
    paced = live_task(SINE, DATA, MODEL, FAST, callbacks=[Pace()])
    on_ray = submit(JobManager(backend=ray_local), paced)
    seen = set()
    while not on_ray.done:
        s = on_ray.snapshot()
        seen.add((s.get("epoch"), s.get("batch"), len(s["history"])))
        time.sleep(0.05)
    assert on_threads.join(120) and on_ray.join(120)
    a, b = on_threads.snapshot(), on_ray.snapshot()
    assert (a["status"], b["status"]) == (DONE, DONE), (a["message"], b["message"])
    assert len(seen) >= 3  # live progress crossed the process boundary several times
    # it really ran in another process, and said where
    assert b["backend"] == "ray" and b["where"]["pid"] not in (None, os.getpid())
    assert b["where"]["node"] and b["where"]["host"] == socket.gethostname()
    assert b["device"]["type"] == "cpu" and b["where"]["gpus"] == []  # no GPU asked, none seen
    assert b["threads"] == 1
    for ha, hb in zip(a["history"], b["history"], strict=True):
        assert ha["train_loss"] == pytest.approx(hb["train_loss"], rel=1e-5)
        assert ha["val_loss"] == pytest.approx(hb["val_loss"], rel=1e-5)
    wa, wb = on_threads.result.model.state_dict(), on_ray.result.model.state_dict()
    assert all(torch.allclose(wa[k], wb[k], atol=1e-6) for k in wa)
    # the server saved the Ray run (the worker has no runs folder): its weights are the result's
    saved = {info.id: info for info in store.list()}
    assert b["saved_run"] in saved and a["saved_run"] in saved
    assert saved[b["saved_run"]].name == "ray test"
    assert on_ray.result.extras["saved_run_id"] == b["saved_run"]
    loaded = forecaster_runs.load(store, b["saved_run"])
    assert all(torch.equal(loaded.model.state_dict()[k], wb[k]) for k in wb)


def test_stop_reaches_the_worker_and_keeps_the_last_epoch(ray_local):
    job = submit(
        JobManager(backend=ray_local), live_task(SINE, DATA, MODEL, FAST.replace(epochs=500))
    )
    wait_until(lambda: len(job.snapshot()["history"]) >= 2, what="two epochs on Ray")
    job.stop()
    assert job.join(60)
    snap, run = job.snapshot(), job.result
    assert snap["status"] == STOPPED and snap["reason"] == "stopped"
    kept = len(run.fit.history)
    assert kept >= 2 and snap["message"].startswith("stopped by the user during epoch")
    assert snap["message"].endswith(f"kept the weights of epoch {kept}")


def test_a_killed_worker_fails_its_job_with_a_sentence_while_another_completes(ray_local):
    manager = JobManager(backend=ray_local)
    doomed = submit(manager, live_task(SINE, DATA, MODEL, FAST.replace(epochs=500)), "doomed")
    other = submit(manager, live_task(SINE, DATA, MODEL, FAST.replace(epochs=30)), "other")
    pid = wait_until(lambda: (doomed.snapshot().get("where") or {}).get("pid"), what="a pid")
    wait_until(lambda: len(other.snapshot()["history"]) >= 1, what="the other job training")
    os.kill(pid, signal.SIGKILL)
    assert doomed.join(60)
    snap = doomed.snapshot()
    assert snap["status"] == FAILED and snap["message"] == KILLED
    assert doomed.result is None
    assert other.join(120) and other.status == DONE  # the other worker never noticed
    wait_until(lambda: manager.running() == [], what="both slots free")


def test_on_ray_jobs_beyond_the_cluster_wait_in_line_and_can_be_cancelled(ray_local):
    manager = JobManager(backend=ray_local)
    assert manager.max_jobs == 2  # 2 CPUs, 1 per job
    jobs = [manager.submit(training_job(blocker, name=f"b{i}", threads=1)) for i in range(4)]
    assert [j.status for j in jobs] == ["running", "running", "queued", "queued"]
    assert [j.snapshot().get("queue_position") for j in jobs[2:]] == [1, 2]
    jobs[2].stop()  # cancelled in line: no worker is ever made for it
    assert jobs[2].join(5) and jobs[2].status == STOPPED and "where" not in jobs[2].snapshot()
    assert jobs[3].snapshot()["queue_position"] == 1
    wait_until(lambda: jobs[0].snapshot().get("holding"), what="the first blocker running")
    jobs[0].stop()
    assert jobs[0].join(60) and jobs[0].result == "released"
    wait_until(lambda: jobs[3].snapshot().get("holding"), what="the next in line running")
    for j in (jobs[1], jobs[3]):
        j.stop()
        assert j.join(60) and j.status == STOPPED


# -- connecting ---------------------------------------------------------------------------------
def test_an_unreachable_cluster_is_a_sentence_and_the_server_runs_on_threads(monkeypatch):
    monkeypatch.setenv("LSTMLAB_BACKEND", "ray")
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:1")  # nothing listens on port 1
    manager = make_manager()
    assert manager.backend.name == "thread"
    assert manager.notice == (
        "the Ray cluster at 127.0.0.1:1 cannot be reached (Connection refused); "
        "training runs on this server's threads instead"
    )
    job = manager.submit(training_job(lambda ctx: 7, name="fallback", threads=1))
    assert job.join(60) and job.result == 7


# -- the GPU path, checked on a CPU machine --------------------------------------------------
def test_jobs_ask_for_a_gpu_share_only_where_the_cluster_has_gpus(monkeypatch):
    gpu_box = {"CPU": 16.0, "GPU": 1.0}
    assert job_options(gpu_box, 1.0, 0.25) == {
        "num_cpus": 1.0, "max_concurrency": 2, "max_restarts": 0, "num_gpus": 0.25
    }  # fmt: skip
    assert "num_gpus" not in job_options({"CPU": 2.0}, 1.0, 0.25)
    assert capacity_of(gpu_box, 1.0, 0.25) == 4  # four small trainings share the GPU
    assert capacity_of({"CPU": 16.0, "GPU": 2.0}, 1.0, 0.25) == 8
    assert capacity_of({"CPU": 2.0}, 1.0, 0.25) == 2 and capacity_of({"CPU": 0.5}, 1.0, 0.25) == 1
    monkeypatch.setenv("LSTMLAB_GPU_SHARE", "0.5")
    assert gpu_share() == 0.5
    monkeypatch.setenv("LSTMLAB_GPU_SHARE", "lots")
    assert gpu_share() == 0.25


def test_ray_failures_become_one_sentence():
    from ray import exceptions as rx

    assert explain_ray_error(rx.ActorDiedError()) == KILLED
    assert explain_ray_error(
        rx.OutOfMemoryError("Task was killed due to the node running low on memory")
    ).startswith("its Ray worker was stopped because the machine ran out of memory")
    assert explain_ray_error(rx.NodeDiedError("node died")).startswith(
        "the machine running it left the Ray cluster"
    )
    oom = torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    assert explain_ray_error(oom).startswith("the device ran out of memory")


def test_where_a_job_runs_reads_plainly():
    from dashboard.common.jobs import ordinal, queue_words, where_words

    gpu = {"backend": "ray", "device": {"type": "cuda"},
           "where": {"node": "10.0.0.7", "host": "gpu-box", "pid": 4242}}  # fmt: skip
    assert where_words(gpu) == "on node 10.0.0.7 (gpu-box) · GPU"
    cpu = {"backend": "ray", "device": {"type": "cpu"},
           "where": {"node": "127.0.0.1", "host": "vm", "pid": 4242}}  # fmt: skip
    assert where_words(cpu) == "on node 127.0.0.1 (vm) · cpu"
    assert where_words({"backend": "thread", "device": {"type": "cpu"}}) == "on this server · cpu"
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd"
    ]  # fmt: skip
    assert (
        queue_words({"queue_position": 2}) == "2nd in line: it starts when a training slot frees up"
    )


def test_a_cluster_gets_all_of_core_and_none_of_the_runs_or_tests():
    # Ray's own matcher for working_dir excludes (private, but the one that decides)
    from ray._private.runtime_env.packaging import _get_excludes

    from core.jobs.ray_connect import ROOT, WORKING_DIR_EXCLUDES

    excluded = _get_excludes(ROOT, WORKING_DIR_EXCLUDES)
    shipped = [p for p in (ROOT / "core").rglob("*.py") if not excluded(p)]
    assert len(shipped) == len(list((ROOT / "core").rglob("*.py"))) > 50
    assert (ROOT / "core" / "runs" / "store.py") in shipped  # "runs" once dropped core/runs
    for left_out in ("runs/x/payload.pt", "tests/conftest.py", ".venv/bin/python", "bench/a.py"):
        assert excluded(ROOT / left_out), left_out


def test_results_of_a_gpu_worker_pickle_through_the_cpu_pickler(monkeypatch):
    # on a worker with a GPU, ``dumps`` moves every CUDA tensor to the CPU on the way out (the
    # server may have no GPU); here (no GPU) its pickler runs on CPU tensors, which it keeps
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    model = torch.nn.LSTM(3, 4)
    out = ray_backend.loads(ray_backend.dumps({"model": model, "w": torch.arange(5.0)}))
    assert torch.equal(out["w"], torch.arange(5.0))
    assert all(
        torch.equal(a, b)
        for a, b in zip(out["model"].parameters(), model.parameters(), strict=True)
    )
