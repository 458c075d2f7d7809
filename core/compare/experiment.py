"""Train several recurrent architectures on the same data, seed and budget; measure how
the loss gradient reaches back in time.

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
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import nn

from core.compare.longmemory import TaskData, symbol_accuracy
from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import Dataset, prepare
from core.models.recurrent import RecurrentForecaster, count_parameters
from core.training.trainer import USER_STOPPED, Callback, FitResult, Trainer

GRAD_SAMPLES = 256  # validation sequences used for the gradient-vs-lag profile


@dataclass(frozen=True)
class ArchSpec:
    """One architecture of a comparison."""

    label: str  # shown in legends and tables
    cell: str  # lstm, gru or rnn
    num_layers: int = 1  # L
    bidirectional: bool = False  # D = 2
    forget_bias: float | None = 1.0  # LSTM forget-gate bias at init; None = PyTorch's (~0)
    orthogonal_init: bool = False  # False: PyTorch's uniform init, the textbook setting
    clip: bool | None = None  # None: as the TrainConfig; False: no clipping; True: clip

    def model_config(self, task: TaskData, hidden_size: int) -> ModelConfig:
        return ModelConfig(
            cell=self.cell,
            input_size=task.input_size,
            hidden_size=hidden_size,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            horizon=task.output_size,
            forget_bias=self.forget_bias,
            orthogonal_init=self.orthogonal_init,
        )

    def train_config(self, cfg: TrainConfig) -> TrainConfig:
        if self.clip is None:
            return cfg
        return cfg.replace(clip_norm=(cfg.clip_norm or 1.0) if self.clip else None)


ARCHITECTURES: dict[str, ArchSpec] = {
    s.label: s
    for s in (
        ArchSpec("RNN", "rnn"),
        ArchSpec("GRU", "gru"),
        ArchSpec("LSTM", "lstm"),
        ArchSpec("LSTM (PyTorch forget bias)", "lstm", forget_bias=None),
        ArchSpec("RNN ×2", "rnn", num_layers=2),
        ArchSpec("GRU ×2", "gru", num_layers=2),
        ArchSpec("LSTM ×2", "lstm", num_layers=2),
        ArchSpec("bi-RNN", "rnn", bidirectional=True),
        ArchSpec("bi-GRU", "gru", bidirectional=True),
        ArchSpec("bi-LSTM", "lstm", bidirectional=True),
    )
}
DEFAULT_ARCHS = ("RNN", "GRU", "LSTM")
CELL_LABELS = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}


def with_orthogonal(specs: Sequence[ArchSpec], orthogonal: bool) -> list[ArchSpec]:
    """The same architectures with orthogonal recurrent weights (a known fix for plain RNNs)."""
    return [replace(s, orthogonal_init=orthogonal) for s in specs]


def depth_specs(cells: Sequence[str], num_layers: int) -> list[ArchSpec]:
    """A deeper stack of each cell, trained once with and once without gradient clipping."""
    specs = []
    for cell in cells:
        name = f"{CELL_LABELS[cell]} ×{num_layers}"
        specs.append(ArchSpec(f"{name}, clipped", cell, num_layers=num_layers, clip=True))
        specs.append(ArchSpec(f"{name}, no clip", cell, num_layers=num_layers, clip=False))
    return specs


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


# -- the gradient that reaches each earlier time step ----------------------------------------


def input_gradient_profile(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> np.ndarray:
    """Norm of the loss gradient w.r.t. the input at each lag before the last step.

    x (B, T, F), y (B, K); L = loss_fn(model(x), y), the batch-mean loss.
    Returns g (T,) with g[k] = ||dL/dx[:, T-1-k, :]||_2 (over B and F), k = 0..T-1:
    g[0] is the last step, g[k] the step k steps earlier. The model's weights are
    not changed and no parameter gradient is kept.
    """
    device = next(model.parameters()).device
    x = x.detach().to(device).clone().requires_grad_(True)
    was_training = model.training
    model.train()  # cuDNN only backpropagates through RNNs in training mode; dropout is 0 here
    loss = loss_fn(model(x), y.to(device))
    (grad,) = torch.autograd.grad(loss, x)  # (B, T, F)
    model.train(was_training)
    per_step = grad.double().pow(2).sum(dim=(0, 2)).sqrt()  # (T,)
    return per_step.flip(0).cpu().numpy()  # index k = lag from the last step


def decay_per_step(g: Sequence[float], k: int) -> float:
    """Geometric shrink factor per step over k steps: (g[k] / g[0]) ** (1 / k)."""
    if k <= 0 or g[0] <= 0 or g[k] <= 0:
        return math.nan
    return float((g[k] / g[0]) ** (1.0 / k))


# -- datasets of the lab as a task -------------------------------------------------------------


def dataset_task(dataset: Dataset, data_cfg: DataConfig) -> TaskData:
    """A forecasting dataset as a comparison task (scaled MSE; trivial = naive last value)."""
    from core.forecast.run import last_value_mse

    p = prepare(dataset.frame, data_cfg)
    if len(p.val) == 0:
        raise ValueError("the comparison needs validation windows: set val_fraction > 0")
    trivial = last_value_mse(p)
    return TaskData(
        name=dataset.name,
        title=f"{dataset.name}: {data_cfg.target}, {data_cfg.lookback} steps in, "
        f"{data_cfg.horizon} out",
        lag=data_cfg.lookback,
        x_train=torch.from_numpy(p.train.x),
        y_train=torch.from_numpy(p.train.y),
        x_val=torch.from_numpy(p.val.x),
        y_val=torch.from_numpy(p.val.y),
        loss="mse",
        output_size=data_cfg.horizon,
        trivial_loss=trivial,
        trivial_label="naive (repeat the last value)",
        description=f"forecast the next {data_cfg.horizon} value(s) of {data_cfg.target} "
        f"from the last {data_cfg.lookback}",
        params={"data": data_cfg.to_dict(), "provenance": dict(dataset.provenance)},
    )


# -- training several architectures ------------------------------------------------------------


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
