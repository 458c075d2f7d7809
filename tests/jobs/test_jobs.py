"""Background training jobs without Streamlit: progress, stop, errors, the cap, cleanup."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest
import torch

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import Dataset, synthetic
from core.forecast.run import ForecastRun
from core.jobs.threads import (
    DONE,
    FAILED,
    STOPPED,
    Busy,
    Job,
    JobManager,
    ProgressCallback,
    explain_error,
    training_job,
)
from core.tasks.live import DIVERGED_FIRST_EPOCH, live_task, out_of_range_share
from core.training.trainer import Callback

SINE = synthetic("sine", n=300, period=25.0)
DATA = DataConfig(target="value", lookback=12, val_fraction=0.2, test_fraction=0.2)
MODEL = ModelConfig(cell="lstm", hidden_size=8)
FAST = TrainConfig(epochs=3, batch_size=32, lr=1e-2)


def wait_for(cond, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout} s")


class RecordStates(Callback):
    """Keeps a copy of the weights after every completed epoch."""

    def __init__(self) -> None:
        self.states: dict[int, dict[str, torch.Tensor]] = {}

    def on_epoch_end(self, trainer, record: dict) -> None:
        sd = trainer.model.state_dict()
        self.states[record["epoch"]] = {k: v.detach().cpu().clone() for k, v in sd.items()}


class Gate(Callback):
    """Blocks the trainer at the end of an epoch until the test lets it go on."""

    def __init__(self, after_epoch: int) -> None:
        self.after_epoch = after_epoch
        self.reached = threading.Event()
        self.release = threading.Event()

    def on_epoch_end(self, trainer, record: dict) -> None:
        if record["epoch"] == self.after_epoch:
            self.reached.set()
            self.release.wait(30)


def same_weights(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> bool:
    return all(torch.equal(v.cpu(), state[k]) for k, v in model.state_dict().items())


def start(task, manager: JobManager | None = None) -> Job:
    job = training_job(task, name="test", threads=1)
    return (manager or JobManager(max_jobs=4)).submit(job)


# -- start, progress, result -----------------------------------------------------------------
def test_a_job_publishes_progress_and_returns_the_trained_run():
    snaps = []
    job = start(live_task(SINE, DATA, MODEL, FAST.replace(epochs=4)))
    while not job.done:
        snaps.append(job.snapshot())
        time.sleep(0.01)
    job.join()
    final = job.snapshot()
    assert final["status"] == DONE, final.get("message")
    assert final["message"] == "finished 4 epochs"
    assert [h["epoch"] for h in final["history"]] == [1, 2, 3, 4]
    assert final["epochs"] == 4 and final["threads"] == 1
    assert final["device"]["type"] in ("cpu", "cuda", "mps")
    run = job.result
    assert isinstance(run, ForecastRun)
    assert final["n_params"] == run.n_params and final["n_train"] == len(run.prepared.train)
    # snapshots grow monotonically and are copies (mutating one does not touch the job)
    lengths = [len(s.get("history", [])) for s in snaps]
    assert lengths == sorted(lengths)
    final["history"].clear()
    assert len(job.snapshot()["history"]) == 4


def test_snapshots_report_eta_and_elapsed_while_running():
    gate = Gate(after_epoch=2)
    job = start(live_task(SINE, DATA, MODEL, FAST.replace(epochs=4), callbacks=[gate]))
    assert gate.reached.wait(60)
    snap = job.snapshot()
    gate.release.set()
    assert snap["status"] == "running"
    assert snap["epoch"] == 2 and len(snap["history"]) == 2
    assert snap["elapsed"] > 0
    # ETA after 2 of 4 epochs = time spent so far (2 epochs' worth) for the 2 remaining
    assert 0 < snap["eta_s"] < 10 * snap["elapsed"]
    job.join(60)
    assert job.snapshot()["eta_s"] == 0.0


def test_progress_callback_throttles_batch_updates():
    published = []

    class Ctx:
        def publish(self, **kw):
            published.append(kw)

        def append(self, key, item):
            pass

    class FakeTrainer:
        cfg = TrainConfig(epochs=2)

    cb = ProgressCallback(Ctx(), every_s=3600)
    for b in range(1, 101):
        cb.on_batch_end(FakeTrainer(), 1, b, 100)
    assert len(published) == 1  # the first batch, then nothing for an hour


# -- stop --------------------------------------------------------------------------------------
def test_stop_keeps_the_weights_of_the_last_completed_epoch():
    states, gate = RecordStates(), Gate(after_epoch=2)
    job = start(live_task(SINE, DATA, MODEL, FAST.replace(epochs=50), callbacks=[states, gate]))
    assert gate.reached.wait(60)
    job.stop()
    gate.release.set()  # epoch 3 starts, sees the flag at its first batch and stops
    assert job.join(60)
    snap, run = job.snapshot(), job.result
    assert snap["status"] == STOPPED
    assert snap["reason"] == "stopped"
    assert snap["message"] == "stopped by the user during epoch 3; kept the weights of epoch 2"
    assert len(run.fit.history) == 2
    assert same_weights(run.model, states.states[2])
    # the stopped run is usable: finite predictions in original units on every span
    for span in ("val", "test"):
        df = run.predictions(span)
        assert len(df) and np.isfinite(df.prediction).all()


def test_stop_with_early_stopping_keeps_the_best_epoch():
    states = RecordStates()
    cfg = FAST.replace(epochs=50, lr=0.05, early_stopping=True, patience=50)
    job = start(live_task(SINE, DATA, MODEL, cfg, callbacks=[states]))
    wait_for(lambda: len(job.snapshot().get("history", [])) >= 4)
    job.stop()
    assert job.join(60)
    run = job.result
    assert run.fit.reason == "stopped" and run.fit.best_epoch is not None
    assert same_weights(run.model, states.states[run.fit.best_epoch])
    best = min(h["val_loss"] for h in run.fit.history)
    assert run.fit.best_val_loss == best


def test_stop_before_the_first_epoch_leaves_no_result():
    gate = threading.Event()

    class Hold(Callback):
        def on_batch_end(self, trainer, epoch, batch, n_batches):
            gate.wait(30)

    job = start(live_task(SINE, DATA, MODEL, FAST, callbacks=[Hold()]))
    wait_for(lambda: job.snapshot().get("batch", 0) >= 1)
    job.stop()
    gate.set()
    assert job.join(60)
    snap = job.snapshot()
    assert snap["status"] == STOPPED and job.result is None
    assert snap["message"] == (
        "stopped before the first epoch ended: nothing was learned, so the session keeps its "
        "earlier run"
    )


# -- errors ------------------------------------------------------------------------------------
def test_bad_data_fails_with_the_data_message():
    frame = SINE.frame.assign(other=SINE.frame["value"] * 2)
    frame.iloc[40, 1] = math.nan  # a hole in an input feature
    data_cfg = DATA.replace(features=("value", "other"))
    job = start(live_task(Dataset(frame, "holes"), data_cfg, MODEL, FAST))
    job.join(60)
    snap = job.snapshot()
    assert snap["status"] == FAILED
    assert snap["message"] == (
        "the data has 1 row(s) with missing or infinite values (first at 40); "
        "fill or drop them before training"
    )
    assert job.result is None


def test_a_missing_column_fails_with_the_columns_listed():
    job = start(live_task(SINE, DATA.replace(features=("value", "Volume")), MODEL, FAST))
    job.join(60)
    assert job.snapshot()["message"] == "column(s) not in the data: Volume; available: value"


def test_divergence_in_the_first_epoch_fails_and_leaves_no_run():
    # plain SGD at lr 10 without clipping: the loss is NaN within the first epoch
    cfg = TrainConfig(epochs=3, batch_size=8, lr=10.0, optimizer="sgd", clip_norm=None)
    job = start(live_task(SINE, DATA, MODEL, cfg))
    job.join(60)
    snap = job.snapshot()
    assert snap["status"] == FAILED
    assert snap["message"] == DIVERGED_FIRST_EPOCH
    assert snap["history"] == [] and job.result is None


def test_divergence_after_some_epochs_keeps_the_last_good_weights():
    states = RecordStates()

    class Explode(Callback):  # the loss becomes NaN in epoch 3, as a too-high LR would make it
        def on_batch_end(self, trainer, epoch, batch, n_batches):
            if epoch == 3:
                with torch.no_grad():
                    next(trainer.model.parameters()).fill_(math.nan)

    job = start(live_task(SINE, DATA, MODEL, FAST.replace(epochs=5), [states, Explode()]))
    job.join(60)
    snap, run = job.snapshot(), job.result
    assert snap["status"] == DONE and snap["reason"] == "diverged"
    assert snap["message"] == (
        "the training loss became nan in epoch 3; training stopped and kept the weights of "
        "epoch 2. Try a lower learning rate, gradient clipping or a smaller model"
    )
    assert same_weights(run.model, states.states[2])


def test_out_of_memory_and_crashes_become_messages():
    def oom(ctx):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    def crash(ctx):
        raise RuntimeError("boom")

    j1, j2 = start(oom), start(crash)
    j1.join(60), j2.join(60)
    assert j1.snapshot()["message"] == (
        "the device ran out of memory. Try a smaller batch size, hidden size, number of "
        "layers or lookback window"
    )
    assert j2.snapshot()["status"] == FAILED
    assert j2.snapshot()["message"] == "RuntimeError: boom"
    assert "boom" in j2.snapshot()["traceback"]
    assert explain_error(KeyError("'x'")) == "x"


# -- the global cap and cleanup -----------------------------------------------------------------
def _blocker(release: threading.Event):
    def fn(ctx):
        while not (release.is_set() or ctx.should_stop):
            time.sleep(0.01)

    return fn


def test_beyond_the_cap_jobs_wait_in_line_and_start_in_order():
    release = [threading.Event() for _ in range(4)]
    manager = JobManager(max_jobs=1)
    jobs = [start(_blocker(r), manager) for r in release]
    assert jobs[0].status == "running"
    assert [j.status for j in jobs[1:]] == ["queued"] * 3
    assert [j.snapshot()["queue_position"] for j in jobs[1:]] == [1, 2, 3]
    jobs[2].stop()  # cancelled while waiting: it never starts, the ones behind move up
    assert jobs[2].join(5) and jobs[2].status == STOPPED
    assert jobs[2].snapshot()["message"] == "cancelled while waiting in line: it never started"
    assert jobs[2].snapshot()["elapsed"] == 0.0
    assert jobs[3].snapshot()["queue_position"] == 2 and manager.waiting() == [jobs[1], jobs[3]]
    release[0].set()  # the slot frees: the first in line starts, first in first out
    assert jobs[0].join(60)
    wait_for(lambda: jobs[1].status == "running")
    assert jobs[3].status == "queued" and jobs[3].snapshot()["queue_position"] == 1
    release[1].set()
    release[3].set()
    assert jobs[1].join(60) and jobs[3].join(60)
    assert [j.status for j in jobs] == [DONE, DONE, STOPPED, DONE]
    assert manager.running() == [] and manager.waiting() == []


def test_a_job_never_submitted_ends_at_once_when_stopped():
    job = Job(lambda ctx: 1, name="refused")  # e.g. the line was full: it never started
    job.stop()
    assert job.join(0) and job.status == STOPPED and job.result is None


def test_only_a_full_line_answers_busy():
    release = threading.Event()
    manager = JobManager(max_jobs=1, max_queue=1)
    jobs = [start(_blocker(release), manager) for _ in range(2)]
    with pytest.raises(Busy) as err:
        start(_blocker(release), manager)
    assert str(err.value) == (
        "the server is full: 1 running and 1 waiting in line (the most it keeps); try again in "
        "a few minutes"
    )
    release.set()
    for j in jobs:
        assert j.join(60)


@pytest.mark.parametrize("ending", ["done", "stopped", "failed"])
def test_every_ending_frees_its_slot(ending):
    manager, release = JobManager(max_jobs=1), threading.Event()

    def fail(ctx):
        raise ValueError("bad settings")

    job = start(fail if ending == "failed" else _blocker(release), manager)
    if ending == "done":
        release.set()
    elif ending == "stopped":
        job.stop()
    assert job.join(60)
    assert job.status == {"done": DONE, "stopped": STOPPED, "failed": FAILED}[ending]
    wait_for(lambda: manager.running() == [])
    again = start(_blocker(release), manager)  # the slot is free again
    release.set()
    again.stop()
    assert again.join(60)


def test_training_jobs_set_the_torch_threads_first():
    job = start(lambda ctx: torch.get_num_threads())
    job.join(60)
    assert job.result == 1 and job.snapshot()["threads"] == 1


def test_out_of_range_share_counts_targets_beyond_the_training_range():
    trend = synthetic("trend_seasonal", n=300, slope=0.05, amplitude=0.1, noise=0.0)
    job = start(live_task(trend, DATA, MODEL, FAST.replace(epochs=1)))
    job.join(60)
    run = job.result
    lo, hi = run.prepared.span_rows("train")
    train = run.prepared.target[lo:hi]
    y = run.prepared.target[run.prepared.test.start]
    expected = float(((y < train.min()) | (y > train.max())).mean())
    assert out_of_range_share(run, "test") == pytest.approx(expected)
    assert out_of_range_share(run, "test") > 0.9  # a steady trend leaves the training range


# -- a session whose browser went away --------------------------------------------------------
def test_a_released_session_stops_its_jobs_after_the_grace_period(monkeypatch):
    from dashboard.common import jobs as ui_jobs

    monkeypatch.setattr(ui_jobs, "ORPHAN_GRACE_S", 0.2)
    manager, release = JobManager(max_jobs=1), threading.Event()
    holder = ui_jobs.SessionJobs()
    holder.jobs["train"] = start(_blocker(release), manager)
    ui_jobs.on_session_released(ui_jobs._Presence(holder))  # the websocket closed
    assert holder.jobs["train"].join(60)
    assert holder.jobs["train"].status == STOPPED
    wait_for(lambda: manager.running() == [])  # its slot is free


def test_a_session_that_comes_back_in_time_keeps_its_jobs(monkeypatch):
    from dashboard.common import jobs as ui_jobs

    # a grace no loaded machine outlasts between release and reconnect; no sleeping for it:
    # the cancelled timer's thread ends at once, and after that it can never stop the job
    monkeypatch.setattr(ui_jobs, "ORPHAN_GRACE_S", 600)
    release = threading.Event()
    holder = ui_jobs.SessionJobs()
    holder.jobs["train"] = job = start(_blocker(release))
    ui_jobs.on_session_released(ui_jobs._Presence(holder))
    timer = holder._timer
    assert timer is not None and timer.is_alive()  # armed
    ui_jobs._Presence(holder)  # the browser reconnected: a new presence cancels the timer
    timer.join(60)
    assert not timer.is_alive() and holder._timer is None
    assert job.status == "running" and not job.stop_event.is_set()
    release.set()
    assert job.join(60) and job.status == DONE


def test_a_finished_session_arms_no_timer():
    from dashboard.common import jobs as ui_jobs

    holder = ui_jobs.SessionJobs()
    ui_jobs.on_session_released(ui_jobs._Presence(holder))
    assert holder._timer is None


def test_a_job_stopped_because_its_browser_went_away_says_so(monkeypatch):
    from dashboard.common import jobs as ui_jobs

    monkeypatch.setattr(ui_jobs, "ORPHAN_GRACE_S", 0.2)
    gate = Gate(after_epoch=2)
    holder = ui_jobs.SessionJobs()
    holder.jobs["train"] = job = start(
        live_task(SINE, DATA, MODEL, FAST.replace(epochs=50), callbacks=[gate])
    )
    assert gate.reached.wait(60)
    ui_jobs.on_session_released(ui_jobs._Presence(holder))  # the websocket closed for good
    wait_for(job.stop_event.is_set, timeout=10)
    gate.release.set()
    assert job.join(60)
    words = "stopped because the browser disconnected during epoch 3; kept the weights of epoch 2"
    assert job.snapshot()["message"] == words  # not "stopped by the user"
    assert job.result.fit.message == words  # what a saved run records
    assert job.snapshot()["stop_cause"] == "disconnected"
