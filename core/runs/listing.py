"""A run folder as listed: its meta.json read defensively (:class:`RunInfo`), never raising.

A folder whose meta.json is missing, unreadable, not JSON or of the wrong shape is listed
as "broken" with a sentence saying why (see ``core.runs.meta``), so one damaged run never
breaks the list, the saves or the evictions of the others.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.runs import meta as run_meta
from core.runs.files import folder_size

META_FORMAT = "lstm-lab/run"
META = "meta.json"


class RunError(ValueError):
    """A run cannot be found, read or changed; the message says why."""


@dataclass(frozen=True)
class RunInfo:
    """One listed run: its folder and meta.json, or why the folder is broken."""

    id: str
    path: Path
    meta: dict = field(default_factory=dict)
    size_bytes: int = 0
    broken: str | None = None  # a sentence when the folder cannot be used

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.id)

    @property
    def kind(self) -> str:
        return str(self.meta.get("kind", "?"))

    @property
    def created(self) -> float:
        return float(self.meta.get("created") or 0.0)

    @property
    def pinned(self) -> bool:
        return bool(self.meta.get("pinned"))

    @property
    def session(self) -> str | None:
        return run_meta.owner_session(self.meta)

    @property
    def shared(self) -> bool:
        """In the gallery: visible to every session, read-only (see core.runs.meta)."""
        return self.broken is None and run_meta.in_gallery(self.meta)

    def visible_to(self, session: str | None) -> bool:
        return run_meta.visible_to(self.meta, session)

    def writable_by(self, session: str | None) -> bool:
        return run_meta.writable_by(self.meta, session)

    @property
    def best_val_loss(self) -> float | None:
        v = (self.meta.get("fit") or {}).get("best_val_loss")
        return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None

    def summary(self) -> dict:
        """A flat, JSON-able row for tables and the command line."""
        m = self.meta
        mc, ds, fit = m.get("model_cfg") or {}, m.get("dataset") or {}, m.get("fit") or {}
        model = str(m.get("model") or "")  # kinds without one model_cfg (comparisons)
        if mc:
            bi = "bi-" if mc.get("bidirectional") else ""
            cell = str(mc.get("cell") or "?").upper()
            model = f"{bi}{cell} {mc.get('hidden_size')}×{mc.get('num_layers')}"
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "data": ds.get("name", ""),
            "target": (m.get("data_cfg") or {}).get("target", ""),
            "model": model,
            "epochs": m.get("n_epochs"),
            "best_val_loss": self.best_val_loss,
            "units": str(m.get("units") or "MSE, scaled"),  # of best_val_loss
            "test_mae": ((m.get("scores") or {}).get("test") or {}).get("model_mae"),
            "created": time.strftime("%Y-%m-%d %H:%M", time.localtime(self.created))
            if self.created
            else "",
            "device": (fit.get("device") or {}).get("label", ""),
            "pinned": self.pinned,
            "shared": self.shared,
            "size_kb": round(self.size_bytes / 1024, 1),
            "broken": self.broken,
        }


@dataclass(frozen=True)
class SaveResult:
    """What a save did: the new run, and the runs the limits removed to make room."""

    info: RunInfo
    evicted: list[RunInfo]
    message: str  # empty when nothing was removed


def read_info(path: Path, with_size: bool = True) -> RunInfo:
    """A run folder as listed; never raises (a bad folder is "broken", with why)."""
    if path.is_symlink():  # never followed: it could point anywhere on the server
        return RunInfo(path.name, path, {}, 0, "it is a symbolic link, which runs never are")
    size = folder_size(path) if with_size else 0
    try:
        if (path / META).is_symlink():
            return RunInfo(path.name, path, {}, size, "its meta.json is a symbolic link")
        meta = json.loads((path / META).read_text())
    except FileNotFoundError:
        return RunInfo(path.name, path, {}, size, "its meta.json is missing")
    except OSError as e:
        return RunInfo(path.name, path, {}, size, f"its meta.json is unreadable ({e.strerror})")
    except (ValueError, RecursionError) as e:
        why = f"its meta.json is not valid JSON ({str(e)[:80] or type(e).__name__})"
        return RunInfo(path.name, path, {}, size, why)
    why = run_meta.problem(meta, META_FORMAT)
    if why:  # keep only who saved it: its owner may still delete it
        owner = {"session": run_meta.owner_session(meta)} if isinstance(meta, dict) else {}
        return RunInfo(path.name, path, owner, size, f"its meta.json is damaged: {why}")
    return RunInfo(path.name, path, meta, size, None)
