"""Bench: what the comparison engine costs on top of plain PyTorch.

For each cell on delayed echo (lag 20), it times
- one training epoch through ``core.compare.training.train_one`` (Trainer, callbacks, progress
  publishing) against a plain PyTorch loop over the same batches (Adam, clipping, one
  validation pass per epoch in both), and
- the gradient-vs-lag profile (``input_gradient_profile``) against a plain forward +
  backward of the same batch.
Ratios near 1 mean the lab adds little. Prints a table and the machine.

    LSTMLAB_THREADS=1 python bench/bench_compare.py [--epochs 3] [--hidden 64]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
from torch import nn

from core.compare.gradients import GRAD_SAMPLES, input_gradient_profile
from core.compare.longmemory import make_task
from core.compare.specs import ARCHITECTURES
from core.compare.training import train_one
from core.config import TrainConfig
from core.models.recurrent import RecurrentForecaster
from core.training.device import configure_threads


def plain_epochs(model: nn.Module, x, y, xv, yv, cfg: TrainConfig) -> float:
    """Seconds per epoch of a bare loop: shuffle, forward, MSE, backward, clip, Adam step,
    then the validation loss (the lab's epochs include it too)."""
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    gen = torch.Generator().manual_seed(cfg.seed)
    n = len(x)
    t0 = time.perf_counter()
    for _ in range(cfg.epochs):
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, cfg.batch_size):
            idx = perm[i : i + cfg.batch_size]
            loss = nn.functional.mse_loss(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_norm)
            opt.step()
        with torch.no_grad():
            float(nn.functional.mse_loss(model(xv), yv))
    return (time.perf_counter() - t0) / cfg.epochs


def best_of(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--hidden", type=int, default=64)
    args = ap.parse_args()
    threads = configure_threads()
    task = make_task("echo", 20, n_train=4096, n_val=1024, seed=0)
    cfg = TrainConfig(epochs=args.epochs, batch_size=128, lr=1e-2, clip_norm=1.0, device="cpu")
    xg, yg = task.x_val[:GRAD_SAMPLES], task.y_val[:GRAD_SAMPLES]
    machine = platform.processor() or platform.machine()
    print(f"machine: {platform.platform()}, {machine}, {os.cpu_count()} CPUs")
    print(f"torch {torch.__version__}, {threads} torch thread(s)")
    print(
        f"task: {task.title}, {len(task.x_train)} sequences of {task.steps} steps, "
        f"batch {cfg.batch_size}, hidden {args.hidden}, {args.epochs} epochs per timing"
    )
    print("| cell | plain s/epoch | lab s/epoch | ratio | plain fwd+bwd ms | profile ms | ratio |")
    print("|" + "---|" * 7)
    for label in ("RNN", "GRU", "LSTM"):
        spec = ARCHITECTURES[label]
        torch.manual_seed(0)
        model = RecurrentForecaster(spec.model_config(task, args.hidden))
        plain = plain_epochs(model, task.x_train, task.y_train, task.x_val, task.y_val, cfg)
        lab = train_one(task, spec, args.hidden, cfg).seconds_per_epoch

        def fwd_bwd(model=model):
            model.zero_grad(set_to_none=True)
            nn.functional.mse_loss(model(xg), yg).backward()

        def profile(model=model):
            input_gradient_profile(model, xg, yg, nn.functional.mse_loss)

        fb, pr = best_of(fwd_bwd), best_of(profile)
        ratio = lab / plain if plain > 0 else math.nan
        print(
            f"| {label} | {plain:.3f} | {lab:.3f} | {ratio:.2f} | {fb * 1e3:.1f} "
            f"| {pr * 1e3:.1f} | {pr / fb:.2f} |"
        )


if __name__ == "__main__":
    main()
