"""Which runs each export takes, and the clear refusal for the others."""

from __future__ import annotations

from core.forecast.run import ForecastRun
from core.models.onnx_export import export_onnx
from core.runs import registry as run_kinds
from core.runs.kinds import forecaster as forecaster_runs
from core.runs.store import RunError, RunInfo, RunStore


class ExportRefused(ValueError):
    """This run cannot be exported that way (its kind, or it lacks what is needed)."""


def forecaster(store: RunStore, run_id: str, what: str, weights: str = "auto") -> ForecastRun:
    """The saved forecaster ``run_id``, rebuilt; ExportRefused for any other kind of run."""
    info = store.get(run_id)
    kind = run_kinds.info_kind(info)
    if kind is None:
        why = info.broken or f"its kind {info.kind!r} is unknown to this LSTM Lab"
        raise ExportRefused(f"run '{info.name}' cannot be exported: {why}")
    if kind.kind != forecaster_runs.KIND:
        raise ExportRefused(
            f"run '{info.name}' is a {kind.label}: {what} is for forecasters only "
            "(export its checkpoint with --checkpoint, or its history with --tensorboard)"
        )
    try:
        return forecaster_runs.load(store, run_id, weights)
    except RunError as e:
        raise ExportRefused(str(e)) from None


def fp32_onnx(run: ForecastRun) -> bytes:
    """The run's model as FP32 ONNX bytes (ExportError when onnx is missing)."""
    return export_onnx(run.model, run.data_cfg.lookback)


def history_of(store: RunStore, info: RunInfo) -> list[dict]:
    """The run's per-epoch records; ExportRefused when it has none (e.g. a comparison)."""
    kind = run_kinds.info_kind(info)
    if kind is None:
        why = info.broken or f"its kind {info.kind!r} is unknown to this LSTM Lab"
        raise ExportRefused(f"run '{info.name}' cannot be exported: {why}")
    history = store.history(info.id)
    if not history:
        raise ExportRefused(
            f"run '{info.name}' ({kind.label}) has no per-epoch training history to show in "
            "TensorBoard"
        )
    return history


def extras_of(store: RunStore, info: RunInfo) -> dict:
    """The run's saved extras (gate recording...), {} when it has none or they are unreadable."""
    if not store.file(info, "extras.pt").is_file():
        return {}
    try:
        extras = store.read_dict(info, "extras.pt")
    except RunError:
        return {}
    return extras if isinstance(extras, dict) else {}
