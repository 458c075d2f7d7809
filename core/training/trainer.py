"""A small trainer: whole dataset on the device, callbacks for progress, never prints.

The batch is a tuple of tensors sharing their first dimension; the model gets
all but the last (``model(*inputs)``) and the loss compares its output with the
last one (the target). That covers forecasting windows (x, y) as well as
padded text (tokens, lengths, labels).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from core.config import TrainConfig
from core.training.device import describe_device, resolve_device
from core.training.fit_result import (
    COMPLETED,
    DIVERGED,
    EARLY_STOPPED,
    USER_STOPPED,
    FitResult,
)

Tensors = tuple[torch.Tensor, ...]

# a loss this many times the reference (the lower of the initial loss and the first epoch's,
# but at least DIVERGE_FLOOR) is an explosion, not a bad epoch: those weights are not kept
DIVERGE_FACTOR = 1e3
DIVERGE_FLOOR = 1e-3


class Callback:
    """Override what you need; every hook runs on the training thread."""

    def on_train_begin(self, trainer: Trainer) -> None: ...

    def on_batch_end(self, trainer: Trainer, epoch: int, batch: int, n_batches: int) -> None: ...

    def on_epoch_end(self, trainer: Trainer, record: dict) -> None: ...

    def on_train_end(self, trainer: Trainer, result: FitResult) -> None: ...


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def make_optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)


def _kept(epoch: int) -> str:
    """The weights a fit that failed in ``epoch`` keeps."""
    return f"the weights of epoch {epoch - 1}" if epoch > 1 else "the initial weights"


def _exploded(what: str, loss: float, reference: float) -> str:
    """A sentence when ``loss`` grew by orders of magnitude over ``reference``, else ""."""
    if not math.isfinite(reference):
        return ""
    if loss > DIVERGE_FACTOR * max(reference, DIVERGE_FLOOR):
        return (
            f"the {what} loss exploded to {loss:.3g}, over {DIVERGE_FACTOR:g} times its "
            f"early value ({reference:.3g})"
        )
    return ""


def state_copy(model: nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of the weights, to go back to after a failed epoch."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class Trainer:
    """Fits ``model`` on tensors with the settings of a :class:`TrainConfig`."""

    def __init__(
        self,
        model: nn.Module,
        cfg: TrainConfig,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
        callbacks: Sequence[Callback] = (),
        stop_event: threading.Event | None = None,
    ):
        self.model = model
        self.cfg = cfg
        self.loss_fn = loss_fn or nn.functional.mse_loss
        self.callbacks = list(callbacks)
        self.stop_event = stop_event or threading.Event()
        self.device = resolve_device(cfg.device)
        self.history: list[dict] = []
        self.epoch = 0
        self.optimizer: torch.optim.Optimizer | None = None
        self.data_on_device = True

    # -- helpers --------------------------------------------------------------------------
    def _to_device(self, tensors: Tensors) -> Tensors:
        """The whole dataset on the device when it fits; else it stays on the CPU and each
        batch is copied over (slower, but it trains)."""
        try:
            return tuple(t.to(self.device) for t in tensors)
        except torch.OutOfMemoryError:
            if self.device.type == "cuda":
                torch.cuda.empty_cache()
            self.data_on_device = False
            return tuple(t.pin_memory() if self.device.type == "cuda" else t for t in tensors)

    @torch.no_grad()
    def evaluate(self, tensors: Tensors, batch_size: int | None = None) -> float:
        """Mean loss over a dataset (weighted by batch size), in eval mode."""
        n = len(tensors[0])
        if n == 0:
            return float("nan")
        bs = batch_size or max(self.cfg.batch_size, 1024)
        self.model.eval()
        total = torch.zeros((), device=self.device)
        for i in range(0, n, bs):
            batch = tuple(t[i : i + bs].to(self.device) for t in tensors)
            out = self.model(*batch[:-1])
            total += self.loss_fn(out, batch[-1]) * len(batch[-1])
        self.model.train()
        return float(total) / n

    def _worse_than_mean(self, train: Tensors, val: Tensors | None) -> str:
        """A warning when the kept weights do worse than always predicting the mean of the
        training targets (regression targets only; "" otherwise)."""
        target = train[-1]
        if not target.is_floating_point():
            return ""
        span, data = ("validation", val) if val is not None else ("training", train)
        mean = target.float().mean(dim=0).to(self.device)
        try:
            y = data[-1].to(self.device)
            baseline = float(self.loss_fn(mean.expand_as(y), y))
        except (RuntimeError, ValueError):  # a loss that does not take a mean prediction
            return ""
        final = self.evaluate(data)
        if not (math.isfinite(baseline) and final > baseline):
            return ""
        return (
            f"the final {span} loss ({final:.3g}) is worse than always predicting the "
            f"training mean ({baseline:.3g}): this model has learned nothing usable; try a "
            "lower learning rate or a smaller model"
        )

    def _emit(self, hook: str, *args) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(self, *args)

    # -- the loop -------------------------------------------------------------------------
    def fit(self, train: Tensors, val: Tensors | None = None) -> FitResult:
        """Train for cfg.epochs (or until stopped); returns the history and why it ended.

        On a user stop mid-epoch, on divergence (NaN/inf loss) and on early stopping
        the model is left at the weights of the last completed epoch, or of the best
        epoch when early stopping is on.
        """
        run = self._setup(train, val)
        self._emit("on_train_begin")
        for epoch in range(1, self.cfg.epochs + 1):
            self.epoch = epoch
            end = self._epoch(run, epoch)
            if end is not None:
                run.reason, run.message = end
                break
        return self._finish(run)

    def _setup(self, train: Tensors, val: Tensors | None) -> _FitRun:
        """Seed, move model and data to the device, build the optimizer and scheduler, and
        measure the reference losses that divergence is judged against."""
        cfg = self.cfg
        seed_everything(cfg.seed)
        gen = torch.Generator().manual_seed(cfg.seed)
        self.model.to(self.device).train()
        train = self._to_device(train)
        val = self._to_device(val) if val is not None and len(val[0]) > 0 else None
        n = len(train[0])
        if n == 0:
            raise ValueError("no training samples: use more data or a shorter window")
        self.optimizer = opt = make_optimizer(self.model.parameters(), cfg)
        sched = (
            torch.optim.lr_scheduler.ReduceLROnPlateau(
                opt, factor=cfg.scheduler_factor, patience=cfg.scheduler_patience
            )
            if cfg.scheduler
            else None
        )
        probe = tuple(t[:4096] for t in train)  # the initial training loss, on a sample
        ref_train = self.evaluate(probe)
        ref_val = self.evaluate(val) if val is not None else math.nan
        return _FitRun(
            train=train,
            val=val,
            n_batches=math.ceil(n / cfg.batch_size),
            gen=gen,
            sched=sched,
            ref_train=ref_train,
            ref_val=ref_val,
            last_good=state_copy(self.model),
            message=f"finished {cfg.epochs} epochs",
            t_start=time.perf_counter(),
        )

    def _epoch(self, run: _FitRun, epoch: int) -> tuple[str, str] | None:
        """Train one epoch, validate, record it; (reason, message) when the fit ends here."""
        t0 = time.perf_counter()
        losses = self._run_epoch(run, epoch)
        if losses is None:
            return self._restore(run, USER_STOPPED, _user_stop_message(epoch))
        train_loss, grad_norm = losses
        if not math.isfinite(train_loss):
            return self._restore(run, DIVERGED, _nonfinite_train_message(train_loss, epoch))
        val_loss = self._validate(run)
        seconds = time.perf_counter() - t0
        n = len(run.train[0])
        record = {
            "epoch": epoch,
            "train_loss": train_loss,
            "val_loss": val_loss,
            "lr": self.optimizer.param_groups[0]["lr"],
            "grad_norm": grad_norm,
            "seconds": seconds,
            "samples_per_s": n / seconds if seconds > 0 else float("nan"),
            "events": [],
        }
        diverged = self._check_divergence(run, epoch, train_loss, val_loss)
        if diverged:
            return self._restore(run, DIVERGED, diverged)
        score = val_loss if run.val is not None else train_loss
        self._track_best(run, record, score, epoch)
        self._step_scheduler(run, record, score)
        run.last_good = state_copy(self.model)
        stop_early = self._early_stop(run, record)
        self.history.append(record)
        self._emit("on_epoch_end", record)
        if stop_early:
            return EARLY_STOPPED, (
                f"early stopping after epoch {epoch}: no improvement for "
                f"{self.cfg.patience} epochs; restored the best weights (epoch {run.best_epoch})"
            )
        return None

    def _run_epoch(self, run: _FitRun, epoch: int) -> tuple[float, float] | None:
        """One pass over shuffled batches: (mean training loss, mean gradient norm), or None
        when the user stopped it."""
        cfg, train, opt = self.cfg, run.train, self.optimizer
        n = len(train[0])
        perm = torch.randperm(n, generator=run.gen)
        if self.data_on_device:
            perm = perm.to(self.device)
        loss_sum = torch.zeros((), device=self.device)
        gnorm_sum = torch.zeros((), device=self.device)
        for b in range(run.n_batches):
            if self.stop_event.is_set():
                return None
            idx = perm[b * cfg.batch_size : (b + 1) * cfg.batch_size]
            batch = tuple(t[idx] for t in train)
            if not self.data_on_device:
                batch = tuple(t.to(self.device, non_blocking=True) for t in batch)
            out = self.model(*batch[:-1])
            loss = self.loss_fn(out, batch[-1])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            gnorm = nn.utils.clip_grad_norm_(
                self.model.parameters(), cfg.clip_norm if cfg.clip_norm else math.inf
            )
            opt.step()
            loss_sum += loss.detach() * len(idx)
            gnorm_sum += gnorm.detach()
            self._emit("on_batch_end", epoch, b + 1, run.n_batches)
        return float(loss_sum) / n, float(gnorm_sum) / run.n_batches

    def _validate(self, run: _FitRun) -> float:
        return self.evaluate(run.val) if run.val is not None else float("nan")

    def _check_divergence(
        self, run: _FitRun, epoch: int, train_loss: float, val_loss: float
    ) -> str:
        """A sentence when the validation loss is not finite or a loss exploded, else "".
        After epoch 1 the references become the lower of the initial and epoch-1 losses."""
        if run.val is not None and not math.isfinite(val_loss):
            return f"the validation loss became {val_loss} in epoch {epoch}; kept {_kept(epoch)}"
        exploded = _exploded("training", train_loss, run.ref_train) or _exploded(
            "validation", val_loss, run.ref_val
        )
        if exploded:
            return (
                f"{exploded} in epoch {epoch}; training stopped and kept {_kept(epoch)}. "
                "Try a lower learning rate, gradient clipping or a smaller model"
            )
        if epoch == 1:  # later epochs are compared with the better of start and epoch 1
            run.ref_train, run.ref_val = min(run.ref_train, train_loss), min(run.ref_val, val_loss)
        return ""

    def _restore(self, run: _FitRun, reason: str, message: str) -> tuple[str, str]:
        """Back to the weights of the last completed epoch; the fit ends with ``reason``."""
        self.model.load_state_dict(run.last_good)
        return reason, message

    def _track_best(self, run: _FitRun, record: dict, score: float, epoch: int) -> None:
        if score < run.best_val - self.cfg.min_delta:
            run.best_val, run.best_epoch, run.stale = score, epoch, 0
            if self.cfg.early_stopping:
                run.best_state = state_copy(self.model)
            record["events"].append("best")
        else:
            run.stale += 1

    def _step_scheduler(self, run: _FitRun, record: dict, score: float) -> None:
        if run.sched is None:
            return
        groups = self.optimizer.param_groups
        before = groups[0]["lr"]
        run.sched.step(score)
        after = groups[0]["lr"]
        if after < before:
            record["events"].append(f"lr {before:.2g} -> {after:.2g}")

    def _early_stop(self, run: _FitRun, record: dict) -> bool:
        stop = self.cfg.early_stopping and run.stale >= self.cfg.patience
        if stop:
            record["events"].append("early stop")
        return stop

    def _finish(self, run: _FitRun) -> FitResult:
        """Restore the best weights when early stopping is on; the result, to callbacks too."""
        if self.cfg.early_stopping and run.best_state is not None:
            self.model.load_state_dict(run.best_state)
        result = FitResult(
            history=list(self.history),
            reason=run.reason,
            message=run.message,
            best_epoch=run.best_epoch,
            best_val_loss=run.best_val if run.best_epoch else None,
            device=describe_device(self.device),
            seconds=time.perf_counter() - run.t_start,
            warning=self._worse_than_mean(run.train, run.val) if self.history else "",
        )
        self._emit("on_train_end", result)
        return result


@dataclass
class _FitRun:
    """What one fit carries from epoch to epoch."""

    train: Tensors  # on the device (or pinned on the CPU when it did not fit)
    val: Tensors | None
    n_batches: int
    gen: torch.Generator  # shuffles the batches
    sched: torch.optim.lr_scheduler.ReduceLROnPlateau | None
    ref_train: float  # reference losses divergence is judged against
    ref_val: float
    last_good: dict[str, torch.Tensor]  # weights of the last completed epoch
    message: str
    t_start: float
    reason: str = COMPLETED
    best_state: dict[str, torch.Tensor] | None = None  # kept only with early stopping
    best_val: float = math.inf
    best_epoch: int | None = None
    stale: int = 0  # epochs since the last improvement


def _user_stop_message(epoch: int) -> str:
    done = epoch - 1
    if done:
        return f"stopped by the user during epoch {epoch}; kept the weights of epoch {done}"
    return "stopped by the user before the first epoch ended; weights are the initial ones"


def _nonfinite_train_message(train_loss: float, epoch: int) -> str:
    return (
        f"the training loss became {train_loss} in epoch {epoch}; training "
        f"stopped and kept {_kept(epoch)}. Try a lower learning rate, gradient "
        "clipping or a smaller model"
    )
