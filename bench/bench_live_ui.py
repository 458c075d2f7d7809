"""What the live UI costs the trainer: samples/s with and without the UI attached, in one run.

Configurations, each trained on the same windows (bundled MSFT sample, T=30, the
"quick demo" LSTM), interleaved and repeated so machine noise hits them alike:

- ``plain torch``: a hand-written PyTorch loop (Adam, clipping, same batches): the baseline;
- ``Trainer``: core.training.trainer.Trainer with no callbacks;
- ``Trainer + live UI``: the same inside core.jobs.threads.training_job (as the page starts it)
  with ProgressCallback, while a
  second thread does what the Train page does: every POLL_S seconds it takes
  ``job.snapshot()``, builds the loss and optimizer figures and serialises them to JSON
  (what ``st.plotly_chart`` sends to the browser).

Target: the live UI costs at most 10% of the Trainer's samples/s.
Usage: LSTMLAB_THREADS=1 python bench/bench_live_ui.py [--epochs 6] [--repeats 3]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
from torch import nn

from core.config import DataConfig, TrainConfig
from core.data import load_sample, prepare
from core.jobs.threads import ProgressCallback, training_job
from core.models.recurrent import RecurrentForecaster
from core.training.device import configure_threads, describe_device, resolve_device
from core.training.presets import PRESETS
from core.training.trainer import Trainer
from dashboard.common.figures import loss_figure
from dashboard.train.figures import optimizer_figure

POLL_S = 0.5  # the Train page's redraw period


def setup(epochs: int):
    p = prepare(load_sample("MSFT", last=2500).frame, DataConfig(target="Close", lookback=30))
    train = (torch.from_numpy(p.train.x), torch.from_numpy(p.train.y))  # (M, T, F), (M, K)
    val = (torch.from_numpy(p.val.x), torch.from_numpy(p.val.y))
    preset = PRESETS["quick demo"]
    model_cfg = preset["model"].replace(input_size=1, horizon=1)
    cfg: TrainConfig = preset["train"].replace(epochs=epochs)
    return train, val, model_cfg, cfg


def plain_torch(train, val, model_cfg, cfg: TrainConfig) -> float:
    """The baseline: the loop a PyTorch user writes by hand; returns training samples/s."""
    torch.manual_seed(cfg.seed)
    device = resolve_device(cfg.device)
    model = RecurrentForecaster(model_cfg).to(device)
    x, y = (t.to(device) for t in train)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    gen = torch.Generator().manual_seed(cfg.seed)
    n, seconds = len(x), 0.0
    for _ in range(cfg.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=gen).to(device)
        for i in range(0, n, cfg.batch_size):
            idx = perm[i : i + cfg.batch_size]
            loss = nn.functional.mse_loss(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_norm)
            opt.step()
        with torch.no_grad():
            model.eval()
            nn.functional.mse_loss(model(val[0].to(device)), val[1].to(device)).item()
            model.train()
        seconds += time.perf_counter() - t0
    return n * cfg.epochs / seconds


def _trainer_rate(history: list[dict]) -> float:
    n = sum(h["samples_per_s"] * h["seconds"] for h in history)
    return n / sum(h["seconds"] for h in history)


def trainer_bare(train, val, model_cfg, cfg) -> float:
    torch.manual_seed(cfg.seed)
    result = Trainer(RecurrentForecaster(model_cfg), cfg).fit(train, val)
    return _trainer_rate(result.history)


def trainer_live(train, val, model_cfg, cfg) -> tuple[float, list[float]]:
    """Trainer in a Job with ProgressCallback, polled and drawn by a UI thread."""
    torch.manual_seed(cfg.seed)
    model = RecurrentForecaster(model_cfg)

    def fn(ctx):
        return Trainer(model, cfg, callbacks=[ProgressCallback(ctx)], stop_event=ctx.stop_event)

    holder: dict = {}

    def task(ctx):
        holder["result"] = fn(ctx).fit(train, val)
        return holder["result"]

    job = training_job(task, name="bench", threads=torch.get_num_threads()).start()
    redraws: list[float] = []  # seconds each redraw took
    while not job.done:  # the page's fragment: snapshot -> figures -> JSON for the browser
        t0 = time.perf_counter()
        snap = job.snapshot()
        loss_figure(snap.get("history", []), "Loss", snap.get("best_epoch")).to_json()
        optimizer_figure(snap.get("history", []), cfg.clip_norm).to_json()
        redraws.append(time.perf_counter() - t0)
        time.sleep(max(0.0, POLL_S - redraws[-1]))
    job.join()
    if job.status != "done":
        raise RuntimeError(job.snapshot().get("message"))
    return _trainer_rate(holder["result"].history), redraws


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=9)
    args = ap.parse_args()
    threads = configure_threads()
    train, val, model_cfg, cfg = setup(args.epochs)
    trainer_bare(train, val, model_cfg, cfg.replace(epochs=1))  # warm-up: imports, allocator
    rates: dict[str, list[float]] = {"plain torch": [], "Trainer": [], "Trainer + live UI": []}
    redraws: list[float] = []
    runs = {
        "plain torch": lambda: (plain_torch(train, val, model_cfg, cfg), []),
        "Trainer": lambda: (trainer_bare(train, val, model_cfg, cfg), []),
        "Trainer + live UI": lambda: trainer_live(train, val, model_cfg, cfg),
    }
    for i in range(args.repeats):  # interleaved, order rotated: load drift hits all alike
        names = list(runs)
        for name in names[i % 3 :] + names[: i % 3]:
            rate, r = runs[name]()
            rates[name].append(rate)
            redraws += r
    med = {k: statistics.median(v) for k, v in rates.items()}
    dev = describe_device(resolve_device("auto"))
    print(
        f"machine: {platform.platform()} · python {platform.python_version()} · "
        f"torch {torch.__version__} · {os.cpu_count()} CPUs · torch threads {threads} · "
        f"device {dev['label']} · load avg {os.getloadavg()[0]:.1f}"
    )
    print(
        f"data: MSFT sample, {len(train[0])} training windows T=30 · quick demo LSTM(32) · "
        f"{args.epochs} epochs × {args.repeats} repeats"
    )
    ms = statistics.median(redraws) * 1e3
    print(
        f"UI thread: {len(redraws)} redraws (every {POLL_S} s), median {ms:.1f} ms each "
        f"(max {max(redraws) * 1e3:.0f} ms) = {ms / 1e3 / POLL_S:.1%} of one core"
    )
    print(f"{'configuration':<20} {'samples/s (median)':>19} {'min..max':>17} {'vs torch':>9}")
    for k, v in rates.items():
        print(
            f"{k:<20} {med[k]:>19,.0f} {min(v):>8,.0f}..{max(v):<8,.0f} "
            f"{med[k] / med['plain torch']:>9.3f}"
        )
    cost = 1 - med["Trainer + live UI"] / med["Trainer"]
    # paired: each repeat's live run against the Trainer run just before it (same load)
    paired = 1 - statistics.median(
        live / bare for live, bare in zip(rates["Trainer + live UI"], rates["Trainer"], strict=True)
    )
    verdict = "meets" if max(cost, paired) <= 0.10 else "MISSES"
    print(
        f"live UI cost vs Trainer: {cost:+.1%} of samples/s (medians), {paired:+.1%} (median of "
        f"paired repeats); {verdict} the <= 10% target"
    )
    if not math.isfinite(cost):
        sys.exit(1)


if __name__ == "__main__":
    main()
