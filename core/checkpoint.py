"""Checkpoints: a dict of configs + state_dict + scaler + provenance + history.

Only plain containers, numbers, strings and tensors go in, so the file loads
with ``torch.load(weights_only=True)`` and a file carrying code is refused.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import Dataset, Scaler, prepare
from core.forecast import ForecastRun
from core.models import RecurrentForecaster
from core.trainer import FitResult

FORMAT = "lstm-lab/forecaster"
VERSION = 1


class CheckpointError(ValueError):
    """The file is not a usable LSTM Lab checkpoint; the message says why."""


def _plain(obj: Any) -> Any:
    """JSON round trip: guarantees nothing but plain data reaches the file."""
    return json.loads(json.dumps(obj, default=str))


def run_to_dict(run: ForecastRun) -> dict:
    p = run.prepared
    return {
        "format": FORMAT,
        "version": VERSION,
        "data_cfg": run.data_cfg.to_dict(),
        "model_cfg": run.model_cfg.to_dict(),
        "train_cfg": run.train_cfg.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in run.model.state_dict().items()},
        "feature_scaler": p.feature_scaler.to_dict(),
        "target_scaler": p.target_scaler.to_dict(),
        "dataset": _plain(
            {
                "name": run.dataset.name,
                "provenance": run.dataset.provenance,
                "fingerprint": run.dataset.fingerprint(),
                "columns": run.dataset.columns,
            }
        ),
        "fit": _plain(run.fit.to_dict()) if run.fit else None,
    }


def save(run: ForecastRun, path: str | os.PathLike) -> Path:
    """Write atomically (temp file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pt")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(run_to_dict(run), f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_dict(source: str | os.PathLike | bytes | io.IOBase) -> dict:
    """Read and validate a checkpoint dict; CheckpointError for anything else."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        ckpt = torch.load(source, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint file at {source}") from None
    except Exception as e:  # pickle with code, truncated file, not a torch file...
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(
            "this file is not a loadable LSTM Lab checkpoint (it may be truncated, not a "
            f"PyTorch file, or contain code, which is refused): {first[:200]}"
        ) from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(
            "this file is a PyTorch file but not an LSTM Lab forecaster "
            "checkpoint (its 'format' field is missing or different)"
        )
    if ckpt.get("version") != VERSION:
        raise CheckpointError(
            f"checkpoint version {ckpt.get('version')!r} is not supported "
            f"(this LSTM Lab reads version {VERSION})"
        )
    for key in ("data_cfg", "model_cfg", "train_cfg", "state_dict"):
        if key not in ckpt:
            raise CheckpointError(f"the checkpoint lacks its {key!r} entry")
    return ckpt


def model_from_dict(ckpt: dict) -> RecurrentForecaster:
    try:
        cfg = ModelConfig.from_dict(ckpt["model_cfg"])
        model = RecurrentForecaster(cfg)
        model.load_state_dict(ckpt["state_dict"])
    except (ValueError, TypeError, RuntimeError, KeyError) as e:
        raise CheckpointError(
            f"the checkpoint's weights do not fit its model settings: "
            f"{str(e).splitlines()[0][:300]}"
        ) from None
    return model.eval()


def load_run(source, dataset: Dataset) -> ForecastRun:
    """Rebuild a run on its dataset; the dataset's fingerprint must match the checkpoint's."""
    ckpt = load_dict(source)
    model = model_from_dict(ckpt)
    want = (ckpt.get("dataset") or {}).get("fingerprint")
    if want and want != dataset.fingerprint():
        raise CheckpointError(
            "this checkpoint was trained on different data than the dataset "
            "given (fingerprints differ)"
        )
    data_cfg = DataConfig.from_dict(ckpt["data_cfg"])
    prepared = prepare(dataset.frame, data_cfg)
    prepared = _with_scalers(prepared, ckpt)
    run = ForecastRun(
        data_cfg,
        ModelConfig.from_dict(ckpt["model_cfg"]),
        TrainConfig.from_dict(ckpt["train_cfg"]),
        model,
        prepared,
        dataset,
    )
    if ckpt.get("fit"):
        run.fit = FitResult(**ckpt["fit"])
    return run


def _with_scalers(prepared, ckpt: dict):
    """Scalers come from the checkpoint (they were fitted on the training rows then)."""
    from dataclasses import replace

    if "feature_scaler" not in ckpt:
        return prepared
    fs = Scaler.from_dict(ckpt["feature_scaler"])
    ts = Scaler.from_dict(ckpt["target_scaler"])
    if (
        fs.shift.shape == prepared.feature_scaler.shift.shape
        and (abs(fs.shift - prepared.feature_scaler.shift) < 1e-9).all()
    ):
        return replace(prepared, feature_scaler=fs, target_scaler=ts)
    raise CheckpointError("the checkpoint's scaler does not match the data's training span")
