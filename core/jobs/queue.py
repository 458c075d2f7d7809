"""The waiting line in front of a backend: at most ``capacity()`` jobs run, the rest wait.

Both backends share it: threads (``ThreadBackend``: ``LSTMLAB_MAX_JOBS`` jobs on threads of
this server) and Ray (``core.jobs.ray_backend.RayBackend``: as many as the cluster's
resources hold). A job submitted beyond the cap waits in line (first in, first out) and knows
its position (``snapshot()["queue_position"]``: 1 = next); ``job.stop()`` on a waiting job
cancels it. Only a line of ``LSTMLAB_MAX_QUEUE`` waiting jobs (default 100) answers
:class:`~core.jobs.job.Busy`.
"""

from __future__ import annotations

import os
import threading
import traceback
from collections import deque
from collections.abc import Callable
from typing import Protocol

from core.jobs.job import Busy, Job, explain_error

ENV_MAX_QUEUE = "LSTMLAB_MAX_QUEUE"


def max_queue_from_env(default: int = 100) -> int:
    try:
        return max(0, int(os.environ.get(ENV_MAX_QUEUE, default)))
    except ValueError:
        return default


class Backend(Protocol):
    """What runs the jobs: how many at once, and how one is started."""

    name: str

    def capacity(self) -> int: ...

    def launch(self, job: Job, release: Callable[[], None]) -> None: ...

    def describe(self) -> str: ...


class ThreadBackend:
    """Jobs on threads of this server process (the embedded default)."""

    name = "thread"

    def __init__(self, max_jobs: int = 2):
        self.max_jobs = max(1, int(max_jobs))

    def capacity(self) -> int:
        return self.max_jobs

    def launch(self, job: Job, release: Callable[[], None]) -> None:
        job.start(release=release)

    def describe(self) -> str:
        return "threads of this server"


class JobManager:
    """Runs at most ``capacity()`` jobs across the whole server; the others wait in line."""

    def __init__(
        self,
        max_jobs: int = 2,
        backend: Backend | None = None,
        max_queue: int | None = None,
        notice: str = "",
    ):
        self.backend = backend if backend is not None else ThreadBackend(max_jobs)
        self.max_queue = max_queue_from_env() if max_queue is None else max_queue
        self.notice = notice  # e.g. why the asked-for backend is not the one in use
        self._lock = threading.Lock()
        self._running: dict[str, Job] = {}
        self._waiting: deque[Job] = deque()

    @property
    def max_jobs(self) -> int:
        return self.backend.capacity()

    def running(self) -> list[Job]:
        with self._lock:
            return list(self._running.values())

    def waiting(self) -> list[Job]:
        with self._lock:
            return list(self._waiting)

    def submit(self, job: Job) -> Job:
        """Start the job if a slot is free, else put it at the end of the line."""
        cap = self.backend.capacity()
        with self._lock:
            if not self._waiting and len(self._running) < cap:
                self._running[job.id] = job
                start = True
            else:
                if len(self._waiting) >= self.max_queue:
                    raise Busy(
                        f"the server is full: {len(self._running)} running and "
                        f"{len(self._waiting)} waiting in line (the most it keeps); "
                        "try again in a few minutes"
                    )
                job._cancel = self._cancel
                self._waiting.append(job)
                self._renumber()
                start = False
        if start:
            self._launch(job)
        return job

    def _launch(self, job: Job) -> None:
        def release() -> None:
            with self._lock:
                self._running.pop(job.id, None)
            self._start_next()

        try:
            self.backend.launch(job, release)  # marks it running before it returns
        except Exception as exc:  # the backend could not even start it: a failed job
            job._fail(explain_error(exc), traceback.format_exc(limit=8))
            job._end()
        finally:
            job._cancel = None  # (kept until now: a stop meanwhile must not end it twice)

    def _start_next(self) -> None:
        while True:
            cap = self.backend.capacity()
            with self._lock:
                if not self._waiting or len(self._running) >= cap:
                    return
                job = self._waiting.popleft()
                self._running[job.id] = job
                self._renumber()
            self._launch(job)

    def _cancel(self, job: Job) -> bool:
        """A waiting job's stop: out of the line (False if it already left it)."""
        with self._lock:
            if job not in self._waiting:
                return False
            self._waiting.remove(job)
            self._renumber()
            return True

    def _renumber(self) -> None:
        for i, waiting in enumerate(self._waiting, start=1):
            waiting._set_queue_position(i)
