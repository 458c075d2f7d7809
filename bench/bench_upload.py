"""Benchmark the upload page's server-side work on a large file, against plain pandas.

    python bench/bench_upload.py                  # 1,000,000 minute bars x 6 columns
    python bench/bench_upload.py --rows 200000 --messy

What one upload costs the server, stage by stage, exactly as ``pages/upload.py`` calls it:
sha256 of the bytes, ``read_series_csv_with_report`` with the page's limits, cleaning (forward
fill; then resampling to hourly bins), the per-column report table, the preview figure (and the
JSON the browser receives), the cleaned-CSV download and the session Dataset. The baseline is
what a plain pandas script does for the same result: ``pd.read_csv(parse_dates)``, ``ffill``,
``resample("h").last()`` and ``to_csv``, measured in the same run. Peak memory: tracemalloc
over the whole page pipeline in one extra pass (timings come from untraced passes) and the
process's max RSS. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import io
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

os.environ.setdefault("LSTMLAB_THREADS", "1")

import pandas as pd  # noqa: E402
import torch  # noqa: E402

from bench.bench_csv import make_file  # noqa: E402
from bench.common import table  # noqa: E402
from core.data import read_series_csv_with_report, to_csv_bytes  # noqa: E402
from core.data.upload import (  # noqa: E402
    MIN_LOOKBACK,
    CleanOptions,
    clean,
    column_table,
    make_dataset,
    min_rows_reason,
    rows_needed,
)
from dashboard.upload.figures import preview_figure  # noqa: E402


def page_pipeline(raw: bytes, timings: dict[str, float]) -> dict[str, int]:
    """The upload page's calls for one file; fills ``timings`` (seconds per stage)."""

    def timed(stage: str, fn):
        start = time.perf_counter()
        out = fn()
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start
        return out

    digest = timed("sha256", lambda: hashlib.sha256(raw).hexdigest())
    source = io.BytesIO(raw)
    source.name = "bench.csv"
    frame, report = timed(
        "parse (read_series_csv)",
        lambda: read_series_csv_with_report(
            source, min_rows=rows_needed(MIN_LOOKBACK), need_reason=min_rows_reason()
        ),
    )
    frame.attrs = {}
    options = CleanOptions(fill="ffill")
    cleaned, _, filled = timed("clean (ffill)", lambda: clean(frame, options))
    timed("clean (resample h + ffill)", lambda: clean(frame, CleanOptions("h", "last", "ffill")))
    timed("report table", lambda: column_table(frame, cleaned, report))
    fig = timed(
        "preview figure",
        lambda: preview_figure(cleaned, ["Close", "Volume"], "Close", filled, report.units),
    )
    spec = timed("figure JSON", lambda: fig.to_json())
    csv = timed("download CSV", lambda: to_csv_bytes(cleaned))
    timed(
        "make Dataset",
        lambda: make_dataset(cleaned, file_name="bench.csv", raw_sha256=digest, report=report,
                             options=options, target="Close", features=["Close", "Volume"]),
    )  # fmt: skip
    return {"rows": len(cleaned), "json_bytes": len(spec), "csv_bytes": len(csv)}


def pandas_baseline(path: Path, timings: dict[str, float]) -> None:
    """The same result with plain pandas (no sniffing, no report, no checks)."""
    start = time.perf_counter()
    df = pd.read_csv(path, index_col="Date", parse_dates=["Date"])
    timings["parse (read_series_csv)"] = time.perf_counter() - start
    start = time.perf_counter()
    out = df.ffill()
    timings["clean (ffill)"] = time.perf_counter() - start
    start = time.perf_counter()
    df.resample("h").last().ffill()
    timings["clean (resample h + ffill)"] = time.perf_counter() - start
    start = time.perf_counter()
    out.to_csv(lineterminator="\n").encode()
    timings["download CSV"] = time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="timing passes (best kept)")
    parser.add_argument("--messy", action="store_true", help="0.1%% junk cells, newest first")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ["LSTMLAB_THREADS"]))

    print(f"machine : {platform.platform()} | {platform.processor() or platform.machine()}")
    print(f"cpus    : {os.cpu_count()} | torch threads {torch.get_num_threads()} | "
          f"python {platform.python_version()}, pandas {pd.__version__}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        make_file(path, args.rows, args.messy)
        raw = path.read_bytes()
        print(f"file    : {args.rows:,} rows x 6 columns{' (messy)' if args.messy else ''}, "
              f"{len(raw) / 2**20:.1f} MiB")  # fmt: skip
        ours: list[dict[str, float]] = []
        base: list[dict[str, float]] = []
        for _ in range(args.repeat):
            t: dict[str, float] = {}
            sizes = page_pipeline(raw, t)
            ours.append(t)
            b: dict[str, float] = {}
            pandas_baseline(path, b)
            base.append(b)
        tracemalloc.start()
        page_pipeline(raw, {})
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    best = {k: min(t[k] for t in ours) for k in ours[0]}
    best_base = {k: min(t[k] for t in base) for k in base[0]}
    rows = []
    for stage, seconds in best.items():
        ref = best_base.get(stage)
        rows.append([stage, seconds, ref if ref is not None else "-",
                     f"{seconds / ref:.2f}" if ref else "-"])  # fmt: skip
    total, total_base = sum(best.values()), sum(best_base.values())
    rows.append(["total", total, total_base, f"{total / total_base:.2f}"])
    print()
    print(table(["stage", "seconds", "plain pandas s", "x pandas"], rows))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin"
                                                                else 1024)  # fmt: skip
    print(
        f"\nrows kept {sizes['rows']:,} | preview JSON {sizes['json_bytes'] / 2**10:,.0f} KiB | "
        f"cleaned CSV {sizes['csv_bytes'] / 2**20:,.1f} MiB | tracemalloc peak (page pipeline) "
        f"{peak / 2**20:,.0f} MiB | max RSS {rss / 2**20:,.0f} MiB"
    )


if __name__ == "__main__":
    main()
