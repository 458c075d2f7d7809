"""Train several recurrent architectures on the same data, seed and budget, profiling how the
loss gradient reaches back in time before and after training.

The model is the lab's :class:`~core.models.recurrent.RecurrentForecaster` (recurrent stack + linear
head on the top layer's final hidden state), so what is learnt here holds for the Train
page too. Every architecture gets the same tensors, the same ``TrainConfig`` (seed, epochs,
batch size, learning rate) and the same hidden size; parameter counts differ and are shown.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from core.compare.gradients import GRAD_SAMPLES, input_gradient_profile
from core.compare.longmemory import TaskData, symbol_accuracy
from core.compare.specs import ArchSpec
from core.config import TrainConfig
from core.models.recurrent import RecurrentForecaster, count_parameters
from core.training.trainer import USER_STOPPED, Callback, FitResult, Trainer


@dataclass
class ArchResult:
    """What one architecture did under the shared budget."""

    spec: ArchSpec
    n_params: int
    fit: FitResult
    clip_norm: float | None
    val_loss: float  # validation loss after the last epoch
    accuracy: float | None  # symbol accuracy on validation (classification tasks)
    grad_init: list[float]  # g[k] = ||dL/dx_{T-1-k}||, k = 0..T-1, at initialisation
    grad_trained: list[float]  # the same after training
    model: nn.Module = field(repr=False)

    @property
    def seconds_per_epoch(self) -> float:
        h = self.fit.history
        return float(np.mean([r["seconds"] for r in h])) if h else math.nan

    def summary(self) -> dict:
        """JSON-able row for tables and the command line."""
        return {
            "label": self.spec.label,
            "cell": self.spec.cell,
            "layers": self.spec.num_layers,
            "bidirectional": self.spec.bidirectional,
            "clip_norm": self.clip_norm,
            "parameters": self.n_params,
            "epochs": len(self.fit.history),
            "seconds_per_epoch": self.seconds_per_epoch,
            "val_loss": self.val_loss,
            "best_val_loss": self.fit.best_val_loss,
            "accuracy": self.accuracy,
            "reason": self.fit.reason,
        }


@dataclass
class CompareResult:
    """A whole comparison: the task, the shared budget and one result per architecture."""

    task: TaskData = field(repr=False)
    hidden_size: int
    train_cfg: TrainConfig
    results: list[ArchResult]
    stopped: bool = False
    seconds: float = 0.0
    extras: dict = field(default_factory=dict)  # saved_run_id once its summary is saved

    def by_label(self) -> dict[str, ArchResult]:
        return {r.spec.label: r for r in self.results}

    @property
    def budget(self) -> dict:
        n = len(self.task.x_train)
        cfg = self.train_cfg
        return {
            "epochs": cfg.epochs,
            "batch_size": cfg.batch_size,
            "steps": cfg.epochs * math.ceil(n / cfg.batch_size),
            "lr": cfg.lr,
            "seed": cfg.seed,
            "n_train": n,
            "n_val": len(self.task.x_val),
            "hidden_size": self.hidden_size,
        }


class _Progress(Callback):
    """Publishes per-architecture histories and overall progress into a job context."""

    def __init__(self, publish: Callable[..., None], label: str, done: int, total: int):
        self.publish, self.label, self.done, self.total = publish, label, done, total
        self._last = 0.0
        self._t0 = time.perf_counter()

    def on_batch_end(self, trainer: Trainer, epoch: int, batch: int, n_batches: int) -> None:
        now = time.perf_counter()
        if now - self._last >= 0.25:
            self._last = now
            self.publish(epoch=self.done + epoch - 1, batch=batch, n_batches=n_batches)

    def on_epoch_end(self, trainer: Trainer, record: dict) -> None:
        done = self.done + record["epoch"]
        spent = time.perf_counter() - self._t0
        eta = spent / record["epoch"] * (self.total - done)
        self.publish(epoch=done, batch=0, eta_s=eta, record=(self.label, record))


def train_one(
    task: TaskData,
    spec: ArchSpec,
    hidden_size: int,
    train_cfg: TrainConfig,
    callbacks: Sequence[Callback] = (),
    stop_event: threading.Event | None = None,
    grad_samples: int = GRAD_SAMPLES,
) -> ArchResult:
    """Build the architecture with the shared seed, profile, train, profile again."""
    cfg = spec.train_config(train_cfg)
    torch.manual_seed(cfg.seed)
    model = RecurrentForecaster(spec.model_config(task, hidden_size))
    loss_fn = task.loss_fn()
    xg, yg = task.x_val[:grad_samples], task.y_val[:grad_samples]
    g0 = input_gradient_profile(model, xg, yg, loss_fn)
    trainer = Trainer(model, cfg, loss_fn=loss_fn, callbacks=callbacks, stop_event=stop_event)
    fit = trainer.fit((task.x_train, task.y_train), (task.x_val, task.y_val))
    g1 = input_gradient_profile(model, xg, yg, loss_fn)
    out = model.predict(task.x_val)  # the final weights, on CPU: (V, K)
    val_loss = float(loss_fn(out, task.y_val))
    accuracy = symbol_accuracy(out, task.y_val) if task.loss == "ce" else None
    return ArchResult(
        spec=spec,
        n_params=count_parameters(model),
        fit=fit,
        clip_norm=cfg.clip_norm,
        val_loss=float(val_loss),
        accuracy=accuracy,
        grad_init=g0.tolist(),
        grad_trained=g1.tolist(),
        model=model.cpu().eval(),
    )


def compare(
    task: TaskData,
    specs: Sequence[ArchSpec],
    hidden_size: int,
    train_cfg: TrainConfig,
    publish: Callable[..., None] | None = None,
    stop_event: threading.Event | None = None,
) -> CompareResult:
    """Train each architecture in turn on the same task, seed and budget.

    ``publish(**fields)`` (e.g. a job context's) receives overall progress and
    ``record=(label, epoch_record)`` after every epoch; a set ``stop_event`` stops the
    current architecture after its batch and skips the rest.
    """
    if not specs:
        raise ValueError("choose at least one architecture to compare")
    labels = [s.label for s in specs]
    if len(set(labels)) != len(labels):
        raise ValueError("each architecture may appear only once")
    stop_event = stop_event or threading.Event()
    t0 = time.perf_counter()
    total = len(specs) * train_cfg.epochs
    results: list[ArchResult] = []
    for i, spec in enumerate(specs):
        if stop_event.is_set():
            break
        callbacks = []
        if publish is not None:
            publish(current=spec.label, epochs=total, epoch=i * train_cfg.epochs)
            callbacks.append(_Progress(publish, spec.label, i * train_cfg.epochs, total))
        res = train_one(task, spec, hidden_size, train_cfg, callbacks, stop_event)
        results.append(res)
        if publish is not None:
            row = res.summary() | {"grad_init": res.grad_init, "grad_trained": res.grad_trained}
            publish(summary=(spec.label, row))
        if res.fit.reason == USER_STOPPED:
            break
    return CompareResult(
        task=task,
        hidden_size=hidden_size,
        train_cfg=train_cfg,
        results=results,
        stopped=stop_event.is_set(),
        seconds=time.perf_counter() - t0,
    )
