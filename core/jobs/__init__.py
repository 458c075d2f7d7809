"""Background jobs: run a function off the page and let the page poll its progress.

``job`` holds a job's state whatever runs it: a :class:`Job` publishes snapshots under a lock,
stops at the next batch when asked, and finishes its result (saves the run) in this process.
``queue`` is the waiting line in front of a backend (:class:`JobManager`); ``threads`` the
embedded backend and the trainer's progress callback; ``ray_backend`` runs jobs in Ray worker
processes, on this machine or a cluster, ``ray_connect`` connects it (ray is imported only
there); ``backends`` picks one
from ``LSTMLAB_BACKEND``. Jobs know nothing of what they train; the task factories in
``core.tasks`` build the functions they run.
"""

from core.jobs.threads import (
    DONE,
    FAILED,
    FINISHED,
    QUEUED,
    RUNNING,
    STOPPED,
    Busy,
    Job,
    JobContext,
    JobManager,
    ProgressCallback,
    stop_all,
)

__all__ = [
    "DONE",
    "FAILED",
    "FINISHED",
    "QUEUED",
    "RUNNING",
    "STOPPED",
    "Busy",
    "Job",
    "JobContext",
    "JobManager",
    "ProgressCallback",
    "stop_all",
]
