"""Background jobs that never touch the UI.

A :class:`Job` runs a function on its own thread. The function receives a
:class:`JobContext`: it checks ``ctx.stop_event`` (the trainer does, every
batch) and publishes progress with ``ctx.publish(...)``. The UI polls
``job.snapshot()``, a copy taken under a lock, so the page can redraw as often
as it likes without ever blocking or being blocked by training.

A :class:`JobManager` caps how many jobs run at once across every session of the
server; ``submit`` raises :class:`Busy` with a message for the user beyond it.
"""

from __future__ import annotations

import copy
import math
import threading
import time
import traceback
import uuid
import weakref
from collections.abc import Callable
from typing import Any

import torch

from core.training.device import configure_threads, describe_device
from core.training.trainer import USER_STOPPED, Callback, FitResult, Trainer

QUEUED, RUNNING, DONE, STOPPED, FAILED = "queued", "running", "done", "stopped", "failed"
FINISHED = (DONE, STOPPED, FAILED)
MAX_HISTORY = 5000  # epochs kept in a snapshot: bounded memory per session
# why a job was asked to stop: its user pressed Stop, or its browser went away for good
BY_USER, DISCONNECTED = "user", "disconnected"
_DISCONNECTED_WORDS = "stopped because the browser disconnected"


def disconnected_message(message: str) -> str:
    """The stop message of a job whose browser went away: nobody pressed Stop."""
    if message.startswith(_DISCONNECTED_WORDS):
        return message
    if message.startswith("stopped by the user"):
        return _DISCONNECTED_WORDS + message[len("stopped by the user") :]
    if message.startswith("stopped"):
        return _DISCONNECTED_WORDS + message[len("stopped") :]
    return _DISCONNECTED_WORDS + (f"; {message}" if message else "")


class Busy(RuntimeError):
    """The server already runs as many jobs as it allows."""


def explain_error(exc: BaseException) -> str:
    """A sentence a user can act on, for errors raised inside a job."""
    if isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower():
        return (
            "the device ran out of memory. Try a smaller batch size, hidden size, "
            "number of layers or lookback window"
        )
    if isinstance(exc, (ValueError, KeyError)):
        return str(exc).strip("'\"")
    if isinstance(exc, OSError):
        return f"a file or disk operation failed ({exc.strerror or exc}); check free disk space"
    return f"{type(exc).__name__}: {exc}"


class JobContext:
    """What a job's function sees: the stop flag and a way to publish progress."""

    def __init__(self, job: Job):
        self._job = job
        self.stop_event = job.stop_event

    @property
    def should_stop(self) -> bool:
        return self.stop_event.is_set()

    @property
    def stop_cause(self) -> str | None:
        """Why the job was asked to stop (BY_USER, DISCONNECTED), None while it was not."""
        return self._job.stop_cause

    @property
    def name(self) -> str:
        """The job's display name (e.g. to name a saved run)."""
        return self._job.name

    def publish(self, **progress: Any) -> None:
        """Merge progress fields into the job's shared state (copied, under the lock)."""
        self._job._publish(progress)

    def append(self, key: str, item: Any, limit: int = MAX_HISTORY) -> None:
        """Append to a list field, keeping at most ``limit`` items."""
        self._job._append(key, item, limit)


_LIVE: weakref.WeakSet[Job] = weakref.WeakSet()  # every job of this process not yet collected


def stop_all(timeout: float = 10.0) -> int:
    """Stop every running job of the process and wait for them (server shutdown, tests)."""
    running = [job for job in list(_LIVE) if not job.done]
    for job in running:
        job.stop()
    deadline = time.time() + timeout
    for job in running:
        job.join(max(0.0, deadline - time.time()))
    return len(running)


class Job:
    """One unit of background work with a thread-safe progress snapshot."""

    def __init__(
        self,
        fn: Callable[[JobContext], Any],
        name: str = "job",
        kind: str = "train",
        meta: dict | None = None,
    ):
        self.id = uuid.uuid4().hex[:8]
        self.name = name
        self.kind = kind
        self.meta = dict(meta or {})
        self.stop_event = threading.Event()
        self._fn = fn
        self._lock = threading.Lock()
        self._state: dict[str, Any] = {"status": QUEUED, "message": "", "history": []}
        self._result: Any = None
        self._thread: threading.Thread | None = None
        self._release: Callable[[], None] | None = None
        self.stop_cause: str | None = None  # BY_USER or DISCONNECTED, once asked to stop
        self.created = time.time()
        self.started: float | None = None
        self.finished: float | None = None
        _LIVE.add(self)

    # -- worker side --------------------------------------------------------------------------
    def _publish(self, progress: dict) -> None:
        progress = copy.deepcopy(progress)
        with self._lock:
            self._state.update(progress)

    def _append(self, key: str, item: Any, limit: int) -> None:
        item = copy.deepcopy(item)
        with self._lock:
            items = self._state.setdefault(key, [])
            items.append(item)
            if len(items) > limit:
                del items[: len(items) - limit]

    def _main(self) -> None:
        self.started = time.time()
        self._publish({"status": RUNNING})
        try:
            result = self._fn(JobContext(self))
            with self._lock:
                self._result = result
                if self._state.get("status") == RUNNING:
                    self._state["status"] = STOPPED if self.stop_event.is_set() else DONE
                if self._state["status"] == STOPPED and self.stop_cause == DISCONNECTED:
                    self._state["message"] = disconnected_message(self._state["message"])
        except BaseException as exc:  # everything is reported, nothing escapes the thread
            with self._lock:
                self._state["status"] = FAILED
                self._state["message"] = explain_error(exc)
                self._state["traceback"] = traceback.format_exc(limit=8)
        finally:
            self.finished = time.time()
            if self._release is not None:
                self._release()
            if torch.cuda.is_available():
                torch.cuda.empty_cache()

    # -- UI side ------------------------------------------------------------------------------
    def start(self, release: Callable[[], None] | None = None) -> Job:
        self._release = release
        self._thread = threading.Thread(
            target=self._main, name=f"lstmlab-{self.kind}-{self.id}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, cause: str = BY_USER) -> None:
        """Ask the job to stop; it finishes its current batch and keeps its last epoch.

        ``cause`` (BY_USER or DISCONNECTED) words the final message; the first one counts.
        """
        with self._lock:
            if self.stop_cause is None:
                self.stop_cause = cause
                self._state["stop_cause"] = cause
        self.stop_event.set()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.done

    @property
    def status(self) -> str:
        with self._lock:
            return self._state["status"]

    @property
    def done(self) -> bool:
        return self.status in FINISHED

    @property
    def result(self) -> Any:
        with self._lock:
            return self._result

    def snapshot(self) -> dict:
        """A deep copy of the progress, safe to read and draw while the job runs."""
        with self._lock:
            snap = copy.deepcopy(self._state)
        now = self.finished or time.time()
        snap["elapsed"] = (now - self.started) if self.started else 0.0
        snap.update(id=self.id, name=self.name, kind=self.kind, meta=dict(self.meta))
        return snap


class JobManager:
    """Caps concurrent jobs across the whole server (every session shares one manager)."""

    def __init__(self, max_jobs: int = 2):
        self.max_jobs = max_jobs
        self._lock = threading.Lock()
        self._running: dict[str, Job] = {}

    def running(self) -> list[Job]:
        with self._lock:
            return list(self._running.values())

    def submit(self, job: Job) -> Job:
        """Start the job, or raise Busy when the cap is reached."""
        with self._lock:
            if len(self._running) >= self.max_jobs:
                n = len(self._running)
                raise Busy(
                    f"busy: {n} training job{'s are' if n != 1 else ' is'} running on this "
                    f"server (the limit is {self.max_jobs}); try again shortly"
                )
            self._running[job.id] = job

        def release() -> None:
            with self._lock:
                self._running.pop(job.id, None)

        return job.start(release=release)


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

    return Job(run, name=name, kind=kind, meta=meta)
