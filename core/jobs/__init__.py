"""Background jobs: run a function off the page and let the page poll its progress.

``threads`` runs each job on a thread of this process (the embedded default): a :class:`Job`
publishes snapshots under a lock, stops at the next batch when asked, and a
:class:`JobManager` caps how many run at once. Jobs know nothing of what they train; the task
factories in ``core.tasks`` build the functions they run.
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
