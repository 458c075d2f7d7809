"""Runs that last: every trained run as a folder on disk, listed, reopened, evicted.

Layout of the runs folder (``$LSTMLAB_RUNS_DIR``, default ``<project>/runs``)::

    <id>/meta.json      name, kind, configs, dataset provenance + fingerprint, scores,
                        timings, device, best validation loss, created, pinned, session
    <id>/history.json   one record per epoch
    <id>/best.pt        checkpoint at the best validation epoch (weights_only-loadable,
    <id>/last.pt        with the data inside) and at the last completed epoch
    <id>/extras.pt      run.extras (e.g. gate snapshots), plain data and tensors only
    <id>/payload.pt     other kinds (text, sentiment, comparison): their dict payload
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

import numpy as np
import torch

from core import checkpoint as ckpt_io
from core.forecast import ForecastRun
from core.trainer import Callback

try:  # POSIX: a lock that also holds between processes (the CLI, a second server)
    import fcntl
except ImportError:  # pragma: no cover - Windows: the thread lock alone
    fcntl = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parent.parent
ENV_DIR = "LSTMLAB_RUNS_DIR"
ENV_MAX_MB = "LSTMLAB_RUNS_MAX_MB"
ENV_PER_SESSION = "LSTMLAB_RUNS_PER_SESSION"
ENV_AUTOSAVE = "LSTMLAB_AUTOSAVE"  # "0" turns saving of every training run off
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
        mb = float(os.environ.get(ENV_MAX_MB, "500"))
        return cls(int(mb * 2**20), int(os.environ.get(ENV_PER_SESSION, "20")))


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
        return self.meta.get("session")

    @property
    def best_val_loss(self) -> float | None:
        v = (self.meta.get("fit") or {}).get("best_val_loss")
        return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None

    def summary(self) -> dict:
        """A flat, JSON-able row for tables and the command line."""
        m = self.meta
        mc, ds, fit = m.get("model_cfg") or {}, m.get("dataset") or {}, m.get("fit") or {}
        model = ""
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
            "test_mae": ((m.get("scores") or {}).get("test") or {}).get("model_mae"),
            "created": time.strftime("%Y-%m-%d %H:%M", time.localtime(self.created))
            if self.created
            else "",
            "device": (fit.get("device") or {}).get("label", ""),
            "pinned": self.pinned,
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
def _json_default(obj: Any) -> Any:
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, (np.ndarray, torch.Tensor)):
        return obj.tolist()
    return str(obj)


def _clean(obj: Any) -> Any:
    """NaN and inf become null: meta.json stays strict JSON for any reader."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def _dumps(obj: Any) -> str:
    return json.dumps(_clean(json.loads(json.dumps(obj, default=_json_default))), indent=1)


def _write_text(path: Path, text: str) -> None:
    ckpt_io.write_atomic(text.encode(), path)


def _folder_size(path: Path) -> int:
    total = 0
    for p in path.rglob("*"):
        with contextlib.suppress(OSError):
            if p.is_file():
                total += p.stat().st_size
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


def _same_weights(a: dict[str, torch.Tensor] | None, b: dict[str, torch.Tensor] | None) -> bool:
    if a is None or b is None or a.keys() != b.keys():
        return False
    return all(torch.equal(a[k].cpu(), b[k].cpu()) for k in a)


class CheckpointKeeper(Callback):
    """Keeps CPU copies of the weights of the best and of the last completed epoch."""

    def __init__(self) -> None:
        self.best: dict[str, torch.Tensor] | None = None
        self.last: dict[str, torch.Tensor] | None = None

    def on_epoch_end(self, trainer, record: dict) -> None:
        state = {k: v.detach().cpu().clone() for k, v in trainer.model.state_dict().items()}
        self.last = state
        if "best" in record.get("events", []):
            self.best = state


def _pick_checkpoints(
    run: ForecastRun, keeper: CheckpointKeeper | None
) -> tuple[dict[str, dict | None], str]:
    """The best and last weights to store, and which of them the in-memory model holds.

    Without a keeper (a run trained elsewhere) only the final weights are known: they are
    the best ones when early stopping restored them or when the last epoch was the best.
    """
    final = {k: v.detach().cpu() for k, v in run.model.state_dict().items()}
    fit = run.fit
    last_epoch = fit.history[-1]["epoch"] if fit and fit.history else None
    best = keeper.best if keeper else None
    last = keeper.last if keeper else None
    final_is_best = (
        fit is not None
        and fit.best_epoch is not None
        and (fit.best_epoch == last_epoch or run.train_cfg.early_stopping)
    )
    if best is None and final_is_best:
        best = final
    if last is None and not (run.train_cfg.early_stopping and best is final):
        last = final
    if not _same_weights(final, best) and not _same_weights(final, last):
        last = final  # the in-memory weights are what the user had: never lose them
    return {"best": best, "last": last}, "best" if _same_weights(final, best) else "last"


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
        size = _folder_size(path) if with_size else 0
        try:
            meta = json.loads((path / META).read_text())
        except FileNotFoundError:
            return RunInfo(path.name, path, {}, size, "its meta.json is missing")
        except (OSError, ValueError) as e:
            return RunInfo(path.name, path, {}, size, f"its meta.json is unreadable ({e})")
        if not isinstance(meta, dict) or meta.get("format") != META_FORMAT:
            return RunInfo(path.name, path, {}, size, "its meta.json is not an LSTM Lab run")
        return RunInfo(path.name, path, meta, size, None)

    def list(self, include_broken: bool = True) -> list[RunInfo]:
        """Runs, newest first; a broken folder is listed with the reason, never raised."""
        if not self.root.is_dir():
            return []
        infos = [
            self._info(p) for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")
        ]
        infos = [i for i in infos if include_broken or i.broken is None]
        return sorted(infos, key=lambda i: i.created or _mtime(i.path), reverse=True)

    def get(self, run_id: str) -> RunInfo:
        path = self._path(run_id)
        if not path.is_dir():
            raise RunError(f"no run {run_id!r} in {self.root} (it may have been deleted)")
        return self._info(path)

    def _path(self, run_id: str) -> Path:
        if not run_id or run_id.startswith(".") or "/" in run_id or "\\" in run_id:
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
            _write_text(tmp / META, _dumps(meta))  # last: a folder with meta.json is complete
            with self._lock():
                os.rename(tmp, self.root / run_id)
                evicted = self._enforce_limits(keep=run_id, session=session)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._sweep_stale()
        info = self.get(run_id)
        return SaveResult(info, evicted, self._eviction_message(evicted))

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
        ckpts, weights = _pick_checkpoints(run, keeper)
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
            "dataset": _dataset_meta(run),
            "fit": fit,
            "n_epochs": len(history),
            "n_params": run.n_params,
            "scores": _scores(run),
            "extras_keys": sorted(run.extras) if run.extras else [],
        }

        def write_files(tmp: Path) -> dict:
            t0 = time.perf_counter()
            _write_text(tmp / "history.json", _dumps(history))
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
    ) -> SaveResult:
        """Any other kind of run (text model, sentiment model, comparison): a JSON summary
        in meta.json plus a dict payload of plain data and tensors in payload.pt."""
        if kind == "forecaster":
            raise RunError("forecasters are saved with RunStore.save(run)")
        meta = {"name": name, "kind": kind, "pinned": pinned, **_clean(summary)}

        def write_files(tmp: Path) -> None:
            if payload is not None:
                ckpt_io.write_atomic(ckpt_io.to_bytes(to_plain(payload)), tmp / "payload.pt")

        return self._commit(meta, write_files, session)

    def _update_meta(self, run_id: str, **changes: Any) -> RunInfo:
        with self._lock():
            info = self.get(run_id)
            if info.broken:
                raise RunError(f"run {run_id!r} cannot be changed: {info.broken}")
            _write_text(info.path / META, _dumps({**info.meta, **changes}))
        return self.get(run_id)

    def rename(self, run_id: str, name: str) -> RunInfo:
        name = " ".join(str(name).split())
        if not name:
            raise RunError("a run name cannot be empty")
        if len(name) > 120:
            raise RunError(f"a run name must be at most 120 characters, got {len(name)}")
        return self._update_meta(run_id, name=name)

    def set_pinned(self, run_id: str, pinned: bool) -> RunInfo:
        """Pinned runs are never removed by the limits."""
        return self._update_meta(run_id, pinned=bool(pinned))

    def delete(self, run_id: str) -> None:
        """Remove a run folder (renamed away first, so it vanishes from the list at once)."""
        with self._lock():
            self._delete_locked(self._path(run_id))

    def _delete_locked(self, path: Path) -> None:
        if not path.is_dir():
            raise RunError(f"no run {path.name!r} in {self.root} (it may have been deleted)")
        trash = self.root / f".trash-{path.name}-{uuid.uuid4().hex[:4]}"
        os.rename(path, trash)
        shutil.rmtree(trash, ignore_errors=True)

    # -- limits ---------------------------------------------------------------------------------
    def _enforce_limits(self, keep: str, session: str | None) -> list[RunInfo]:
        """Called under the lock: oldest unpinned runs go until both limits hold."""
        runs = sorted(self.list(), key=lambda r: r.created or _mtime(r.path))  # oldest first
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
            log.append({"time": time.time(), "id": r.id, "name": r.name, "reason": why})
        if log:
            with open(self.root / EVICTIONS, "a") as f:
                f.writelines(json.dumps(e) + "\n" for e in log)
        return [r for r, _ in evicted]

    def _eviction_message(self, evicted: list[RunInfo]) -> str:
        if not evicted:
            return ""
        names = ", ".join(f"'{r.name}'" for r in evicted[:5])
        more = f" and {len(evicted) - 5} more" if len(evicted) > 5 else ""
        return (
            f"Removed {len(evicted)} older run{'s' if len(evicted) != 1 else ''} to stay within "
            f"the limits ({self.limits.per_session} runs per session, "
            f"{self.limits.max_bytes / 2**20:g} MB in all): {names}{more}. "
            "Pin a run on the Runs page to keep it."
        )

    def evictions(self, since: float = 0.0) -> list[dict]:
        """Runs the limits removed (newest first), from evictions.jsonl."""
        try:
            lines = (self.root / EVICTIONS).read_text().splitlines()
        except OSError:
            return []
        out = []
        for line in lines:
            with contextlib.suppress(ValueError):
                e = json.loads(line)
                if isinstance(e, dict) and e.get("time", 0) >= since:
                    out.append(e)
        return out[::-1]

    def _sweep_stale(self) -> None:
        """Remove .tmp-/.trash- folders left by a crashed writer long ago."""
        now = time.time()
        for p in self.root.glob(".t*-*"):
            if p.is_dir() and now - _mtime(p) > STALE_TMP_S:
                shutil.rmtree(p, ignore_errors=True)

    # -- loading ---------------------------------------------------------------------------------
    def history(self, run_id: str) -> list[dict]:
        """The per-epoch records of a run ([] when it has none or the file is unreadable)."""
        try:
            history = json.loads((self._path(run_id) / "history.json").read_text())
        except (OSError, ValueError):
            return []
        return history if isinstance(history, list) else []

    def checkpoint_path(self, run_id: str, weights: str = "auto") -> Path:
        """The checkpoint file of a run: "best", "last" or "auto" (the run's own weights)."""
        info = self.get(run_id)
        if info.broken:
            raise RunError(f"run '{info.name}' cannot be opened: {info.broken}")
        if info.kind != "forecaster":
            raise RunError(f"run '{info.name}' is a {info.kind} run, not a forecaster")
        weights = info.meta.get("weights", "last") if weights == "auto" else weights
        path = info.path / f"{weights}.pt"
        if not path.is_file():
            have = ", ".join(info.meta.get("checkpoints", [])) or "none"
            raise RunError(f"run '{info.name}' has no {weights!r} checkpoint (it has: {have})")
        return path

    def load(self, run_id: str, weights: str = "auto") -> ForecastRun:
        """Rebuild a saved forecaster: its data, scalers, weights, history and extras."""
        info = self.get(run_id)
        path = self.checkpoint_path(run_id, weights)
        try:
            run = ckpt_io.load_run(path)
        except ckpt_io.CheckpointError as e:
            raise RunError(f"run '{info.name}' cannot be opened: {e}") from None
        extras = info.path / "extras.pt"
        if extras.is_file():
            try:
                run.extras.update(from_plain(torch.load(extras, weights_only=True)))
            except Exception:  # damaged extras never block the run itself
                run.extras["extras_error"] = "the saved extras could not be read"
        run.extras["saved_run_id"] = run_id
        return run


# -- helpers for meta -------------------------------------------------------------------------
def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def default_name(run: ForecastRun) -> str:
    m = run.model_cfg
    bi = "bi-" if m.bidirectional else ""
    return f"{bi}{m.cell.upper()} {m.hidden_size}×{m.num_layers} · {run.dataset.name}"


def _dataset_meta(run: ForecastRun) -> dict:
    ds = run.dataset
    idx = ds.frame.index
    return {
        "name": ds.name,
        "provenance": ds.provenance,
        "fingerprint": ds.fingerprint(),
        "columns": ds.columns,
        "rows": len(ds.frame),
        "start": str(idx[0]) if len(idx) else None,
        "end": str(idx[-1]) if len(idx) else None,
    }


def _scores(run: ForecastRun) -> dict:
    """MAE/RMSE of the model and of the naive baseline on validation and test (original units)."""
    out = {}
    for span in ("val", "test"):
        try:
            out[span] = run.scores(span)
        except Exception:  # an empty span or a broken model must not block the save
            out[span] = None
    return out


# -- the hook that saves every training run ---------------------------------------------------
_session_provider: Callable[[], str | None] | None = None


def set_session_provider(fn: Callable[[], str | None] | None) -> None:
    """The UI registers how to read the current browser session (core never imports it)."""
    global _session_provider
    _session_provider = fn


def current_session() -> str | None:
    if _session_provider is None:
        return None
    try:
        return _session_provider()
    except Exception:
        return None


class AutoSave:
    """Saves a run when its training job ends; a failed save becomes a warning, never an
    error, so the trained run stays in memory. Create it where the job is created (the
    session is read there), use ``callbacks()`` while training and ``finish()`` after."""

    def __init__(self, store: RunStore | None, session: str | None):
        self.store = store
        self.session = session
        self.keeper = CheckpointKeeper()

    @classmethod
    def create(cls, store: RunStore | str | None = "default", session: str | None = None):
        if store == "default":
            off = os.environ.get(ENV_AUTOSAVE, "1").strip().lower() in ("0", "false", "off")
            store = None if off else RunStore.default()
        return cls(store, session if session is not None else current_session())

    def callbacks(self) -> list[Callback]:
        return [self.keeper] if self.store is not None else []

    def finish(self, run: ForecastRun, ctx: Any, name: str | None = None) -> SaveResult | None:
        if self.store is None or run.fit is None or not run.fit.history:
            return None
        try:
            result = self.store.save(run, name=name, session=self.session, keeper=self.keeper)
        except Exception as e:
            ctx.publish(
                save_warning=f"the run was trained but could not be saved to "
                f"{self.store.root}: {_why(e)}. It stays open in this session; free disk "
                "space or fix the folder's permissions, then export it from the Runs page."
            )
            return None
        run.extras["saved_run_id"] = result.info.id
        ctx.publish(saved_run=result.info.id, save_notice=result.message)
        return result


def _why(e: BaseException) -> str:
    if isinstance(e, OSError):
        return e.strerror or str(e)
    return f"{type(e).__name__}: {e}"
