"""The variants of one run side by side: size, latency, agreement with PyTorch, test MAE.

Latency is per window, on ONNX Runtime's CPU provider with fixed thread counts: a few
warm-up calls, then the median of ``repeats`` timed calls, divided by the batch size.
PyTorch eager (fp32) is measured the same way in the same call, as the baseline.
Differences and MAE are in the data's units, on the run's test windows (validation when the
test span is empty), first horizon step for MAE exactly as ``ForecastRun.scores``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from core.export.variants import VARIANTS, convert, recurrent_quantized, session
from core.forecast.metrics import mae
from core.forecast.run import ForecastRun

BATCHES = (1, 64)
COLUMNS = (
    ("variant", "variant", "{}"),
    ("bytes", "size KB", "{:.1f}"),
    ("ms_per_window_b1", "ms/window b1", "{:.4f}"),
    ("ms_per_window_b64", "ms/window b64", "{:.4f}"),
    ("speed_vs_fp32_b1", "vs fp32 b1", "{:.2f}x"),
    ("speed_vs_fp32_b64", "vs fp32 b64", "{:.2f}x"),
    ("max_diff", "max |Δ| vs torch", "{:.3g}"),
    ("mean_diff", "mean |Δ| vs torch", "{:.3g}"),
    ("test_mae", "test MAE", "{:.5g}"),
)


def timed(fn: Callable[[], object], repeats: int, warmup: int = 3, budget_s: float = 1.0) -> float:
    """Median seconds of one call: ``warmup`` untimed calls, then up to ``repeats`` timed ones
    (fewer when they would take longer than ``budget_s``, but at least 3)."""
    for _ in range(warmup):
        fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < repeats and (len(times) < 3 or time.perf_counter() - start < budget_s):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _batch(x: np.ndarray, n: int) -> np.ndarray:
    """n windows from x (repeated when it has fewer)."""
    reps = -(-n // len(x))
    return np.ascontiguousarray(np.concatenate([x] * reps)[:n])


def _span(run: ForecastRun) -> str:
    return "test" if len(run.prepared.test) else "val"


def compare(
    run: ForecastRun,
    fp32: bytes,
    variants: Sequence[str] = VARIANTS,
    repeats: int = 50,
    threads: int = 1,
    budget_s: float = 1.0,
    models: dict[str, bytes] | None = None,
) -> dict:
    """Rows for PyTorch eager and each variant; ``models`` gets each variant's bytes."""
    span = _span(run)
    p = run.prepared
    w = p.span(span)
    if len(w) == 0:
        raise ValueError("the run has no test or validation windows to compare the variants on")
    truth = p.target[w.start]
    model = run.model.cpu().eval()
    with torch.no_grad():
        ref_scaled = model(torch.from_numpy(w.x)).numpy()
    ref = p.to_units(ref_scaled, span)
    inputs = {b: _batch(w.x, b) for b in BATCHES}
    torch_threads = torch.get_num_threads()
    if threads != torch_threads:  # process-wide: callers in a server pass torch's own count
        torch.set_num_threads(threads)
    try:
        rows = [_torch_row(run, inputs, ref, truth, repeats, budget_s)]
    finally:
        if threads != torch_threads:
            torch.set_num_threads(torch_threads)
    for name in variants:
        data = convert(fp32, name)
        if models is not None:
            models[name] = data
        sess = session(data, threads)
        yhat = p.to_units(sess.run(["y"], {"x": w.x})[0], span)
        diff = np.abs(yhat - ref)
        row = {
            "variant": f"onnx {name}",
            "bytes": len(data),
            "max_diff": float(diff.max()),
            "mean_diff": float(diff.mean()),
            "test_mae": mae(truth, yhat[:, 0]),
            "recurrent_quantized": recurrent_quantized(data) if name == "int8" else None,
        }
        for b, x in inputs.items():
            sec = timed(lambda x=x, s=sess: s.run(["y"], {"x": x}), repeats, budget_s=budget_s)
            row[f"ms_per_window_b{b}"] = 1000 * sec / b
        rows.append(row)
    base = next((r for r in rows if r["variant"] == "onnx fp32"), rows[0])
    for r in rows:
        for b in BATCHES:
            r[f"speed_vs_fp32_b{b}"] = base[f"ms_per_window_b{b}"] / r[f"ms_per_window_b{b}"]
    return {
        "span": span,
        "windows": len(w),
        "units": f"the units of '{run.data_cfg.target}'",
        "threads": threads,
        "repeats": repeats,
        "rows": rows,
    }


def _torch_row(run, inputs, ref, truth, repeats, budget_s) -> dict:
    params = sum(t.numel() * t.element_size() for t in run.model.state_dict().values())
    row = {
        "variant": "pytorch eager",
        "bytes": params,  # the weights only: the checkpoint file also holds the data
        "max_diff": 0.0,
        "mean_diff": 0.0,
        "test_mae": mae(truth, ref[:, 0]),
        "recurrent_quantized": None,
    }
    for b, x in inputs.items():
        t = torch.from_numpy(x)

        def call(t=t):
            with torch.no_grad():
                run.model(t)

        row[f"ms_per_window_b{b}"] = 1000 * timed(call, repeats, budget_s=budget_s) / b
    return row


def table(result: dict) -> str:
    """The rows as a fixed-width text table, with a note on what was measured."""
    head = [title for _, title, _ in COLUMNS]
    body = []
    for r in result["rows"]:
        cells = []
        for key, _, fmt in COLUMNS:
            v = r[key] / 1024 if key == "bytes" else r[key]
            cells.append(fmt.format(v))
        body.append(cells)
    widths = [max(len(c) for c in col) for col in zip(head, *body, strict=True)]
    lines = [
        "  ".join(c.rjust(wd) for c, wd in zip(row, widths, strict=True)) for row in [head, *body]
    ]
    lines.insert(1, "  ".join("-" * wd for wd in widths))
    notes = [
        f"{result['windows']} {result['span']} windows; differences and MAE in "
        f"{result['units']}; latency: median of up to {result['repeats']} calls after warm-up, "
        f"{result['threads']} thread(s), CPU; 'vs fp32' > 1 is faster than ONNX fp32.",
        "pytorch eager size = its weights in memory (the checkpoint file also holds the data).",
    ]
    q = next((r for r in result["rows"] if r["variant"] == "onnx int8"), None)
    if q is not None and q["recurrent_quantized"] is False:
        notes.append("int8: this cell has no dynamic-quantized operator; only the head is int8.")
    if any(r["variant"] == "onnx fp16" for r in result["rows"]):
        notes.append(
            "fp16: weights stored as float16; ONNX Runtime's CPU provider has no float16 "
            "LSTM/Gemm kernels, so it casts back and computes in float32 (not faster on a CPU)."
        )
    return "\n".join(lines + notes)
