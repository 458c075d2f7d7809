"""Long-memory toy tasks whose difficulty is one number: the lag.

Each task gives independent, seeded sequences x (N, T, F) and a target that
depends on an input ``lag`` (or more) steps before the last step, so a model
reading the final hidden state must carry that value across ``lag`` steps.
This is the "last" formulation of the tutorials: at lag 20 a plain tanh RNN
stays near the trivial loss while an LSTM with forget-gate bias 1 gets near 0.

- ``echo``: Gaussian inputs, window T = lag + 10; predict x[T-1-lag]. MSE;
  the trivial predictor (a constant) scores Var(x) = 1.
- ``adding``: two channels (value ~ U(0, 1), marker in {0, 1}), T = lag + 10;
  one marker among the first 10 steps, one among the rest; predict the sum of
  the two marked values. MSE; a constant scores Var(u1 + u2) = 1/6.
- ``copy``: ``items`` symbols out of ``vocab`` at the start, then blanks, T = items
  + lag; output every symbol at the end (items x vocab logits). Cross-entropy;
  guessing scores ln(vocab).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

TASKS = ("echo", "adding", "copy")
TASK_TITLES = {
    "echo": "Delayed echo",
    "adding": "Adding problem",
    "copy": "Copy / recall",
}
PAD = 10  # extra steps around the lag in echo and adding windows
MAX_LAG = 500


@dataclass(frozen=True)
class TaskData:
    """Training and validation tensors of one supervised sequence task."""

    name: str  # task id, e.g. "echo" or a dataset's name
    title: str  # for people, e.g. "Delayed echo, lag 20"
    lag: int  # steps the model must remember (for datasets: the lookback T)
    x_train: torch.Tensor  # (N, T, F) float32
    y_train: torch.Tensor  # (N, K) float32 for "mse", (N, M) int64 class ids for "ce"
    x_val: torch.Tensor  # (V, T, F)
    y_val: torch.Tensor  # (V, K) or (V, M)
    loss: str  # "mse" or "ce"
    output_size: int  # K: width of the model's linear head
    trivial_loss: float  # validation loss of the trivial predictor
    trivial_label: str  # what the trivial predictor is
    description: str  # one sentence: what the model must do
    params: dict = field(default_factory=dict)  # seed, sizes, generator settings

    @property
    def input_size(self) -> int:
        return int(self.x_train.shape[-1])

    @property
    def steps(self) -> int:
        """T, the window length."""
        return int(self.x_train.shape[1])

    def loss_fn(self):
        return nn.functional.mse_loss if self.loss == "mse" else sequence_cross_entropy

    def info(self) -> dict:
        """What the pages draw about the task (JSON-able; no tensors)."""
        return {
            "name": self.name,
            "title": self.title,
            "lag": self.lag,
            "memory": self.name in TASKS,
            "trivial": self.trivial_loss,
            "trivial_label": self.trivial_label,
            "loss": self.loss,
        }


def sequence_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over M symbols: logits (B, M*C), y (B, M) int64.

    CE = -mean_{b,m} log softmax(logits[b, m])[y[b, m]]
    """
    b, m = y.shape
    return nn.functional.cross_entropy(logits.reshape(b * m, -1), y.reshape(b * m))


def symbol_accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Share of symbols recalled exactly: mean_{b,m} [argmax logits[b, m] == y[b, m]]."""
    b, m = y.shape
    pred = logits.reshape(b, m, -1).argmax(-1)
    return float((pred == y).float().mean())


def _check_lag(lag: int) -> None:
    if not isinstance(lag, int) or isinstance(lag, bool) or not 1 <= lag <= MAX_LAG:
        raise ValueError(f"lag must be an integer between 1 and {MAX_LAG}, got {lag!r}")


def _check_samples(n: int, name: str) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 8:
        raise ValueError(f"{name} must be an integer >= 8, got {n!r}")


# -- generators: numpy (N, T, F), (N, K) -----------------------------------------------------


def echo_arrays(n: int, lag: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x ~ N(0, 1) of shape (n, lag + PAD, 1); y = x[:, -1 - lag] of shape (n, 1)."""
    x = rng.standard_normal((n, lag + PAD, 1)).astype(np.float32)
    return x, x[:, -1 - lag, :].copy()


def adding_arrays(n: int, lag: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x (n, lag + PAD, 2) = (value, marker); y (n, 1) = sum of the two marked values."""
    t = lag + PAD
    values = rng.random((n, t)).astype(np.float32)
    first = rng.integers(0, PAD, n)  # at least lag steps before the end
    second = rng.integers(PAD, t, n)
    marks = np.zeros((n, t), np.float32)
    rows = np.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]
    return np.stack([values, marks], axis=-1), y[:, None].astype(np.float32)


def copy_arrays(
    n: int, lag: int, rng: np.random.Generator, items: int = 3, vocab: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    """x (n, items + lag, vocab + 1) one-hot (last channel = blank); y (n, items) int64."""
    t = items + lag
    symbols = rng.integers(0, vocab, (n, items))
    x = np.zeros((n, t, vocab + 1), np.float32)
    rows = np.arange(n)[:, None]
    x[rows, np.arange(items)[None, :], symbols] = 1.0
    x[:, items:, vocab] = 1.0  # blanks after the symbols
    return x, symbols.astype(np.int64)


def make_task(
    name: str,
    lag: int,
    n_train: int = 4096,
    n_val: int = 1024,
    seed: int = 0,
    items: int = 3,
    vocab: int = 8,
) -> TaskData:
    """A long-memory task by name; the same (name, lag, sizes, seed) gives the same tensors."""
    if name not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, got {name!r}")
    _check_lag(lag)
    _check_samples(n_train, "n_train")
    _check_samples(n_val, "n_val")
    if name == "copy" and not (1 <= items <= 20 and 2 <= vocab <= 64):
        raise ValueError(f"copy needs 1 <= items <= 20 and 2 <= vocab <= 64, got {items}, {vocab}")
    rng_train = np.random.default_rng([seed, 0])
    rng_val = np.random.default_rng([seed, 1])  # an independent stream: no shared sequences
    if name == "copy":
        xt, yt = copy_arrays(n_train, lag, rng_train, items, vocab)
        xv, yv = copy_arrays(n_val, lag, rng_val, items, vocab)
    else:
        gen = echo_arrays if name == "echo" else adding_arrays
        xt, yt = gen(n_train, lag, rng_train)
        xv, yv = gen(n_val, lag, rng_val)
    x_train, y_train = torch.from_numpy(xt), torch.from_numpy(yt)
    x_val, y_val = torch.from_numpy(xv), torch.from_numpy(yv)
    if name == "copy":
        # guessing from the training frequencies of each position
        counts = np.stack([np.bincount(yt[:, j], minlength=vocab) for j in range(items)])
        logp = np.log((counts + 1) / (counts.sum(1, keepdims=True) + vocab))
        trivial = float(-np.mean(logp[np.arange(items)[None, :], yv]))
        loss, out, label = "ce", items * vocab, f"guessing (ln {vocab} = {math.log(vocab):.3f})"
        desc = (
            f"read {items} symbols (of {vocab}), wait {lag} blank steps, then recall all of "
            "them from the final state"
        )
    else:
        trivial = float(((yv - yt.mean(0)) ** 2).mean())  # best constant, fitted on train
        loss, out, label = "mse", 1, "a constant (the training mean)"
        desc = (
            f"output the input seen {lag} steps before the last step"
            if name == "echo"
            else f"add the two marked values; the first is at least {lag} steps back"
        )
    return TaskData(
        name=name,
        title=f"{TASK_TITLES[name]}, lag {lag}",
        lag=lag,
        x_train=x_train,
        y_train=y_train,
        x_val=x_val,
        y_val=y_val,
        loss=loss,
        output_size=out,
        trivial_loss=trivial,
        trivial_label=label,
        description=desc,
        params={"seed": seed, "n_train": n_train, "n_val": n_val}
        | ({"items": items, "vocab": vocab} if name == "copy" else {}),
    )
