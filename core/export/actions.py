"""What the CLI and the Runs page ask for, from a run in the runs folder."""

from __future__ import annotations

from core.export import bundle as bundle_io
from core.export import compare as compare_io
from core.export import tensorboard as tb_io
from core.export.source import extras_of, forecaster, fp32_onnx, history_of
from core.export.variants import VARIANTS, convert
from core.runs.store import RunStore


def onnx_variant(
    store: RunStore, run_id: str, variant: str = "fp32", weights: str = "auto"
) -> bytes:
    run = forecaster(store, run_id, f"{variant} ONNX export", weights)
    return convert(fp32_onnx(run), variant)


def comparison(
    store: RunStore,
    run_id: str,
    variants=VARIANTS,
    repeats: int = 50,
    threads: int = 1,
    budget_s: float = 1.0,
    weights: str = "auto",
) -> tuple[dict, dict[str, bytes]]:
    """The comparison table of the run's variants, and each variant's bytes."""
    run = forecaster(store, run_id, "ONNX export", weights)
    models: dict[str, bytes] = {}
    result = compare_io.compare(
        run, fp32_onnx(run), variants, repeats, threads, budget_s, models=models
    )
    return result, models


def bundle(store: RunStore, run_id: str, variant: str = "fp32", weights: str = "auto") -> bytes:
    """The zip of model.onnx, settings.json, predict.py and README.txt."""
    run = forecaster(store, run_id, "the forecast bundle", weights)
    info = store.get(run_id)
    return bundle_io.bundle_bytes(run, fp32_onnx(run), variant, info.name, run_id)


def tensorboard_series(store: RunStore, run_id: str) -> dict:
    info = store.get(run_id)
    return tb_io.scalars(history_of(store, info), extras_of(store, info))
