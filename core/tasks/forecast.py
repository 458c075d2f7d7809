"""The forecaster's job: build the windows and the model inside the job, train with progress
and gate probes; the run is saved on the server when the job ends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import Dataset
from core.forecast.comparison import attach_comparison
from core.forecast.run import ForecastRun, build_run, train_run
from core.gates.probe import attach_probe
from core.jobs.threads import ProgressCallback
from core.tasks.autosave import AutoSave, Task
from core.training.trainer import Callback


def forecast_task(
    dataset: Dataset,
    data_cfg: DataConfig,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    callbacks: Sequence[Callback] = (),
    store: Any = "default",
    session: str | None = None,
    baselines: bool = False,
):
    """A function for ``core.jobs.Job``: trains in the background, publishing progress.

    The windows and the model are built inside the job, so bad data or settings
    surface as the job's error message instead of blocking the page. When the job ends
    (its ``finish`` step, run on the server) the run is saved to ``store`` (a
    ``core.runs.store.RunStore``; "default" = the runs folder, None = not saved); a failed save is
    published as ``save_warning``, the run is kept.
    ``baselines``: also compare the trained network with naive, seasonal naive, drift, AutoETS,
    AutoARIMA and AutoTheta (:func:`core.forecast.comparison.attach_comparison`) in the job
    (on the worker), before the server saves the run.
    """

    autosave = AutoSave.create(store, session)  # reads the browser session here, not in the job

    def task(ctx) -> ForecastRun:
        run = build_run(dataset, data_cfg, model_cfg, train_cfg)
        ctx.publish(
            n_params=run.n_params,
            n_train=len(run.prepared.train),
            n_val=len(run.prepared.val),
            n_test=len(run.prepared.test),
        )
        probe = attach_probe(run, ctx.publish)  # gates of a fixed window, every epoch
        cbs = [ProgressCallback(ctx), probe, *callbacks, *autosave.callbacks()]
        run = train_run(run, cbs, ctx.stop_event)
        if baselines and run.fit is not None and run.fit.history:
            ctx.publish(stage="comparing with the baselines (naive … AutoARIMA)")
            attach_comparison(run)
            ctx.publish(stage=None)
        return run

    return Task(task, finish=autosave.finish_named)  # saved on the server, named as the job
