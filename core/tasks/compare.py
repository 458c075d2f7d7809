"""The comparison's jobs: build the task inside the job, compare the cells live, save the
summary when it ends; and the lag sweep, which is not saved."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from core.compare.longmemory import TaskData
from core.compare.publisher import JobPublisher
from core.compare.specs import ArchSpec
from core.compare.sweep import SweepResult, sweep
from core.compare.training import CompareResult, compare
from core.config import TrainConfig
from core.runs.kinds.compare import summarize
from core.tasks.autosave import AutoSave, Task


def compare_job(
    make: Callable[[], TaskData],
    specs: Sequence[ArchSpec],
    hidden_size: int,
    train_cfg: TrainConfig,
    store: Any = "default",
    session: str | None = None,
):
    """A function for ``core.jobs.Job``: builds the task inside the job, then compares,
    publishing through a :class:`JobPublisher`.

    When it ends (done, or stopped after at least one epoch) its summary is saved to
    ``store`` as kind "compare" (``core.runs.kinds.compare``; "default" = the runs folder, None =
    not saved); a failed save is published as ``save_warning`` and the result is still
    returned."""

    autosave = AutoSave.create(store, session)  # reads the browser session here, not in the job

    def task_fn(ctx) -> CompareResult:
        task = make()
        publish = JobPublisher(ctx)
        publish.start(task, specs)
        result = compare(task, specs, hidden_size, train_cfg, publish, ctx.stop_event)
        ctx.publish(
            message=f"compared {len(result.results)} architecture(s) in "
            f"{result.seconds:.1f} s" + (" (stopped)" if result.stopped else "")
        )
        return result

    def finish(result: CompareResult, ctx) -> None:  # on the server, after the job
        summary = summarize(result)
        autosave.finish(summary, ctx)
        if "saved_run_id" in summary.extras:
            result.extras["saved_run_id"] = summary.extras["saved_run_id"]

    return Task(task_fn, finish=finish)


def sweep_job(
    task_name: str,
    lags: Sequence[int],
    specs: Sequence[ArchSpec],
    hidden_size: int,
    train_cfg: TrainConfig,
    n_train: int = 4096,
) -> Callable:
    """A function for ``core.jobs.Job``: a lag sweep (``core.compare.sweep``); the
    snapshot gains ``sweep`` rows after each lag. Nothing is saved."""

    def task_fn(ctx) -> SweepResult:
        total = len(lags) * len(specs) * train_cfg.epochs
        ctx.publish(sweep=[])
        publish = JobPublisher(ctx, total_epochs=total)
        return sweep(
            task_name, lags, specs, hidden_size, train_cfg, n_train, publish, ctx.stop_event
        )

    return task_fn
