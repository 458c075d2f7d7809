"""Turns a comparison's progress callbacks into the fields of a job's snapshot."""

from __future__ import annotations

from collections.abc import Sequence

from core.compare.longmemory import TaskData
from core.compare.specs import ArchSpec


class JobPublisher:
    """Turns ``compare``'s progress into job-snapshot fields: ``task`` (name, title, lag,
    trivial loss), ``order``, ``histories`` (label -> epoch records), ``summaries`` (label ->
    summary row with gradient profiles), ``current``, and epoch/epochs/eta_s for the sidebar,
    shifted by ``offset`` epochs when several comparisons run in one job."""

    def __init__(self, ctx, total_epochs: int | None = None):
        self.ctx, self.total, self.offset = ctx, total_epochs, 0
        self.histories: dict[str, list[dict]] = {}
        self.summaries: dict[str, dict] = {}

    def start(self, task: TaskData, specs: Sequence[ArchSpec], offset: int = 0) -> None:
        self.histories, self.summaries, self.offset = {}, {}, offset
        self.ctx.publish(
            task=task.info(),
            order=[s.label for s in specs],
            histories={},
            summaries={},
        )

    def __call__(self, record=None, summary=None, **fields) -> None:
        if record is not None:
            self.histories.setdefault(record[0], []).append(record[1])
            fields["histories"] = self.histories
        if summary is not None:
            self.summaries[summary[0]] = summary[1]
            fields["summaries"] = self.summaries
        if "epoch" in fields:
            fields["epoch"] += self.offset
        if self.total is not None and "epochs" in fields:
            fields["epochs"] = self.total
        self.ctx.publish(**fields)
