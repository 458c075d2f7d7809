"""The LSTM against the baselines that win competitions, on the bundled series.

    LSTMLAB_THREADS=1 python bench/bench_baselines.py [--epochs 30] [--only airline]

For each series (airline passengers monthly, sunspots monthly, MSFT daily closes, a noisy
sine) it trains the lab's LSTM with the Train page's split (70/15/15), then scores it and
naive, seasonal naive, drift, AutoETS, AutoARIMA and AutoTheta on the same test windows
(:func:`core.forecast.comparison.compare_run`). Printed per method: test MASE (seasonal
naive in-sample denominator on the training rows), MAE relative to the best baseline, fit
and forecast seconds (the LSTM: its training), and the measured coverage of the 80 % and
95 % intervals (the LSTM's are split-conformal from its validation errors). The baseline
for the timing column is the naive forecast measured in the same run.
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
from core.config import DataConfig, ModelConfig, TrainConfig  # noqa: E402
from core.data import load_sample, synthetic  # noqa: E402
from core.forecast.baselines import warm_up  # noqa: E402
from core.forecast.comparison import compare_run  # noqa: E402
from core.forecast.run import fit_forecaster  # noqa: E402
from core.training.device import configure_threads  # noqa: E402

SERIES = {  # name -> (dataset factory, target, lookback, normalize)
    "airline": (lambda: load_sample("airline"), "Passengers", 24, "ratio"),
    "sunspots": (lambda: load_sample("sunspots"), "Sunspots", 24, "level"),
    "MSFT": (lambda: load_sample("MSFT", last=2500), "Close", 30, "ratio"),
    "sine": (lambda: synthetic("noisy_sine", n=1000, seed=0), "value", 60, "level"),
}


def bench(name: str, epochs: int) -> list[list]:
    make, target, lookback, normalize = SERIES[name]
    ds = make()
    cfg = DataConfig(target=target, lookback=lookback, normalize=normalize)
    run = fit_forecaster(ds, cfg, ModelConfig(hidden_size=32), TrainConfig(epochs=epochs, seed=0))
    t0 = time.perf_counter()
    rep = compare_run(run)
    total = time.perf_counter() - t0
    test = rep["spans"]["test"]["scores"]
    cov80, cov95 = rep["coverage"].get("80", {}), rep["coverage"].get("95", {})
    rows = []
    for method, s in test.items():
        sec = rep["seconds"].get(method, {})
        if method == "LSTM":
            fit, fc = run.fit.seconds, None
            key = "LSTM (conformal)"
        else:
            fit, fc, key = sec.get("fit_s"), sec.get("forecast_s"), method
        rows.append([
            name if not rows else "", method, s["mase"], s["rel_mae"], fit, fc,
            cov80.get(key), cov95.get(key),
        ])  # fmt: skip
    for method, why in rep["failures"].items():
        rows.append(["", method, "failed", why[:40], None, None, None, None])
    n = rep["spans"]["test"]["n_origins"]
    print(f"{name}: m={rep['season_length']} ({rep['season_source']}), {n} test origins, "
          f"{len(ds.frame)} rows, normalize={normalize}, T={lookback}, {epochs} epochs; "
          f"comparison {total:.1f} s; best on test: {rep['spans']['test']['best']}")  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--only", choices=list(SERIES), default=None)
    args = ap.parse_args()
    configure_threads(None)
    t0 = time.perf_counter()
    warm_up()  # imports and first calls, outside every timed column
    print(f"statsforecast warm-up: {time.perf_counter() - t0:.1f} s")
    rows = []
    for name in [args.only] if args.only else SERIES:
        rows += bench(name, args.epochs)
    print()
    print(machine(), f"· load average {os.getloadavg()[0]:.1f}")
    print()
    headers = ["series", "method", "test MASE", "MAE / best baseline", "fit s", "forecast s",
               "80% covered", "95% covered"]  # fmt: skip
    print(table(headers, [["–" if c is None else c for c in r] for r in rows]))


if __name__ == "__main__":
    main()
