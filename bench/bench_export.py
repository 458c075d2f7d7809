"""ONNX fp32 / int8 / fp16 against PyTorch eager: size, latency per window, accuracy.

    LSTMLAB_THREADS=1 python bench/bench_export.py [--repeats 50] [--large-epochs 5]

Two runs: the quick demo preset (LSTM 32x1, 15 epochs) on the bundled MSFT sample as the
Home page trains it (lookback 30, ratio mode), and a larger LSTM (hidden 256) on the same
data. Each row is measured in the same process by ``core.export.compare.compare`` (ONNX
Runtime CPU, fixed threads, warm-up, median of repeats); the baseline is PyTorch eager on
the same windows, so "vs torch" > 1 means faster than PyTorch.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine, table  # noqa: E402
from core.config import DataConfig  # noqa: E402
from core.data import load_sample  # noqa: E402
from core.export.compare import compare  # noqa: E402
from core.export.source import fp32_onnx  # noqa: E402
from core.forecast.run import fit_forecaster  # noqa: E402
from core.training.device import configure_threads  # noqa: E402
from core.training.presets import PRESETS  # noqa: E402


def bench(name: str, run, repeats: int, threads: int) -> None:
    result = compare(run, fp32_onnx(run), repeats=repeats, threads=threads, budget_s=5.0)
    torch_row = result["rows"][0]
    rows = []
    for r in result["rows"]:
        rows.append([
            r["variant"],
            f"{r['bytes'] / 1024:.1f}",
            f"{r['ms_per_window_b1']:.4f}",
            f"{r['ms_per_window_b64']:.4f}",
            f"{torch_row['ms_per_window_b1'] / r['ms_per_window_b1']:.2f}x",
            f"{torch_row['ms_per_window_b64'] / r['ms_per_window_b64']:.2f}x",
            f"{r['max_diff']:.3g}",
            f"{r['mean_diff']:.3g}",
            f"{r['test_mae']:.4f}",
        ])  # fmt: skip
    print(f"\n### {name}: {run.n_params:,} parameters, {result['windows']} test windows, "
          f"MAE and differences in USD\n")  # fmt: skip
    print(table(["variant", "size KB", "ms/window b1", "ms/window b64", "vs torch b1",
                 "vs torch b64", "max |Δ|", "mean |Δ|", "test MAE"], rows))  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1, help="torch and ONNX Runtime threads")
    ap.add_argument("--large-epochs", type=int, default=5)
    args = ap.parse_args()
    configure_threads(args.threads)
    print(machine())
    print("load average at start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    data = load_sample("MSFT", last=2500)  # the Home page's offline default
    data_cfg = DataConfig(target="Close", lookback=30, horizon=1, normalize="ratio")
    preset = PRESETS["quick demo"]
    for name, model_cfg, train_cfg in (
        ("quick demo (LSTM 32x1, 15 epochs)", preset["model"], preset["train"]),
        (
            f"larger (LSTM 256x1, {args.large_epochs} epochs)",
            preset["model"].replace(hidden_size=256),
            preset["train"].replace(epochs=args.large_epochs),
        ),
    ):
        t0 = time.perf_counter()
        run = fit_forecaster(data, data_cfg, model_cfg, train_cfg)
        print(f"\n(trained in {time.perf_counter() - t0:.0f} s)")
        bench(name, run, args.repeats, args.threads)
        print("load average now: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
