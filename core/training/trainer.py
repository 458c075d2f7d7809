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
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from core.config import TrainConfig
from core.training.device import describe_device, resolve_device

Tensors = tuple[torch.Tensor, ...]

# why a fit ended
COMPLETED = "completed"
EARLY_STOPPED = "early_stopping"
USER_STOPPED = "stopped"
DIVERGED = "diverged"

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


@dataclass
class FitResult:
    history: list[dict]  # one record per completed epoch
    reason: str  # COMPLETED, EARLY_STOPPED, USER_STOPPED or DIVERGED
    message: str  # a sentence for the user
    best_epoch: int | None  # 1-based epoch with the lowest validation loss
    best_val_loss: float | None
    device: dict = field(default_factory=dict)
    seconds: float = 0.0
    warning: str = ""  # a sentence when the result is not worth using (worse than the mean)

    def to_dict(self) -> dict:
        return {
            "history": self.history,
            "reason": self.reason,
            "message": self.message,
            "best_epoch": self.best_epoch,
            "best_val_loss": self.best_val_loss,
            "device": self.device,
            "seconds": self.seconds,
            "warning": self.warning,
        }

    @classmethod
    def from_dict(cls, d: Any) -> FitResult:
        """From :meth:`to_dict` output (e.g. a checkpoint's); ValueError names what is wrong."""
        if not isinstance(d, dict):
            raise ValueError("the training summary is not a dict")
        unknown = sorted(str(k)[:40] for k in set(d) - set(_FIT_TYPES))
        if unknown:
            raise ValueError(f"unknown training summary field(s): {', '.join(unknown[:5])}")
        for key, types in _FIT_TYPES.items():
            required = key in ("history", "reason", "message", "best_epoch", "best_val_loss")
            if key not in d:
                if required:
                    raise ValueError(f"the training summary lacks its {key!r} field")
                continue
            value = d[key]
            if isinstance(value, bool) or not isinstance(value, types):
                raise ValueError(f"the training summary's {key!r} field has the wrong type")
        if not all(isinstance(r, dict) for r in d["history"]):
            raise ValueError("the training summary's history is not a list of records")
        return cls(**d)


_FIT_TYPES: dict[str, type | tuple[type, ...]] = {
    "history": list,
    "reason": str,
    "message": str,
    "best_epoch": (int, type(None)),
    "best_val_loss": (int, float, type(None)),
    "device": dict,
    "seconds": (int, float),
    "warning": str,
}


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


def _state_copy(model: nn.Module) -> dict[str, torch.Tensor]:
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
        n_batches = math.ceil(n / cfg.batch_size)
        probe = tuple(t[:4096] for t in train)  # the initial training loss, on a sample
        ref_train = self.evaluate(probe)
        ref_val = self.evaluate(val) if val is not None else math.nan
        last_good = _state_copy(self.model)
        best_state, best_val, best_epoch, stale = None, math.inf, None, 0
        reason, message = COMPLETED, f"finished {cfg.epochs} epochs"
        t_start = time.perf_counter()
        self._emit("on_train_begin")

        for epoch in range(1, cfg.epochs + 1):
            self.epoch = epoch
            t0 = time.perf_counter()
            perm = torch.randperm(n, generator=gen)
            if self.data_on_device:
                perm = perm.to(self.device)
            loss_sum = torch.zeros((), device=self.device)
            gnorm_sum = torch.zeros((), device=self.device)
            stopped = False
            for b in range(n_batches):
                if self.stop_event.is_set():
                    stopped = True
                    break
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
                self._emit("on_batch_end", epoch, b + 1, n_batches)
            if stopped:
                self.model.load_state_dict(last_good)
                done = epoch - 1
                reason = USER_STOPPED
                message = (
                    f"stopped by the user during epoch {epoch}; kept the weights of epoch {done}"
                    if done
                    else "stopped by the user before the first epoch ended; weights are the "
                    "initial ones"
                )
                break
            train_loss = float(loss_sum) / n
            if not math.isfinite(train_loss):
                self.model.load_state_dict(last_good)
                reason = DIVERGED
                message = (
                    f"the training loss became {train_loss} in epoch {epoch}; training "
                    f"stopped and kept {_kept(epoch)}. Try a lower learning rate, gradient "
                    "clipping or a smaller model"
                )
                break
            val_loss = self.evaluate(val) if val is not None else float("nan")
            seconds = time.perf_counter() - t0
            record = {
                "epoch": epoch,
                "train_loss": train_loss,
                "val_loss": val_loss,
                "lr": opt.param_groups[0]["lr"],
                "grad_norm": float(gnorm_sum) / n_batches,
                "seconds": seconds,
                "samples_per_s": n / seconds if seconds > 0 else float("nan"),
                "events": [],
            }
            if val is not None and not math.isfinite(val_loss):
                self.model.load_state_dict(last_good)
                reason = DIVERGED
                message = (
                    f"the validation loss became {val_loss} in epoch {epoch}; kept {_kept(epoch)}"
                )
                break
            exploded = _exploded("training", train_loss, ref_train) or _exploded(
                "validation", val_loss, ref_val
            )
            if exploded:
                self.model.load_state_dict(last_good)
                reason = DIVERGED
                message = (
                    f"{exploded} in epoch {epoch}; training stopped and kept {_kept(epoch)}. "
                    "Try a lower learning rate, gradient clipping or a smaller model"
                )
                break
            if epoch == 1:  # later epochs are compared with the better of start and epoch 1
                ref_train, ref_val = min(ref_train, train_loss), min(ref_val, val_loss)
            score = val_loss if val is not None else train_loss
            if score < best_val - cfg.min_delta:
                best_val, best_epoch, stale = score, epoch, 0
                if cfg.early_stopping:
                    best_state = _state_copy(self.model)
                record["events"].append("best")
            else:
                stale += 1
            if sched is not None:
                before = opt.param_groups[0]["lr"]
                sched.step(score)
                after = opt.param_groups[0]["lr"]
                if after < before:
                    record["events"].append(f"lr {before:.2g} -> {after:.2g}")
            last_good = _state_copy(self.model)
            stop_early = cfg.early_stopping and stale >= cfg.patience
            if stop_early:
                record["events"].append("early stop")
            self.history.append(record)
            self._emit("on_epoch_end", record)
            if stop_early:
                reason = EARLY_STOPPED
                message = (
                    f"early stopping after epoch {epoch}: no improvement for "
                    f"{cfg.patience} epochs; restored the best weights (epoch {best_epoch})"
                )
                break

        if cfg.early_stopping and best_state is not None:
            self.model.load_state_dict(best_state)
        result = FitResult(
            history=list(self.history),
            reason=reason,
            message=message,
            best_epoch=best_epoch,
            best_val_loss=best_val if best_epoch else None,
            device=describe_device(self.device),
            seconds=time.perf_counter() - t_start,
            warning=self._worse_than_mean(train, val) if self.history else "",
        )
        self._emit("on_train_end", result)
        return result
