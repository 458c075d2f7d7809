"""Runs that last: every trained run as a folder on disk, listed, reopened, evicted.

Layout of the runs folder (``$LSTMLAB_RUNS_DIR``, default ``<project>/runs``)::

    <id>/meta.json      name, kind, configs, dataset provenance + fingerprint, scores,
                        timings, device, best validation loss, created, pinned, session
    <id>/history.json   one record per epoch
    <id>/best.pt        checkpoint at the best validation epoch (weights_only-loadable,
    <id>/last.pt        with the data inside) and at the last completed epoch
    <id>/extras.pt      run.extras (e.g. gate snapshots), plain data and tensors only
    <id>/payload.pt     other kinds (text, sentiment, comparison): their dict payload
                        (for a registered kind, its own checkpoint file: see core.runs.registry)
    evictions.jsonl     which runs the limits removed, and why

A run is written into ``.tmp-<id>`` and renamed to ``<id>`` when complete, so a crash
never leaves a half-written run in the list; folders starting with "." are never listed.
Renames of meta.json go through a temp file and ``os.replace``. Saves, renames, deletes
and evictions hold a lock (a thread lock plus ``flock`` on ``.lock`` where available), so
several threads or processes can write to one folder.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from core.forecast.run import ForecastRun
from core.runs import meta as run_meta
from core.runs.files import (
    CheckpointKeeper,
    clean_json,
    dataset_meta,
    default_name,
    dumps,
    folder_size,
    from_plain,
    mtime,
    pick_checkpoints,
    scores,
    to_plain,
    write_text,
)
from core.runs.formats import forecaster as ckpt_io

try:  # POSIX: a lock that also holds between processes (the CLI, a second server)
    import fcntl
except ImportError:  # pragma: no cover - Windows: the thread lock alone
    fcntl = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parent.parent
ENV_DIR = "LSTMLAB_RUNS_DIR"
ENV_MAX_MB = "LSTMLAB_RUNS_MAX_MB"
ENV_PER_SESSION = "LSTMLAB_RUNS_PER_SESSION"

META_FORMAT = "lstm-lab/run"
META = "meta.json"
EVICTIONS = "evictions.jsonl"
STALE_TMP_S = 3600.0  # a .tmp-/.trash- folder this old belongs to a crashed writer
_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


class RunError(ValueError):
    """A run cannot be found, read or changed; the message says why."""


@dataclass(frozen=True)
class Limits:
    """Caps on what the runs folder keeps; the oldest unpinned runs go first."""

    max_bytes: int = 500 * 2**20  # the whole folder
    per_session: int = 20  # runs saved by one browser session

    @classmethod
    def from_env(cls) -> Limits:
        """``$LSTMLAB_RUNS_MAX_MB`` (default 500) and ``$LSTMLAB_RUNS_PER_SESSION`` (20)."""
        raw_mb = os.environ.get(ENV_MAX_MB, "500").strip()
        raw_n = os.environ.get(ENV_PER_SESSION, "20").strip()
        try:
            mb = float(raw_mb)
        except ValueError:
            mb = math.nan
        if not (math.isfinite(mb) and mb > 0):
            raise ValueError(f"{ENV_MAX_MB} must be a number of MB > 0, got {raw_mb!r}")
        if not raw_n.isdigit() or int(raw_n) < 1:
            raise ValueError(f"{ENV_PER_SESSION} must be an integer >= 1, got {raw_n!r}")
        return cls(int(mb * 2**20), int(raw_n))


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
            model = (
                f"{bi}{mc.get('cell', '?').upper()} {mc.get('hidden_size')}×{mc.get('num_layers')}"
            )
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


# -- helpers ---------------------------------------------------------------------------------


# -- the store ---------------------------------------------------------------------------------
class RunStore:
    """A folder of runs. Every method is safe to call from several threads at once."""

    def __init__(self, root: str | os.PathLike, limits: Limits | None = None):
        self.root = Path(root).expanduser().resolve()
        self.limits = limits or Limits()

    @classmethod
    def default(cls) -> RunStore:
        """``$LSTMLAB_RUNS_DIR`` or ``<project>/runs``, with limits from the environment."""
        return cls(os.environ.get(ENV_DIR) or ROOT / "runs", Limits.from_env())

    # -- locking ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with _THREAD_LOCKS_GUARD:
            tlock = _THREAD_LOCKS.setdefault(str(self.root), threading.Lock())
        with tlock, open(self.root / ".lock", "a+") as f:
            if fcntl is not None:
                fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fcntl is not None:
                    fcntl.flock(f, fcntl.LOCK_UN)

    # -- reading -----------------------------------------------------------------------------
    def _info(self, path: Path, with_size: bool = True) -> RunInfo:
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

    def list(self, include_broken: bool = True, session: str | None = None) -> list[RunInfo]:
        """Runs, newest first; a broken folder is listed with the reason, never raised.
        ``session``: only the runs that browser session may see (None: every run)."""
        if not self.root.is_dir():
            return []
        infos = [
            self._info(p)
            for p in self.root.iterdir()
            if not p.name.startswith(".") and (p.is_symlink() or p.is_dir())
        ]
        infos = [i for i in infos if (include_broken or i.broken is None) and i.visible_to(session)]
        return sorted(infos, key=lambda i: i.created or mtime(i.path), reverse=True)

    def get(self, run_id: str, session: str | None = None, write: bool = False) -> RunInfo:
        """A run; with ``session``, only one that session may see (``write``: change)."""
        path = self._path(run_id)
        if not (path.is_symlink() or path.is_dir()):
            raise RunError(f"no run {run_id!r} (it may have been deleted)")
        info = self._info(path)
        if not info.visible_to(session):
            raise RunError(f"no run {run_id!r} (it may have been deleted)")
        if write and not info.writable_by(session):
            raise RunError(f"'{info.name}' is shared with every session: it is read-only here")
        return info

    def _path(self, run_id: str) -> Path:
        bad = not isinstance(run_id, str) or not run_id or run_id.startswith(".")
        if bad or any(c in run_id for c in "/\\\0"):
            raise RunError(f"{run_id!r} is not a run id")
        return self.root / run_id

    def usage(self) -> dict:
        runs = self.list()
        return {
            "root": str(self.root),
            "runs": len(runs),
            "bytes": sum(r.size_bytes for r in runs),
            "max_bytes": self.limits.max_bytes,
            "per_session": self.limits.per_session,
        }

    # -- writing -------------------------------------------------------------------------------
    def _new_id(self) -> str:
        return time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]

    def _commit(
        self, meta: dict, write_files: Callable[[Path], dict | None], session: str | None
    ) -> SaveResult:
        """Write into .tmp-<id>, then rename into place and apply the limits, under the lock."""
        run_id = self._new_id()
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".tmp-{run_id}"
        tmp.mkdir()
        try:
            meta = {"format": META_FORMAT, "id": run_id, "created": time.time(), **meta}
            meta["session"] = session
            meta.update(write_files(tmp) or {})
            write_text(tmp / META, dumps(meta))  # last: a folder with meta.json is complete
            with self._lock():
                os.rename(tmp, self.root / run_id)
                try:
                    evicted = self._enforce_limits(keep=run_id, session=session)
                except BaseException:  # never keep a run the limits could not make room for
                    self._delete_locked(self.root / run_id)
                    raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._sweep_stale()
        info = self.get(run_id)
        return SaveResult(info, evicted, self._eviction_message(evicted, session))

    def save(
        self,
        run: ForecastRun,
        name: str | None = None,
        session: str | None = None,
        pinned: bool = False,
        keeper: CheckpointKeeper | None = None,
        origin: str = "trained",
    ) -> SaveResult:
        """Save a trained forecaster: meta, history, best and last checkpoints, extras."""
        history = list(run.fit.history) if run.fit else []
        fit = run.fit.to_dict() if run.fit else {}
        fit.pop("history", None)
        ckpts, weights = pick_checkpoints(run, keeper)
        meta = {
            "name": name or default_name(run),
            "kind": "forecaster",
            "origin": origin,
            "pinned": pinned,
            "weights": weights,
            "checkpoints": [k for k, v in ckpts.items() if v is not None],
            "data_cfg": run.data_cfg.to_dict(),
            "model_cfg": run.model_cfg.to_dict(),
            "train_cfg": run.train_cfg.to_dict(),
            "dataset": dataset_meta(run),
            "fit": fit,
            "n_epochs": len(history),
            "n_params": run.n_params,
            "scores": scores(run),
            "extras_keys": sorted(run.extras) if run.extras else [],
        }

        def write_files(tmp: Path) -> dict:
            t0 = time.perf_counter()
            write_text(tmp / "history.json", dumps(history))
            for label, sd in ckpts.items():
                if sd is not None:
                    data = ckpt_io.to_bytes(ckpt_io.run_to_dict(run, sd, weights=label))
                    ckpt_io.write_atomic(data, tmp / f"{label}.pt")
            extras = {k: v for k, v in run.extras.items() if k != "saved_run_id"}
            if extras:
                ckpt_io.write_atomic(ckpt_io.to_bytes(to_plain(extras)), tmp / "extras.pt")
            return {"save_seconds": time.perf_counter() - t0}

        return self._commit(meta, write_files, session)

    def save_record(
        self,
        kind: str,
        name: str,
        summary: dict,
        payload: dict | None = None,
        session: str | None = None,
        pinned: bool = False,
        history: list[dict] | None = None,
    ) -> SaveResult:
        """Any other kind of run (text model, sentiment model, comparison): a JSON summary
        in meta.json, a dict payload of plain data and tensors in payload.pt and, when
        given, the per-record history in history.json."""
        if kind == "forecaster":
            raise RunError("forecasters are saved with RunStore.save(run)")
        meta = {"name": name, "kind": kind, "pinned": pinned, **clean_json(summary)}

        def write_files(tmp: Path) -> dict:
            t0 = time.perf_counter()
            if history is not None:
                write_text(tmp / "history.json", dumps(history))
            if payload is not None:
                ckpt_io.write_atomic(ckpt_io.to_bytes(to_plain(payload)), tmp / "payload.pt")
            return {"save_seconds": time.perf_counter() - t0}

        return self._commit(meta, write_files, session)

    def _update_meta(self, run_id: str, session: str | None, **changes: Any) -> RunInfo:
        with self._lock():
            info = self.get(run_id, session, write=True)
            if info.broken:
                raise RunError(f"run {run_id!r} cannot be changed: {info.broken}")
            write_text(info.path / META, dumps({**info.meta, **changes}))
        return self.get(run_id)

    def rename(self, run_id: str, name: str, session: str | None = None) -> RunInfo:
        """``session`` (here and below): the browser session asking; None: the operator."""
        name = " ".join(str(name).split())
        if not name:
            raise RunError("a run name cannot be empty")
        if len(name) > 120:
            raise RunError(f"a run name must be at most 120 characters, got {len(name)}")
        return self._update_meta(run_id, session, name=name)

    def set_pinned(self, run_id: str, pinned: bool, session: str | None = None) -> RunInfo:
        """Pinned runs are never removed by the limits."""
        return self._update_meta(run_id, session, pinned=bool(pinned))

    def set_shared(self, run_id: str, shared: bool) -> RunInfo:
        """Operator only: a shared run is shown to every session, read-only (a gallery)."""
        return self._update_meta(run_id, None, shared=bool(shared))

    def delete(self, run_id: str, session: str | None = None) -> None:
        """Remove a run folder (renamed away first, so it vanishes from the list at once)."""
        with self._lock():
            self._delete_locked(self.get(run_id, session, write=True).path)

    def _delete_locked(self, path: Path) -> None:
        if path.is_symlink():  # remove the link itself, never what it points to
            path.unlink()
            return
        if not path.is_dir():
            raise RunError(f"no run {path.name!r} (it may have been deleted)")
        trash = self.root / f".trash-{path.name}-{uuid.uuid4().hex[:4]}"
        os.rename(path, trash)
        shutil.rmtree(trash, ignore_errors=True)

    # -- limits ---------------------------------------------------------------------------------
    def _enforce_limits(self, keep: str, session: str | None) -> list[RunInfo]:
        """Called under the lock: oldest unpinned runs go until both limits hold."""
        runs = sorted(self.list(), key=lambda r: r.created or mtime(r.path))  # oldest first
        evicted: list[tuple[RunInfo, str]] = []

        def removable(r: RunInfo) -> bool:
            return r.id != keep and not r.pinned and all(r.id != e.id for e, _ in evicted)

        if session is not None:
            mine = [r for r in runs if r.session == session]
            excess = len(mine) - self.limits.per_session
            for r in [r for r in mine if removable(r)][: max(excess, 0)]:
                evicted.append((r, f"more than {self.limits.per_session} runs in this session"))
        total = sum(r.size_bytes for r in runs) - sum(e.size_bytes for e, _ in evicted)
        for r in runs:
            if total <= self.limits.max_bytes:
                break
            if removable(r):
                mb = self.limits.max_bytes / 2**20
                evicted.append((r, f"the runs folder was over its {mb:g} MB limit"))
                total -= r.size_bytes
        log = []
        for r, why in evicted:
            with contextlib.suppress(OSError, RunError):
                self._delete_locked(r.path)
            log.append(
                {"time": time.time(), "id": r.id, "name": r.name, "reason": why}
                | {"session": r.session, "by": session}
            )
        if log:
            with open(self.root / EVICTIONS, "a") as f:
                f.writelines(json.dumps(e) + "\n" for e in log)
        return [r for r, _ in evicted]

    def _eviction_message(self, evicted: list[RunInfo], session: str | None) -> str:
        """Told where the run was saved: names of the saver's own runs only."""
        if not evicted:
            return ""
        mine = [r for r in evicted if session is None or r.session == session]
        names = ", ".join(f"'{r.name}'" for r in mine[:5]) or "none of yours"
        more = [f"{len(mine) - 5} more"] if len(mine) > 5 else []
        if len(evicted) > len(mine):
            more.append(f"{len(evicted) - len(mine)} of other sessions")
        more = f" and {' and '.join(more)}" if more else ""
        return (
            f"Removed {len(evicted)} older run{'s' if len(evicted) != 1 else ''} to stay within "
            f"the limits ({self.limits.per_session} runs per session, "
            f"{self.limits.max_bytes / 2**20:g} MB in all): {names}{more}. "
            "Pin a run on the Runs page to keep it."
        )

    def evictions(self, since: float = 0.0, session: str | None = None) -> list[dict]:
        """Runs the limits removed (newest first), from evictions.jsonl; with ``session``,
        only the runs of that browser session."""
        try:
            lines = (self.root / EVICTIONS).read_text().splitlines()
        except (OSError, ValueError):
            return []
        out = []
        for line in lines:
            with contextlib.suppress(ValueError, RecursionError):
                e = json.loads(line)
                e = e if isinstance(e, dict) else {}
                t, name, why = e.get("time"), e.get("name"), e.get("reason", "")
                ok = run_meta._is(t, run_meta.NUMBER) and isinstance(name, str)
                if not (ok and isinstance(why, str)) or t < since:
                    continue
                if session is None or e.get("session") == session:
                    out.append(e)
        return out[::-1]

    def _sweep_stale(self) -> None:
        """Remove .tmp-/.trash- folders left by a crashed writer long ago."""
        now = time.time()
        for p in self.root.glob(".t*-*"):
            if p.is_dir() and now - mtime(p) > STALE_TMP_S:
                shutil.rmtree(p, ignore_errors=True)

    # -- loading ---------------------------------------------------------------------------------
    def _file(self, info: RunInfo, name: str) -> Path:
        """A file of a usable run; links are refused (never read through them)."""
        if info.broken:
            raise RunError(f"run '{info.name}' cannot be opened: {info.broken}")
        path = info.path / name
        if path.is_symlink():
            raise RunError(f"run '{info.name}' cannot be opened: its {name} is a symbolic link")
        return path

    def history(self, run_id: str) -> list[dict]:
        """The per-epoch records of a run ([] when it has none or the file is unreadable)."""
        try:
            history = json.loads(self._file(self.get(run_id), "history.json").read_text())
        except (OSError, ValueError, RecursionError):
            return []
        return history if isinstance(history, list) else []

    def checkpoint_path(self, run_id: str, weights: str = "auto") -> Path:
        """The checkpoint file of a run: "best", "last" or "auto" (the run's own weights)."""
        info = self.get(run_id)
        if info.kind != "forecaster" and not info.broken:
            raise RunError(f"run '{info.name}' is a {info.kind} run, not a forecaster")
        weights = (info.meta.get("weights") or "last") if weights == "auto" else weights
        if weights not in run_meta.WEIGHTS:
            raise RunError(f"{weights!r} is not a checkpoint: use 'best', 'last' or 'auto'")
        path = self._file(info, f"{weights}.pt")
        if not path.is_file():
            have = ", ".join(info.meta.get("checkpoints", [])) or "none"
            raise RunError(f"run '{info.name}' has no {weights!r} checkpoint (it has: {have})")
        return path

    def payload_path(self, run_id: str) -> Path:
        """The payload.pt of a run saved with :meth:`save_record`."""
        info = self.get(run_id)
        path = self._file(info, "payload.pt")
        if not path.is_file():
            raise RunError(f"run '{info.name}' has no saved model (its payload.pt is missing)")
        return path

    def load_payload(self, run_id: str) -> dict:
        """The payload of a :meth:`save_record` run, read with ``weights_only`` (no code)."""
        info = self.get(run_id)
        path = self.payload_path(run_id)
        try:
            payload = from_plain(ckpt_io.read_dict(path))
        except ckpt_io.CheckpointError as e:
            raise RunError(f"run '{info.name}' cannot be opened: {e}") from None
        if not isinstance(payload, dict):
            raise RunError(f"run '{info.name}' cannot be opened: its payload is not a dict")
        return payload

    def load(self, run_id: str, weights: str = "auto") -> ForecastRun:
        """Rebuild a saved forecaster: its data, scalers, weights, history and extras."""
        info = self.get(run_id)
        path = self.checkpoint_path(run_id, weights)
        try:
            run = ckpt_io.load_run(path)
        except ckpt_io.CheckpointError as e:
            raise RunError(f"run '{info.name}' cannot be opened: {e}") from None
        extras = self._file(info, "extras.pt")
        if extras.is_file():
            try:
                run.extras.update(from_plain(torch.load(extras, weights_only=True)))
            except Exception:  # damaged extras never block the run itself
                run.extras["extras_error"] = "the saved extras could not be read"
        run.extras["saved_run_id"] = run_id
        return run


# -- helpers for meta -------------------------------------------------------------------------
