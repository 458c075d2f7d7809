"""Benchmark ``read_series_csv`` against a plain ``pandas.read_csv`` on a generated file.

    python bench/bench_csv.py                 # 1,000,000 rows x 6 numeric columns
    python bench/bench_csv.py --rows 200000 --repeat 3 --messy

Each measurement runs in a fresh process so that ``ru_maxrss`` (peak resident memory of that
process) is not polluted by the previous one. Timing runs do not trace; one extra run per case
reports the tracemalloc peak (Python + numpy allocations; pyarrow buffers are not traced).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def make_file(path: Path, rows: int, messy: bool, seed: int = 0) -> None:
    """Minute bars: Date,Open,High,Low,Close,Adj Close,Volume (ISO timestamps)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 1e-3, rows)))
    spread = np.abs(rng.normal(0, 0.2, rows))
    df = pd.DataFrame(
        {
            "Open": close + rng.normal(0, 0.1, rows),
            "High": close + spread,
            "Low": close - spread,
            "Close": close,
            "Adj Close": close * 0.98,
            "Volume": rng.integers(1_000, 5_000_000, rows),
        },
        index=pd.date_range("2000-01-03 09:30", periods=rows, freq="min", name="Date"),
    )
    if messy:  # 0.1% junk cells in Close, and the whole file newest first
        df = df.astype({"Close": object})
        junk = rng.choice(rows, size=max(1, rows // 1000), replace=False)
        df.iloc[junk, df.columns.get_loc("Close")] = "n/a"
        df = df.iloc[::-1]
    df.to_csv(path, float_format="%.6f")


def _run(kind: str, path: str, trace: bool, out: mp.Queue) -> None:
    import pandas as pd

    from core.data import read_series_csv

    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    if kind == "read_series_csv":
        df = read_series_csv(path)
    else:
        df = pd.read_csv(path, index_col="Date", parse_dates=["Date"])
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    rss_bytes = rss if sys.platform == "darwin" else rss * 1024
    out.put((seconds, peak, rss_bytes, df.shape))


def measure(kind: str, path: Path, trace: bool) -> tuple[float, int, int, tuple[int, int]]:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_run, args=(kind, str(path), trace, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="timing runs per case (best kept)")
    parser.add_argument("--messy", action="store_true", help="0.1%% junk cells, newest first")
    args = parser.parse_args()

    import numpy as np
    import pandas as pd

    print(f"machine : {platform.platform()} | {platform.processor() or platform.machine()}")
    print(f"cpus    : {os.cpu_count()} | python {platform.python_version()}")
    print(f"versions: pandas {pd.__version__}, numpy {np.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        start = time.perf_counter()
        make_file(path, args.rows, args.messy)
        size = path.stat().st_size
        print(
            f"file    : {args.rows:,} rows x 6 columns{' (messy)' if args.messy else ''}, "
            f"{size / 2**20:.1f} MiB, written in {time.perf_counter() - start:.1f} s"
        )
        rows = {}
        for kind in ("pandas.read_csv", "read_series_csv"):
            times = [measure(kind, path, trace=False) for _ in range(args.repeat)]
            best = min(times, key=lambda r: r[0])
            traced = measure(kind, path, trace=True)
            rows[kind] = (best[0], traced[1], max(t[2] for t in times), best[3])
    base = rows["pandas.read_csv"][0]
    print()
    head = f"{'case':<18}{'seconds':>9}{'x pandas':>10}{'tracemalloc MiB':>17}{'max RSS MiB':>13}"
    print(head + "  shape")
    for kind, (seconds, peak, rss, shape) in rows.items():
        print(
            f"{kind:<18}{seconds:>9.2f}{seconds / base:>10.2f}{peak / 2**20:>17.0f}"
            f"{rss / 2**20:>13.0f}  {shape}"
        )


if __name__ == "__main__":
    main()
