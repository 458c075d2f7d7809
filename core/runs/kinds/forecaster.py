"""Forecasters in the runs folder: kind "forecaster", checkpoint format "lstm-lab/forecaster".

A forecaster's folder keeps its own layout (runs saved by older versions open unchanged)::

    <id>/meta.json      name, kind, configs, dataset provenance + fingerprint, scores,
                        weights ("best"/"last": which ones the model held), checkpoints,
                        timings, device, best validation loss, extras_keys
    <id>/history.json   one record per epoch
    <id>/best.pt        checkpoint at the best validation epoch (weights_only-loadable,
    <id>/last.pt        with the data inside) and at the last completed epoch
    <id>/extras.pt      run.extras (e.g. gate snapshots), plain data and tensors only

Each .pt file is a ``core.runs.formats.forecaster`` checkpoint, so a run's best.pt is
exactly the file a user downloads and imports back.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from core.data import Dataset
from core.forecast.run import ForecastRun
from core.runs import meta as run_meta
from core.runs.files import CheckpointKeeper, dumps, same_weights, write_text
from core.runs.formats import forecaster as ckpt_io
from core.runs.formats.common import CheckpointError, to_bytes, write_atomic
from core.runs.registry import RunKind, mark_saved, register
from core.runs.store import RunError, RunStore, SaveResult, write_dict

KIND = "forecaster"


# -- what goes into the folder ------------------------------------------------------------------
def pick_checkpoints(
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
    if not same_weights(final, best) and not same_weights(final, last):
        last = final  # the in-memory weights are what the user had: never lose them
    return {"best": best, "last": last}, "best" if same_weights(final, best) else "last"


def default_name(run: ForecastRun) -> str:
    m = run.model_cfg
    bi = "bi-" if m.bidirectional else ""
    return f"{bi}{m.cell.upper()} {m.hidden_size}×{m.num_layers} · {run.dataset.name}"


def dataset_meta(run: ForecastRun) -> dict:
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


def scores(run: ForecastRun) -> dict:
    """MAE/RMSE of the model and of the naive baseline on validation and test (original units)."""
    out = {}
    for span in ("val", "test"):
        try:
            out[span] = run.scores(span)
        except Exception:  # an empty span or a broken model must not block the save
            out[span] = None
    return out


# -- saving and opening ---------------------------------------------------------------------------
def save(
    store: RunStore,
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
        "kind": KIND,
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
    if isinstance(run.extras.get("baselines"), dict):  # core.forecast.comparison's report
        meta["baselines"] = run.extras["baselines"]

    def write_files(tmp: Path) -> dict:
        t0 = time.perf_counter()
        write_text(tmp / "history.json", dumps(history))
        for label, sd in ckpts.items():
            if sd is not None:
                data = to_bytes(ckpt_io.run_to_dict(run, sd, weights=label))
                write_atomic(data, tmp / f"{label}.pt")
        extras = {k: v for k, v in run.extras.items() if k != "saved_run_id"}
        if extras:
            write_dict(tmp / "extras.pt", extras)
        return {"save_seconds": time.perf_counter() - t0}

    return store.commit(meta, write_files, session)


def checkpoint_path(store: RunStore, run_id: str, weights: str = "auto") -> Path:
    """The checkpoint file of a run: "best", "last" or "auto" (the run's own weights)."""
    info = store.get(run_id)
    if info.kind != KIND and not info.broken:
        raise RunError(f"run '{info.name}' is a {info.kind} run, not a forecaster")
    weights = (info.meta.get("weights") or "last") if weights == "auto" else weights
    if weights not in run_meta.WEIGHTS:
        raise RunError(f"{weights!r} is not a checkpoint: use 'best', 'last' or 'auto'")
    path = store.file(info, f"{weights}.pt")
    if not path.is_file():
        have = ", ".join(info.meta.get("checkpoints", [])) or "none"
        raise RunError(f"run '{info.name}' has no {weights!r} checkpoint (it has: {have})")
    return path


def load(store: RunStore, run_id: str, weights: str = "auto") -> ForecastRun:
    """Rebuild a saved forecaster: its data, scalers, weights, history and extras."""
    info = store.get(run_id)
    path = checkpoint_path(store, run_id, weights)
    try:
        run = ckpt_io.load_run(path)
    except CheckpointError as e:
        raise RunError(f"run '{info.name}' cannot be opened: {e}") from None
    if store.file(info, "extras.pt").is_file():
        try:
            run.extras.update(store.read_dict(info, "extras.pt"))
        except Exception:  # damaged extras never block the run itself
            run.extras["extras_error"] = "the saved extras could not be read"
    run.extras["saved_run_id"] = run_id
    return run


class ForecasterKind(RunKind):
    """Forecasters keep their own layout: best/last checkpoints, extras, scores."""

    kind, format, label = KIND, ckpt_io.FORMAT, "forecaster"
    units = "MSE, scaled"
    run_type = ForecastRun
    onnx = True

    def to_payload(self, run: ForecastRun) -> dict:
        return ckpt_io.run_to_dict(run)

    def from_payload(self, ckpt: dict) -> ForecastRun:
        return ckpt_io.run_from_dict(ckpt_io.validate(ckpt))

    def history(self, run: ForecastRun) -> list[dict]:
        return list(run.fit.history) if run.fit else []

    def data_name(self, run: ForecastRun) -> str:
        return run.dataset.name

    def default_name(self, run: ForecastRun) -> str:
        return default_name(run)

    def save(self, store, run, name=None, session=None, origin="trained", keeper=None):
        result = save(store, run, name=name, session=session, origin=origin, keeper=keeper)
        mark_saved(run, result.info.id)
        return result

    def load(self, store: RunStore, run_id: str) -> ForecastRun:
        return load(store, run_id)  # sets extras["saved_run_id"]

    def from_checkpoint(self, ckpt: dict, datasets: Iterable[Dataset] = ()) -> ForecastRun:
        ckpt = ckpt_io.validate(ckpt)
        want = (ckpt.get("dataset") or {}).get("fingerprint")
        known = next((d for d in datasets if d.fingerprint() == want), None)
        return ckpt_io.run_from_dict(ckpt, known)

    def checkpoint_source(self, store: RunStore, run_id: str, weights: str = "auto") -> Path:
        return checkpoint_path(store, run_id, weights)


register(ForecasterKind())
