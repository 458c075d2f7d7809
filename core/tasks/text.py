"""The character model's job: build and train in the background; the run is saved on the
server when it ends."""

from __future__ import annotations

from typing import Any

from core.tasks.autosave import AutoSave, Task
from core.text.corpus import Corpus
from core.text.model import CharModelConfig, CharTrainConfig
from core.text.train import TextRun, build_text_run, fit_text


def text_task(
    corpus: Corpus,
    model_cfg: CharModelConfig,
    train_cfg: CharTrainConfig,
    store: Any = "default",
    session: str | None = None,
):
    """A function for ``core.jobs.Job``: builds and trains in the background.

    When training ends (done or stopped) the run is saved to ``store`` as kind "text"
    (a ``core.runs.store.RunStore``; "default" = the runs folder, None = not saved); a failed
    save is published as ``save_warning`` and the trained run is still returned.
    """

    autosave = AutoSave.create(store, session)  # reads the browser session here, not in the job

    def task(ctx) -> TextRun:
        run, train_ids, val_ids = build_text_run(corpus, model_cfg, train_cfg)
        return fit_text(run, train_ids, val_ids, ctx)

    return Task(task, finish=autosave.finish_job)  # saved on the server
