"""The Export tab's deployment part: int8/fp16 ONNX with a comparison table, the forecast
bundle (ONNX + settings.json + predict.py) and TensorBoard logs, each built on a click.

Each build runs on the click (in the script, under a spinner) and is bounded: the table
times each variant for at most ``BUDGET_S`` seconds per batch size; the bundle and the
TensorBoard logs only write files.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
import torch

from core.export import actions
from core.export.compare import COLUMNS
from core.export.source import ExportRefused
from core.models.onnx_export import ExportError
from core.runs.store import RunError, RunInfo, RunStore
from dashboard.common.safe_text import md_escape
from dashboard.runs.kept import keep, kept, offer

TABLE_KEY = "_runs_export_table"  # {"id", "result", "models"}
BUNDLE_KEY = "_runs_export_bundle"  # {"id", "variant", "bytes"}
TB_KEY = "_runs_export_tb"  # {"id", "bytes", "tags"}
BUDGET_S = 0.4
REPEATS = 30


def _attempt(fn, *args):
    """fn(*args), or None after showing why it could not run (nothing is kept)."""
    try:
        return fn(*args)
    except (ExportError, ExportRefused, RunError, OSError, ValueError) as e:
        st.error(md_escape(e), icon=":material/error:")
        return None


def _frame(result: dict) -> pd.DataFrame:
    rows = []
    for r in result["rows"]:
        row = {title: r[key] for key, title, _ in COLUMNS}
        row["size KB"] = r["bytes"] / 1024
        rows.append(row)
    return pd.DataFrame(rows)


def quantized(store: RunStore, info: RunInfo, slug: str) -> None:
    """Build fp32/int8/fp16, show the comparison table, offer each file."""
    st.markdown(
        "**Smaller models** · int8 (ONNX Runtime dynamic quantization: the LSTM becomes "
        "`DynamicQuantizeLSTM`) and fp16 weights, measured against fp32 and PyTorch on this "
        "run's test windows."
    )
    if st.button("Compare fp32 / int8 / fp16", key="runs-quant-build", icon=":material/speed:"):
        with st.spinner(
            f"Quantizing and timing (each variant at most {BUDGET_S:g} s per batch size)…"
        ):
            # torch's own thread count for both: setting it would change every job's
            got = _attempt(actions.comparison, store, info.id, ("fp32", "int8", "fp16"),
                           REPEATS, torch.get_num_threads(), BUDGET_S)  # fmt: skip
        if got is not None:
            keep(TABLE_KEY, info.id, result=got[0], models=got[1])
    built = kept(TABLE_KEY, info.id)
    if built is None:
        return
    result = built["result"]
    st.dataframe(
        _frame(result),
        hide_index=True,
        width="stretch",
        column_config={
            "size KB": st.column_config.NumberColumn(format="%.1f"),
            "ms/window b1": st.column_config.NumberColumn(format="%.4f"),
            "ms/window b64": st.column_config.NumberColumn(format="%.4f"),
            "vs fp32 b1": st.column_config.NumberColumn(
                format="%.2fx", help="> 1: faster than ONNX fp32 at batch 1"
            ),
            "vs fp32 b64": st.column_config.NumberColumn(format="%.2fx"),
            "max |Δ| vs torch": st.column_config.NumberColumn(format="%.3g"),
            "mean |Δ| vs torch": st.column_config.NumberColumn(format="%.3g"),
            "test MAE": st.column_config.NumberColumn(format="%.5g"),
        },
        key="runs-quant-table",
    )
    st.caption(
        md_escape(
            f"{result['windows']} {result['span']} windows; differences and MAE in "
            f"{result['units']}. Latency per window on this server's CPU, ONNX Runtime with "
            f"{result['threads']} thread(s) like PyTorch, median after warm-up: small models "
            "can get slower when quantized. fp16 halves the weights but a CPU computes in "
            "float32 (casts), so it is not faster here. PyTorch size = its weights in memory."
        )
    )
    cols = st.columns(3)
    for col, (name, data) in zip(cols, built["models"].items(), strict=False):
        offer(
            f"ONNX {name} ({len(data) / 1024:.1f} KB)",
            data,
            f"{slug}.{name}.onnx",
            "application/octet-stream",
            key=f"runs-dl-onnx-{name}",
            where=col,
        )


def bundle(store: RunStore, info: RunInfo, slug: str) -> None:
    st.markdown(
        "**Forecast bundle** · a zip with the model, `settings.json` (scalers, columns, "
        "lookback, horizon, mode) and `predict.py`: `python predict.py series.csv` prints the "
        "next values with only numpy, pandas and onnxruntime."
    )
    c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
    variant = c1.selectbox("Model in the bundle", ["fp32", "int8"], key="runs-bundle-variant")
    if c2.button("Build the bundle", key="runs-bundle-build", icon=":material/package_2:"):
        with st.spinner("Building the bundle…"):
            data = _attempt(actions.bundle, store, info.id, variant)
        if data is not None:
            keep(BUNDLE_KEY, info.id, variant=variant, bytes=data)
    built = kept(BUNDLE_KEY, info.id)
    if built is not None:
        offer(
            f"Bundle, {built['variant']} (.zip, {len(built['bytes']) / 1024:.0f} KB)",
            built["bytes"],
            f"{slug}.{built['variant']}.bundle.zip",
            "application/zip",
            key="runs-dl-bundle",
        )


def tensorboard(store: RunStore, info: RunInfo, slug: str) -> None:
    """Any run with a history: its event files, zipped."""
    st.markdown(
        "**TensorBoard** · losses, learning rate, gradient norm per epoch (and the gate trend "
        "of a forecaster's probe window) as event files: unzip, then "
        "`tensorboard --logdir <folder>`."
    )
    if st.button("Build TensorBoard logs", key="runs-tb-build", icon=":material/monitoring:"):
        from core.export.tensorboard import zip_bytes

        series = _attempt(actions.tensorboard_series, store, info.id)
        data = _attempt(zip_bytes, series, slug) if series is not None else None
        if data is not None:
            keep(TB_KEY, info.id, bytes=data, tags=sorted(series))
    built = kept(TB_KEY, info.id)
    if built is not None:
        offer(
            "TensorBoard logs (.zip)",
            built["bytes"],
            f"{slug}.tensorboard.zip",
            "application/zip",
            key="runs-dl-tb",
        )
        st.caption(md_escape("Scalars: " + ", ".join(built["tags"])))


def section(store: RunStore, info: RunInfo, slug: str, forecaster: bool) -> None:
    st.divider()
    if forecaster:
        quantized(store, info, slug)
        bundle(store, info, slug)
    tensorboard(store, info, slug)
