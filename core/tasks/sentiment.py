"""The sentiment classifier's job: baselines first, then training; the run is saved on the
server when it ends."""

from __future__ import annotations

from typing import Any

from core.config import TrainConfig
from core.jobs.threads import ProgressCallback
from core.sentiment.data import TextDataset
from core.sentiment.model import ClassifierConfig
from core.sentiment.train import (
    SPLITS,
    SentimentRun,
    TextConfig,
    baseline_scores,
    build_run,
    train_run,
)
from core.tasks.autosave import AutoSave, Task


def sentiment_task(
    dataset: TextDataset,
    text_cfg: TextConfig,
    model_cfg: ClassifierConfig,
    train_cfg: TrainConfig,
    store: Any = "default",
    session: str | None = None,
):
    """A function for ``core.jobs.Job``: baselines first (published at once), then training.

    When training ends (done or stopped after at least one epoch) the run is saved to
    ``store`` as kind "sentiment" (a ``core.runs.store.RunStore``; "default" = the runs folder,
    None = not saved); a failed save is published as ``save_warning`` and the trained run
    is still returned.
    """

    autosave = AutoSave.create(store, session)  # reads the browser session here, not in the job

    def task(ctx) -> SentimentRun:
        run = build_run(dataset, text_cfg, model_cfg, train_cfg)
        ctx.publish(
            n_params=run.n_params,
            vocab=len(run.prepared.vocab),
            **{f"n_{s}": len(run.prepared.index[s]) for s in SPLITS},
        )
        run.results = baseline_scores(run)
        ctx.publish(baselines={k: v["accuracy"] for k, v in run.results.items()})
        return train_run(run, [ProgressCallback(ctx)], ctx.stop_event)

    return Task(task, finish=autosave.finish_job)  # saved on the server
