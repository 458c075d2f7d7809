"""The thread backend and the trainer's progress: what every job of this process uses.

A :class:`~core.jobs.job.Job` run by :class:`JobManager` with its default
:class:`~core.jobs.queue.ThreadBackend` trains on a thread of the server process (the
embedded default); ``core.jobs.ray_backend`` runs the same jobs in Ray workers. The names
below are re-exported so that tasks, pages and tests import jobs from one place whichever
backend runs them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from core.jobs.job import (
    BY_USER,
    CANCELLED_WORDS,
    DISCONNECTED,
    DONE,
    FAILED,
    FINISHED,
    MAX_HISTORY,
    QUEUED,
    RUNNING,
    STOPPED,
    Busy,
    Job,
    JobContext,
    disconnected_message,
    explain_error,
    stop_all,
)
from core.jobs.queue import JobManager, ThreadBackend
from core.training.device import configure_threads, describe_device
from core.training.trainer import USER_STOPPED, Callback, FitResult, Trainer

__all__ = [
    "BY_USER",
    "CANCELLED_WORDS",
    "DISCONNECTED",
    "DONE",
    "FAILED",
    "FINISHED",
    "MAX_HISTORY",
    "QUEUED",
    "RUNNING",
    "STOPPED",
    "Busy",
    "Job",
    "JobContext",
    "JobManager",
    "ProgressCallback",
    "ThreadBackend",
    "disconnected_message",
    "explain_error",
    "stop_all",
    "training_job",
]


# -- trainer -> job progress -------------------------------------------------------------------


class ProgressCallback(Callback):
    """Publishes the trainer's progress into a job: epoch records, batch position, ETA.

    The ETA is NaN (unknown) until two epochs are done: the first epoch carries the warm-up
    (lazy imports, first allocations) and extrapolating from it, or from a few batches,
    made the estimate jump (7:23, then 0:45). From then on it is an exponential moving
    average of the epoch times since the second, times the epochs left, less the time
    already spent in the current epoch.
    """

    MIN_EPOCHS = 2  # epochs done before an ETA is shown
    SMOOTHING = 0.3  # weight of the newest epoch time in the moving average

    def __init__(self, ctx: JobContext, every_s: float = 0.25):
        self.ctx = ctx
        self.every_s = every_s
        # -inf: the first batch always publishes (perf_counter's zero point is arbitrary)
        self._last = -math.inf
        self._t0 = self._epoch_t0 = time.perf_counter()
        self._epoch_s: float | None = None  # the moving average of epoch times
        self._done = 0

    def on_train_begin(self, trainer: Trainer) -> None:
        self._t0 = self._epoch_t0 = time.perf_counter()
        self._last = -math.inf
        self._epoch_s, self._done = None, 0
        self.ctx.publish(
            epochs=trainer.cfg.epochs, epoch=0, batch=0, device=describe_device(trainer.device)
        )

    def on_batch_end(self, trainer: Trainer, epoch: int, batch: int, n_batches: int) -> None:
        now = time.perf_counter()
        if now - self._last >= self.every_s:  # throttled: the UI needs ~1 update per second
            self._last = now
            self.ctx.publish(
                epoch=epoch, batch=batch, n_batches=n_batches, eta_s=self._eta(trainer)
            )

    def on_epoch_end(self, trainer: Trainer, record: dict) -> None:
        now = time.perf_counter()
        took, self._epoch_t0 = now - self._epoch_t0, now
        self._done = record["epoch"]
        if self._done >= 2:  # the first epoch (warm-up included) never enters the average
            a = self.SMOOTHING
            self._epoch_s = took if self._epoch_s is None else a * took + (1 - a) * self._epoch_s
        self.ctx.append("history", record)
        self.ctx.publish(epoch=record["epoch"], batch=0, eta_s=self._eta(trainer))

    def on_train_end(self, trainer: Trainer, result: FitResult) -> None:
        if result.reason == USER_STOPPED and getattr(self.ctx, "stop_cause", None) == DISCONNECTED:
            result.message = disconnected_message(result.message)  # also what a save records
        self.ctx.publish(
            reason=result.reason, message=result.message, best_epoch=result.best_epoch, eta_s=0.0
        )

    def _eta(self, trainer: Trainer) -> float:
        """Seconds left at the current pace; NaN before ``MIN_EPOCHS`` epochs are done."""
        if self._done < self.MIN_EPOCHS or self._epoch_s is None:
            return math.nan
        left = self._epoch_s * (trainer.cfg.epochs - self._done)
        in_epoch = time.perf_counter() - self._epoch_t0 if self._done < trainer.cfg.epochs else 0
        return max(0.0, left - min(in_epoch, self._epoch_s))


def training_job(
    fn: Callable[[JobContext], Any],
    name: str,
    kind: str = "train",
    meta: dict | None = None,
    threads: int | None = None,
) -> Job:
    """A job whose function trains: torch threads are set deliberately first."""

    def run(ctx: JobContext) -> Any:
        n = configure_threads(threads)
        ctx.publish(threads=n)
        return fn(ctx)

    # the task's finishing step (saving its run) stays the job's: it runs on the server
    return Job(run, name=name, kind=kind, meta=meta, finish=getattr(fn, "finish", None))
