"""Benchmark: walk-forward backtest cost and honesty on the real Yahoo histories.

For each series and forecasting mode: seconds of our backtest (20 origins, refit every 5,
best of 2 runs), seconds of a plain PyTorch loop doing the same number of fits with the same
network size, windows, epochs and batch size (the baseline, measured in the same run), their
ratio, and the model/naive MAE ratio with the Diebold-Mariano p-value and interval coverage.

Run from the repo root: ``LSTMLAB_THREADS=1 python bench/bench_backtest.py``.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.forecast.backtest import BacktestConfig, origin_rows, walk_forward  # noqa: E402
from core.forecast.stock_model import StockConfig  # noqa: E402
from core.training.device import configure_threads  # noqa: E402

FIX = ROOT / "tests" / "fixtures" / "stocks"
SERIES = ["MSFT", "AAPL", "SPY", "BTC-USD"]
MODES = ["return", "window", "level"]
REPEATS = 2


def plain_pytorch_fits(close: np.ndarray, cfg: StockConfig, origins: np.ndarray, every: int):
    """The same fits as the backtest, written as a bare PyTorch loop (MSE, no quantiles)."""
    t0 = time.perf_counter()
    for o in origins[::every]:
        sub = close[max(0, o - cfg.train_rows + 1) : o + 1]
        r = np.diff(np.log(sub))
        ends = np.arange(cfg.lookback, len(r) - 1)
        x = np.stack([r[e - cfg.lookback : e] for e in ends])[:, :, None]  # (M, T, 1)
        y = r[ends][:, None]  # (M, 1)
        x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
        torch.manual_seed(0)
        lstm, head = nn.LSTM(1, cfg.hidden_size, batch_first=True), nn.Linear(cfg.hidden_size, 3)
        opt = torch.optim.Adam([*lstm.parameters(), *head.parameters()], lr=cfg.lr)
        for _ in range(cfg.epochs):
            for idx in torch.randperm(len(x)).split(cfg.batch_size):
                _, (h, _) = lstm(x[idx])
                loss = nn.functional.mse_loss(head(h[-1])[:, 1:2], y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
    return time.perf_counter() - t0


def main() -> None:
    threads = configure_threads()
    bt = BacktestConfig(origins=20, refit_every=5)
    print(
        f"machine: {platform.platform()} · {platform.processor() or platform.machine()} · "
        f"{os.cpu_count()} CPUs · torch {torch.__version__} · {threads} torch thread(s)"
    )
    print(f"backtest: {bt.origins} origins, refit every {bt.refit_every}, horizon 1, defaults\n")
    warm = pd.read_csv(FIX / "SPY.csv", index_col="Date", parse_dates=["Date"]).astype("float64")
    walk_forward(warm, StockConfig(epochs=1), BacktestConfig(origins=3))  # imports, allocator
    rows = []
    for name in SERIES:
        frame = pd.read_csv(FIX / f"{name}.csv", index_col="Date", parse_dates=["Date"])
        frame = frame.astype("float64")
        for mode in MODES:
            cfg = StockConfig(mode=mode)
            origins = origin_rows(len(frame), cfg, bt)
            ours, plain = [], []
            for _ in range(REPEATS):  # interleaved, best of each: a shared machine is noisy
                res = walk_forward(frame, cfg, bt)
                ours.append(res.seconds)
                close = frame["Close"].to_numpy()
                plain.append(plain_pytorch_fits(close, cfg, origins, bt.refit_every))
            seconds, base = min(ours), min(plain)
            s = res.summary
            rows.append(
                {
                    "series": name,
                    "mode": mode,
                    "fits": res.fits,
                    "ours_s": round(seconds, 2),
                    "plain_torch_s": round(base, 2),
                    "ours/plain": round(seconds / base, 2),
                    "mae_ratio": round(s["mae_ratio"], 3),
                    "dm_p": round(s["dm_pvalue"], 3),
                    "coverage_80": round(s["coverage"], 2),
                }
            )
            print(pd.DataFrame(rows[-1:]).to_string(index=False, header=len(rows) == 1))
    table = pd.DataFrame(rows)
    print("\n" + table.to_string(index=False))
    hon = table[table["mode"] == "return"]["mae_ratio"]
    print(
        f"\ndefault (return) mode MAE ratio: {hon.min():.3f} .. {hon.max():.3f} "
        f"(test band 0.9 .. 1.2); level mode: "
        f"{table[table['mode'] == 'level']['mae_ratio'].min():.2f} .. "
        f"{table[table['mode'] == 'level']['mae_ratio'].max():.2f}"
    )


if __name__ == "__main__":
    main()
