"""Trainer throughput against a bare PyTorch loop over the same model and tensors.

    python bench/bench_trainer.py [--epochs 3] [--repeats 3] [--device auto]

Both sides keep the data on the device, shuffle with the same permutation
generator, use Adam and clip the gradient norm. The trainer adds its per-batch
stop-flag check, callbacks, per-epoch weight snapshot and history. Target: the
trainer at >= 0.9x of the bare loop's samples/s.
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, median, table
from core.config import ModelConfig, TrainConfig
from core.models.recurrent import RecurrentForecaster
from core.training.device import configure_threads, resolve_device
from core.training.trainer import Trainer

CASES = [
    ("LSTM 1x32, T=30, F=1", ModelConfig(hidden_size=32), 30, 1, 8192),
    ("LSTM 2x128, T=60, F=5", ModelConfig(hidden_size=128, num_layers=2, input_size=5), 60, 5,
     4096),
    ("GRU 1x64, T=30, F=1", ModelConfig(cell="gru", hidden_size=64), 30, 1, 8192),
]  # fmt: skip


def bare_loop(model, x, y, cfg: TrainConfig, device) -> float:
    """The plainest honest loop: returns samples/s."""
    model = model.to(device).train()
    x, y = x.to(device), y.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    gen = torch.Generator().manual_seed(cfg.seed)
    n = len(x)
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(cfg.epochs):
        perm = torch.randperm(n, generator=gen).to(device)
        for b in range(math.ceil(n / cfg.batch_size)):
            idx = perm[b * cfg.batch_size : (b + 1) * cfg.batch_size]
            loss = torch.nn.functional.mse_loss(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_norm)
            opt.step()
    _sync(device)
    return n * cfg.epochs / (time.perf_counter() - t0)


def trainer_loop(model, x, y, cfg: TrainConfig, device, val=None) -> float:
    trainer = Trainer(model, cfg)
    _sync(device)
    t0 = time.perf_counter()
    trainer.fit((x, y), val)
    _sync(device)
    return len(x) * cfg.epochs / (time.perf_counter() - t0)


def _sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    configure_threads(args.threads)
    device = resolve_device(args.device)
    print(f"machine: {machine()}\ndevice: {device}\n")
    rows = []
    for name, mcfg, t, f, n in CASES:
        g = torch.Generator().manual_seed(0)
        x = torch.randn(n, t, f, generator=g)
        y = torch.randn(n, 1, generator=g)
        xv, yv = x[: n // 8], y[: n // 8]
        torch.manual_seed(0)
        base = RecurrentForecaster(mcfg)
        cfg = TrainConfig(epochs=args.epochs, batch_size=64, lr=1e-3, clip_norm=1.0,
                          device=str(device))  # fmt: skip
        bare, trn, trn_val = [], [], []
        bare_loop(copy.deepcopy(base), x[:512], y[:512], cfg.replace(epochs=1), device)  # warm-up
        for _ in range(args.repeats):  # interleaved, so machine noise hits both alike
            bare.append(bare_loop(copy.deepcopy(base), x, y, cfg, device))
            trn.append(trainer_loop(copy.deepcopy(base), x, y, cfg, device))
            trn_val.append(trainer_loop(copy.deepcopy(base), x, y, cfg, device, (xv, yv)))
        b, tr, tv = median(bare), median(trn), median(trn_val)
        rows.append([name, n, b, tr, tr / b, tv, tv / b])
    print(table(["case", "samples", "bare loop samples/s", "trainer samples/s", "ratio",
                 "trainer + val samples/s", "ratio (with val)"], rows))  # fmt: skip
    print(
        "\ntarget: trainer/bare >= 0.9 (the 'with val' column also evaluates 1/8 of the "
        "data each epoch, which the bare loop does not do)"
    )


if __name__ == "__main__":
    main()
