"""Runs that last: every saved run as a folder on disk, listed, reopened, evicted.

The store knows no kind of run by name: each kind's codec (``core.runs.kinds``, found
through ``core.runs.registry``) says which files its folder holds. Layout of the runs
folder (``$LSTMLAB_RUNS_DIR``, default ``<project>/runs``)::

    <id>/meta.json      name, kind, created, pinned, shared, session, and what the kind
                        says (configs, dataset provenance + fingerprint, scores, timings...)
    <id>/history.json   one record per epoch or logged step
    <id>/payload.pt     a kind's dict payload (:meth:`RunStore.save_record`); forecasters
                        keep best.pt, last.pt and extras.pt instead (core.runs.kinds.forecaster)
    evictions.jsonl     which runs the limits removed, and why (core.runs.quota)

A run is written into ``.tmp-<id>`` and renamed to ``<id>`` when complete, so a crash
never leaves a half-written run in the list; folders starting with "." are never listed.
Rewrites of meta.json go through a temp file and ``os.replace``. Saves, renames, deletes
and evictions hold a lock (a thread lock plus ``flock`` on ``.lock`` where available), so
several threads or processes can write to one folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from core.runs.files import clean_json, dumps, from_plain, mtime, to_plain, write_text
from core.runs.formats.common import CheckpointError, read_dict, to_bytes, write_atomic
from core.runs.listing import META, META_FORMAT, RunError, RunInfo, SaveResult, read_info
from core.runs.quota import (
    EVICTIONS,
    Limits,
    choose_evictions,
    eviction_message,
    log_evictions,
    read_evictions,
)

try:  # POSIX: a lock that also holds between processes (the CLI, a second server)
    import fcntl
except ImportError:  # pragma: no cover - Windows: the thread lock alone
    fcntl = None  # type: ignore[assignment]

__all__ = ["EVICTIONS", "Limits", "RunError", "RunInfo", "RunStore", "SaveResult"]

ROOT = Path(__file__).resolve().parents[2]  # the project folder (core/runs/store.py)
ENV_DIR = "LSTMLAB_RUNS_DIR"
STALE_TMP_S = 3600.0  # a .tmp-/.trash- folder this old belongs to a crashed writer
_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


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
    def list(self, include_broken: bool = True, session: str | None = None) -> list[RunInfo]:
        """Runs, newest first; a broken folder is listed with the reason, never raised.
        ``session``: only the runs that browser session may see (None: every run)."""
        if not self.root.is_dir():
            return []
        infos = [
            read_info(p)
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
        info = read_info(path)
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

    def commit(
        self, meta: dict, write_files: Callable[[Path], dict | None], session: str | None
    ) -> SaveResult:
        """Save a new run: ``write_files(folder)`` writes its files (and may return more
        meta fields); meta.json goes last, then the folder is renamed into place and the
        limits applied, under the lock. A failure leaves nothing behind."""
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
        return SaveResult(info, evicted, eviction_message(evicted, session, self.limits))

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
        """A run kept as a JSON summary in meta.json, a dict payload of plain data and
        tensors in payload.pt and, when given, the per-record history in history.json."""
        meta = {"name": name, "kind": kind, "pinned": pinned, **clean_json(summary)}

        def write_files(tmp: Path) -> dict:
            t0 = time.perf_counter()
            if history is not None:
                write_text(tmp / "history.json", dumps(history))
            if payload is not None:
                write_dict(tmp / "payload.pt", payload)
            return {"save_seconds": time.perf_counter() - t0}

        return self.commit(meta, write_files, session)

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
        evicted = choose_evictions(self.list(), self.limits, keep, session)
        for r, _ in evicted:
            with contextlib.suppress(OSError, RunError):
                self._delete_locked(r.path)
        log_evictions(self.root, evicted, by=session)
        return [r for r, _ in evicted]

    def evictions(self, since: float = 0.0, session: str | None = None) -> list[dict]:
        """Runs the limits removed (newest first); with ``session``, only its runs."""
        return read_evictions(self.root, since, session)

    def _sweep_stale(self) -> None:
        """Remove .tmp-/.trash- folders left by a crashed writer long ago."""
        now = time.time()
        for p in self.root.glob(".t*-*"):
            if p.is_dir() and now - mtime(p) > STALE_TMP_S:
                shutil.rmtree(p, ignore_errors=True)

    # -- loading ---------------------------------------------------------------------------------
    def file(self, info: RunInfo, name: str) -> Path:
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
            history = json.loads(self.file(self.get(run_id), "history.json").read_text())
        except (OSError, ValueError, RecursionError):
            return []
        return history if isinstance(history, list) else []

    def payload_path(self, run_id: str) -> Path:
        """The payload.pt of a run saved with :meth:`save_record`."""
        info = self.get(run_id)
        path = self.file(info, "payload.pt")
        if not path.is_file():
            raise RunError(f"run '{info.name}' has no saved model (its payload.pt is missing)")
        return path

    def load_payload(self, run_id: str) -> dict:
        """The payload of a :meth:`save_record` run, read with ``weights_only`` (no code)."""
        info = self.get(run_id)
        self.payload_path(run_id)  # RunError when it is missing
        payload = self.read_dict(info, "payload.pt")
        if not isinstance(payload, dict):
            raise RunError(f"run '{info.name}' cannot be opened: its payload is not a dict")
        return payload

    def read_dict(self, info: RunInfo, name: str) -> Any:
        """A .pt file of a run, read with the safe checkpoint reader (size cap, checksums,
        ``weights_only``: no code); RunError saying why it cannot be opened."""
        try:
            return from_plain(read_dict(self.file(info, name)))
        except CheckpointError as e:
            raise RunError(f"run '{info.name}' cannot be opened: {e}") from None


def write_dict(path: Path, data: dict) -> None:
    """A .pt file of plain data and tensors (numpy arrays tagged), written atomically."""
    write_atomic(to_bytes(to_plain(data)), path)
