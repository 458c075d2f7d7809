"""Checkpoints: a dict of configs + state_dict + scalers + provenance + history (+ the data).

Only plain containers, numbers, strings and tensors go in, so the file loads with
``torch.load(weights_only=True)``; a file carrying code is refused, and so is anything
else that is not an LSTM Lab forecaster checkpoint, each with a message saying why.

With ``include_data=True`` the series the model was trained on travels inside the file
(values as a float64 tensor, the index as int64 or strings), so a downloaded checkpoint
restores the whole run on another machine, and its fingerprint proves it is the same data.
"""

from __future__ import annotations

import io
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import Dataset, Prepared, Scaler, prepare
from core.forecast.run import ForecastRun
from core.models.recurrent import RecurrentForecaster
from core.runs.formats.common import (
    CheckpointError,
    build_checked,
    plain,
    read_dict,
    require,
    to_bytes,
    write_atomic,
)
from core.training.trainer import FitResult

FORMAT = "lstm-lab/forecaster"
VERSION = 1


# -- the data inside a checkpoint ------------------------------------------------------------
def dataset_to_dict(ds: Dataset) -> dict:
    """The frame as tensors: values (N, C) float64, index int64 (dates as ticks) or strings."""
    idx = ds.frame.index
    if isinstance(idx, pd.DatetimeIndex):
        kind, unit = "datetime", idx.unit
        index: Any = torch.from_numpy(np.asarray(idx.asi8, np.int64).copy())  # UTC ticks
        extra = {"unit": unit, "tz": str(idx.tz) if idx.tz is not None else None}
    elif pd.api.types.is_integer_dtype(idx.dtype):
        kind, extra = "int", {"range": isinstance(idx, pd.RangeIndex)}
        index = torch.from_numpy(np.asarray(idx, np.int64).copy())
    else:
        kind, extra, index = "str", {}, [str(v) for v in idx]
    return {
        "values": torch.from_numpy(ds.frame.to_numpy(np.float64).copy()),  # (N, C)
        "columns": ds.columns,
        "index": index,
        "index_kind": kind,
        "index_name": None if idx.name is None else str(idx.name),
        **extra,
    }


def dataset_from_dict(d: dict, name: str, provenance: dict) -> Dataset:
    """Inverse of :func:`dataset_to_dict`."""
    try:
        values = d["values"].numpy().astype(np.float64)
        kind = d["index_kind"]
        if kind == "datetime":
            idx = pd.DatetimeIndex(d["index"].numpy().astype(f"M8[{d['unit']}]"))
            if d.get("tz"):
                idx = idx.tz_localize("UTC").tz_convert(d["tz"])
        elif kind == "int":
            raw = d["index"].numpy()
            contiguous = len(raw) > 0 and (np.diff(raw) == 1).all() and d.get("range")
            idx = pd.RangeIndex(raw[0], raw[0] + len(raw)) if contiguous else pd.Index(raw)
        else:
            idx = pd.Index([str(v) for v in d["index"]])
        idx.name = d.get("index_name")
        frame = pd.DataFrame(values, index=idx, columns=[str(c) for c in d["columns"]])
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        raise CheckpointError(f"the data stored in the checkpoint is damaged: {e}") from None
    return Dataset(frame, name, dict(provenance))


def run_to_dict(
    run: ForecastRun,
    state_dict: dict[str, torch.Tensor] | None = None,
    weights: str = "final",
    include_data: bool = True,
) -> dict:
    """The checkpoint of a run; ``state_dict`` overrides the model's current weights
    (e.g. the best epoch's), ``weights`` names which ones they are."""
    p = run.prepared
    sd = state_dict if state_dict is not None else run.model.state_dict()
    ckpt = {
        "format": FORMAT,
        "version": VERSION,
        "weights": weights,
        "data_cfg": run.data_cfg.to_dict(),
        "model_cfg": run.model_cfg.to_dict(),
        "train_cfg": run.train_cfg.to_dict(),
        "state_dict": {k: v.detach().cpu().clone() for k, v in sd.items()},
        "feature_scaler": p.feature_scaler.to_dict(),
        "target_scaler": p.target_scaler.to_dict(),
        "dataset": plain(
            {
                "name": run.dataset.name,
                "provenance": run.dataset.provenance,
                "fingerprint": run.dataset.fingerprint(),
                "columns": run.dataset.columns,
            }
        ),
        "fit": plain(run.fit.to_dict()) if run.fit else None,
    }
    if include_data:
        ckpt["data"] = dataset_to_dict(run.dataset)
    return ckpt


def save(run: ForecastRun, path: str | os.PathLike, include_data: bool = True) -> Path:
    """Write the run's checkpoint atomically (temp file in the same folder, then rename)."""
    return write_atomic(to_bytes(run_to_dict(run, include_data=include_data)), path)


def load_dict(source: str | os.PathLike | bytes | io.IOBase) -> dict:
    """Read and validate a forecaster checkpoint dict; CheckpointError for anything else."""
    return validate(read_dict(source))


def validate(ckpt: Any) -> dict:
    """The dict itself when it is a forecaster checkpoint of this version."""
    fmt = ckpt.get("format") if isinstance(ckpt, dict) else None
    if isinstance(fmt, str) and fmt.startswith("lstm-lab/") and fmt != FORMAT:
        raise CheckpointError(
            f"this is an LSTM Lab {fmt.split('/', 1)[1]!r} checkpoint, not a forecaster: "
            "open it on the page that made it"
        )
    if fmt != FORMAT:
        raise CheckpointError(
            "this file is a PyTorch file but not an LSTM Lab forecaster "
            "checkpoint (its 'format' field is missing or different)"
        )
    return require(ckpt, VERSION, ("data_cfg", "model_cfg", "train_cfg", "state_dict"))


def model_from_dict(ckpt: dict) -> RecurrentForecaster:
    """The model its settings describe, with its weights; a different architecture is refused."""
    try:
        cfg = ModelConfig.from_dict(ckpt["model_cfg"])
    except (ValueError, TypeError) as e:
        raise CheckpointError(f"the checkpoint's model settings are invalid: {e}") from None
    return build_checked(RecurrentForecaster, cfg, ckpt["state_dict"], _describe(cfg)).eval()


def _describe(cfg: ModelConfig) -> str:
    bi = "bidirectional " if cfg.bidirectional else ""
    return (
        f"{bi}{cfg.cell.upper()} (F={cfg.input_size}, H={cfg.hidden_size}, "
        f"L={cfg.num_layers}, K={cfg.horizon})"
    )


def dataset_of(ckpt: dict) -> Dataset | None:
    """The dataset embedded in the checkpoint, or None when it was saved without it."""
    if "data" not in ckpt:
        return None
    info = _info(ckpt)
    if not isinstance(ckpt["data"], dict):
        raise CheckpointError("the data stored in the checkpoint is damaged: it is not a dict")
    return dataset_from_dict(
        ckpt["data"], str(info.get("name", "data")), _dict(info.get("provenance"))
    )


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _info(ckpt: dict) -> dict:
    """The checkpoint's dataset summary (name, provenance, fingerprint), {} when malformed."""
    return _dict(ckpt.get("dataset"))


def run_from_dict(ckpt: dict, dataset: Dataset | None = None) -> ForecastRun:
    """Rebuild a run; the dataset (given, or embedded) must have the checkpoint's fingerprint."""
    try:
        fit = FitResult.from_dict(ckpt["fit"]) if ckpt.get("fit") is not None else None
    except (ValueError, TypeError) as e:
        raise CheckpointError(f"the checkpoint's training summary is damaged: {e}") from None
    model = model_from_dict(ckpt)
    dataset = dataset if dataset is not None else dataset_of(ckpt)
    if dataset is None:
        name = str(_info(ckpt).get("name", "its data"))[:120]
        raise CheckpointError(
            f"this checkpoint was saved without its data: load {name!r} first, then import it"
        )
    want = _info(ckpt).get("fingerprint")
    if want and want != dataset.fingerprint():
        raise CheckpointError(
            "this checkpoint was trained on different data than the dataset "
            "given (fingerprints differ)"
        )
    try:
        data_cfg = DataConfig.from_dict(ckpt["data_cfg"])
        train_cfg = TrainConfig.from_dict(ckpt["train_cfg"])
        prepared = _with_scalers(prepare(dataset.frame, data_cfg), ckpt)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as e:
        if isinstance(e, CheckpointError):
            raise
        raise CheckpointError(f"the checkpoint's data settings do not fit its data: {e}") from None
    return ForecastRun(data_cfg, model.cfg, train_cfg, model, prepared, dataset, fit=fit)


def load_run(source, dataset: Dataset | None = None) -> ForecastRun:
    """Read a checkpoint file (path, bytes or stream) and rebuild its run."""
    return run_from_dict(load_dict(source), dataset)


def _with_scalers(prepared: Prepared, ckpt: dict) -> Prepared:
    """Scalers come from the checkpoint (they were fitted on the training rows then)."""
    if "feature_scaler" not in ckpt:
        return prepared
    fs = Scaler.from_dict(ckpt["feature_scaler"])
    ts = Scaler.from_dict(ckpt["target_scaler"])
    if not all(np.isfinite(a).all() for a in (fs.shift, fs.scale, ts.shift, ts.scale)):
        raise CheckpointError("the checkpoint's scaler holds NaN or infinite values")
    if (
        fs.shift.shape == prepared.feature_scaler.shift.shape
        and (abs(fs.shift - prepared.feature_scaler.shift) < 1e-9).all()
    ):
        return replace(prepared, feature_scaler=fs, target_scaler=ts)
    raise CheckpointError("the checkpoint's scaler does not match the data's training span")
