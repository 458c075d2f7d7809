"""One trial: a picklable job function (plain data and configs, no Optuna inside), so it can
run on a thread here or in another process; the coordinator reads its per-epoch validation
losses from the job's snapshot and decides everything Optuna decides."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import Dataset
from core.forecast.run import ForecastRun, build_run, train_run
from core.jobs.threads import ProgressCallback
from core.training.trainer import Callback

VALUE_KEY = "val_mse"  # what a trial reports each epoch: validation MSE in the target's units


class UnitsLoss(Callback):
    """Adds the validation MSE in the target's own units to each epoch's record.

    The trainer's ``val_loss`` is in the scaled units of the trial's window mode (level, diff
    or ratio windows are scaled differently), so trials with different window modes cannot be
    compared on it; in original units they can. Validation span only, one-step-ahead and
    every horizon step alike."""

    def __init__(self, run: ForecastRun):
        self.run = run
        w = run.prepared.val
        self.x = torch.from_numpy(w.x)
        steps = np.arange(w.y.shape[1]) if len(w) else np.arange(0)
        self.truth = run.prepared.target[w.start[:, None] + steps[None, :]] if len(w) else None

    def on_epoch_end(self, trainer, record: dict) -> None:
        if self.truth is None:
            return
        with torch.no_grad():
            yhat = self.run.model.predict(self.x).numpy()
        units = self.run.prepared.to_units(yhat, "val")
        record[VALUE_KEY] = float(np.mean((units - self.truth) ** 2))


@dataclass
class TrialTask:
    """``Job(TrialTask(...))``: build the windows and the model, train on the training span,
    validate on the validation span every epoch (published as the job's ``history``)."""

    dataset: Dataset
    data_cfg: DataConfig
    model_cfg: ModelConfig
    train_cfg: TrainConfig
    number: int = 0  # the Optuna trial number, for the job's name and messages

    def __call__(self, ctx) -> ForecastRun:
        run = build_run(self.dataset, self.data_cfg, self.model_cfg, self.train_cfg)
        ctx.publish(trial=self.number, n_params=run.n_params, n_train=len(run.prepared.train))
        return train_run(run, [UnitsLoss(run), ProgressCallback(ctx)], ctx.stop_event)


class LocalContext:
    """A job context for running a trial in the calling thread (no job, no progress)."""

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        self.should_stop = False

    def publish(self, **_progress) -> None: ...

    def append(self, *_args, **_kwargs) -> None: ...
