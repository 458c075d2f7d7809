"""Which backend runs the jobs of this server: ``LSTMLAB_BACKEND`` = ``thread`` (default: threads
of the server, at most ``LSTMLAB_MAX_JOBS`` at once) or ``ray`` (Ray workers: a local instance
when ``RAY_ADDRESS`` is unset, else that cluster). When Ray cannot be used the server still
starts, on threads, and the manager's ``notice`` says why (the sidebar shows it)."""

from __future__ import annotations

import os

from core.jobs.queue import JobManager

ENV_BACKEND = "LSTMLAB_BACKEND"
ENV_MAX_JOBS = "LSTMLAB_MAX_JOBS"
BACKENDS = ("thread", "ray")


def max_jobs_from_env(default: int = 2) -> int:
    try:
        return max(1, int(os.environ.get(ENV_MAX_JOBS, default)))
    except ValueError:
        return default


def make_manager(backend: str | None = None) -> JobManager:
    """The server's job manager on the chosen backend (threads when Ray cannot be used)."""
    choice = (backend or os.environ.get(ENV_BACKEND, "") or "thread").strip().lower()
    notice = ""
    if choice == "ray":
        from core.jobs import ray_connect  # imports ray itself only inside its functions

        try:
            return JobManager(backend=ray_connect.connect())
        except ray_connect.Unavailable as e:
            notice = f"{e}; training runs on this server's threads instead"
    elif choice not in ("thread", "threads"):
        notice = f"{ENV_BACKEND}={choice!r} is not a backend (thread or ray); using threads"
    return JobManager(max_jobs=max_jobs_from_env(), notice=notice)
