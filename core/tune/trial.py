"""One trial: a picklable job function (plain data and configs, no Optuna inside), so it can
run on a thread here or in another process; the coordinator reads its per-epoch validation
losses from the job's snapshot and decides everything Optuna decides."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import Dataset
from core.forecast.run import ForecastRun, build_run, train_run
from core.jobs.threads import ProgressCallback


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
        return train_run(run, [ProgressCallback(ctx)], ctx.stop_event)


class LocalContext:
    """A job context for running a trial in the calling thread (no job, no progress)."""

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        self.should_stop = False

    def publish(self, **_progress) -> None: ...

    def append(self, *_args, **_kwargs) -> None: ...
