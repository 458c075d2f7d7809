"""What goes into a run folder, for any kind: plain-data conversion, strict JSON, sizes,
and the training callback that keeps the best and last weights.

Everything written here loads back with ``json`` or ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.runs.formats.common import write_atomic
from core.training.trainer import Callback


def json_default(obj: Any) -> Any:
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, (np.ndarray, torch.Tensor)):
        return obj.tolist()
    return str(obj)


def clean_json(obj: Any) -> Any:
    """NaN and inf become null: meta.json stays strict JSON for any reader."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean_json(v) for v in obj]
    return obj


def dumps(obj: Any) -> str:
    return json.dumps(clean_json(json.loads(json.dumps(obj, default=json_default))), indent=1)


def write_text(path: Path, text: str) -> None:
    write_atomic(text.encode(), path)


def folder_size(path: Path) -> int:
    """Bytes of the files in a folder; symbolic links are counted as links, never followed."""
    total = 0
    for folder, _, files in os.walk(path, followlinks=False):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(folder, name)).st_size
    return total


def to_plain(obj: Any) -> Any:
    """Extras as weights_only-loadable data: numpy arrays are tagged so they come back as
    numpy; anything else that is not plain data or a tensor is dropped (returns None)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().clone()
    if isinstance(obj, np.ndarray) and obj.dtype != object:
        return {"__ndarray__": torch.from_numpy(np.ascontiguousarray(obj).copy())}
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, dict):
        out = {str(k): to_plain(v) for k, v in obj.items()}
        return {k: v for k, v in out.items() if v is not None or obj.get(k) is None}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    return None


def from_plain(obj: Any) -> Any:
    """Inverse of :func:`to_plain`."""
    if isinstance(obj, dict):
        if set(obj) == {"__ndarray__"}:
            return obj["__ndarray__"].numpy()
        return {k: from_plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [from_plain(v) for v in obj]
    return obj


def same_weights(a: dict[str, torch.Tensor] | None, b: dict[str, torch.Tensor] | None) -> bool:
    if a is None or b is None or a.keys() != b.keys():
        return False
    return all(torch.equal(a[k].cpu(), b[k].cpu()) for k in a)


class CheckpointKeeper(Callback):
    """Keeps copies of the weights of the best and of the last completed epoch.

    Copies stay on the training device (a clone there is cheap; the save moves them to the
    CPU once). The last epoch is copied only with early stopping: otherwise the trainer
    ends on the last completed epoch's weights anyway (also after a stop or a divergence).
    """

    def __init__(self) -> None:
        self.best: dict[str, torch.Tensor] | None = None
        self.last: dict[str, torch.Tensor] | None = None

    def on_epoch_end(self, trainer, record: dict) -> None:
        is_best = "best" in record.get("events", [])
        if not (is_best or trainer.cfg.early_stopping):
            return
        state = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
        if trainer.cfg.early_stopping:
            self.last = state
        if is_best:
            self.best = state


def mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
