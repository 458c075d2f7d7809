"""A background job's state, the same whichever backend runs it.

A :class:`Job` holds a function and a lock-protected progress dict. The function receives a
:class:`JobContext`: it checks ``ctx.stop_event`` (the trainer does, every batch) and publishes
progress with ``ctx.publish(...)``. The UI polls ``job.snapshot()``, a copy taken under a lock,
so a page redraws as often as it likes without ever blocking or being blocked by training.

A backend runs the function: ``start()`` here runs it on a thread of this process; the Ray
backend (``core.jobs.ray_backend``) runs it in a worker process and mirrors the worker's
progress into this object. Either way the job's optional ``finish`` step (saving the run)
runs in *this* process with the result, before the job reports done, so workers need no
shared disk.
"""

from __future__ import annotations

import copy
import os
import socket
import threading
import time
import traceback
import uuid
import weakref
from collections.abc import Callable
from typing import Any

import torch

QUEUED, RUNNING, DONE, STOPPED, FAILED = "queued", "running", "done", "stopped", "failed"
FINISHED = (DONE, STOPPED, FAILED)
MAX_HISTORY = 5000  # epochs kept in a snapshot: bounded memory per session
# why a job was asked to stop: its user pressed Stop, or its browser went away for good
BY_USER, DISCONNECTED = "user", "disconnected"
_DISCONNECTED_WORDS = "stopped because the browser disconnected"
CANCELLED_WORDS = "cancelled while waiting in line: it never started"
# fields only this process sets: a worker's mirrored progress never overwrites them
SERVER_FIELDS = ("status", "stop_cause", "queue_position", "backend")


def here() -> dict:
    """Where this process runs, for the sidebar: node, host name, process id."""
    host = socket.gethostname()
    return {"node": host, "host": host, "pid": os.getpid()}


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
    """The server's waiting line is full (a hard bound, far beyond the running cap)."""


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
    """Stop every running or waiting job of the process and wait for them (shutdown, tests)."""
    running = [job for job in list(_LIVE) if not job.done]
    for job in running:
        job.stop()
    deadline = time.time() + timeout
    for job in running:
        job.join(max(0.0, deadline - time.time()))
    return len(running)


class Job:
    """One unit of background work with a thread-safe progress snapshot.

    ``finish(result, ctx)``, when given (or when ``fn`` carries a ``finish`` attribute, as the
    tasks of ``core.tasks`` do), runs in this process after the function returned a result
    that is not None, with a context publishing into this job: it is where runs are saved.
    """

    def __init__(
        self,
        fn: Callable[[JobContext], Any],
        name: str = "job",
        kind: str = "train",
        meta: dict | None = None,
        finish: Callable[[Any, JobContext], Any] | None = None,
    ):
        self.id = uuid.uuid4().hex[:8]
        self.name = name
        self.kind = kind
        self.meta = dict(meta or {})
        self.stop_event = threading.Event()
        self.fn = fn
        self.finish = finish if finish is not None else getattr(fn, "finish", None)
        self._lock = threading.Lock()
        self._state: dict[str, Any] = {"status": QUEUED, "message": "", "history": []}
        self._version = 0  # bumped by every change of the progress: cheap "anything new?"
        self._result: Any = None
        self._ended = threading.Event()
        self._thread: threading.Thread | None = None
        self._release: Callable[[], None] | None = None
        self._cancel: Callable[[Job], bool] | None = None  # set while it waits in a queue
        self._forward_stop: Callable[[str], None] | None = None  # a remote worker's stop
        self.stop_cause: str | None = None  # BY_USER or DISCONNECTED, once asked to stop
        self.created = time.time()
        self.started: float | None = None
        self.finished: float | None = None
        _LIVE.add(self)

    # -- progress (the function's side) ---------------------------------------------------------
    def _publish(self, progress: dict) -> None:
        progress = copy.deepcopy(progress)
        with self._lock:
            self._state.update(progress)
            self._version += 1

    def _append(self, key: str, item: Any, limit: int) -> None:
        item = copy.deepcopy(item)
        with self._lock:
            items = self._state.setdefault(key, [])
            items.append(item)
            if len(items) > limit:
                del items[: len(items) - limit]
            self._version += 1

    def progress_since(self, version: int) -> tuple[int, dict | None]:
        """(version, a copy of the progress) if it changed since ``version``, else None."""
        with self._lock:
            if version == self._version:
                return version, None
            return self._version, copy.deepcopy(self._state)

    def _mirror(self, progress: dict) -> None:
        """Take a worker's progress as this job's (the fields this process owns are kept)."""
        with self._lock:
            mine = {k: self._state[k] for k in SERVER_FIELDS if k in self._state}
            self._state = {**progress, **mine}
            self._version += 1

    # -- life cycle (the backend's side) ---------------------------------------------------------
    def _mark_running(self, **where: Any) -> None:
        self.started = time.time()
        with self._lock:
            self._state.pop("queue_position", None)
            self._state.update(status=RUNNING, **where)
            self._version += 1

    def _set_queue_position(self, position: int) -> None:
        with self._lock:
            if self._state["status"] == QUEUED:
                self._state["queue_position"] = position
                self._version += 1

    def _complete(self, result: Any, finish: Callable | None = None) -> None:
        """The function returned ``result``: finish it here (save), then report the ending."""
        finish = self.finish if finish is None else finish
        if finish is not None and result is not None:
            finish(result, JobContext(self))
        with self._lock:
            self._result = result
            if self._state.get("status") == RUNNING:
                self._state["status"] = STOPPED if self.stop_event.is_set() else DONE
            if self._state["status"] == STOPPED and self.stop_cause == DISCONNECTED:
                self._state["message"] = disconnected_message(self._state["message"])
            self._version += 1

    def _fail(self, message: str, trace: str = "") -> None:
        with self._lock:
            self._state["status"] = FAILED
            self._state["message"] = message
            if trace:
                self._state["traceback"] = trace
            self._version += 1

    def _end(self) -> None:
        """Always last: the slot is freed and waiters wake up."""
        self.finished = time.time()
        try:
            if self._release is not None:
                self._release()
        finally:
            self._ended.set()

    def _main(self) -> None:
        """The thread backend: run the function here, on this thread."""
        try:
            self._complete(self.fn(JobContext(self)))
        except BaseException as exc:  # everything is reported, nothing escapes the thread
            self._fail(explain_error(exc), traceback.format_exc(limit=8))
        finally:
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            self._end()

    def start(self, release: Callable[[], None] | None = None) -> Job:
        """Run on a thread of this process now (``release`` is called once it ended)."""
        self._release = release
        self._mark_running(backend="thread", where=here())  # running from now on, not queued
        self._thread = threading.Thread(
            target=self._main, name=f"lstmlab-{self.kind}-{self.id}", daemon=True
        )
        self._thread.start()
        return self

    # -- the page's side ---------------------------------------------------------------------------
    def stop(self, cause: str = BY_USER) -> None:
        """Ask the job to stop; it finishes its current batch and keeps its last epoch. A job
        still waiting in line is cancelled: it never starts.

        ``cause`` (BY_USER or DISCONNECTED) words the final message; the first one counts.
        """
        with self._lock:
            if self.stop_cause is None:
                self.stop_cause = cause
                self._state["stop_cause"] = cause
            queued, cancel, forward = (
                self._state["status"] == QUEUED,
                self._cancel,
                self._forward_stop,
            )
        self.stop_event.set()
        if queued and (cancel is None or cancel(self)):  # waiting, or never submitted
            with self._lock:
                self._state.update(status=STOPPED, message=CANCELLED_WORDS)
                self._state.pop("queue_position", None)
                self._version += 1
            self._end()
        elif forward is not None:
            forward(self.stop_cause or cause)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the job ended (a queued job: until it started and ended)."""
        self._ended.wait(timeout)
        return self.done

    @property
    def status(self) -> str:
        with self._lock:
            return self._state["status"]

    @property
    def done(self) -> bool:
        return self._ended.is_set()

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
