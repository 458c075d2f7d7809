"""Kinds of runs the runs folder keeps: how each is saved, opened, exported and imported.

Every saved run has a ``kind`` in its meta.json ("forecaster", "text", ...), and every
checkpoint file a ``format`` field ("lstm-lab/forecaster", "lstm-lab/charlm", ...). This
module maps both to a :class:`RunKind`, so the store, autosave, the Runs page and the CLI
never test for a kind by name.

Registering a new kind (e.g. the sentiment model) takes a few lines in its own module::

    # core/sentiment/runs.py
    from core.runs.registry import RunKind, register

    class SentimentKind(RunKind):
        kind, format, label = "sentiment", "lstm-lab/sentiment", "sentiment model"
        units = "cross-entropy, nats"            # of meta["fit"]["best_val_loss"]
        run_type = SentimentRun                   # instances of it are runs of this kind

        def to_payload(self, run): return sentiment_to_dict(run)   # has "format": ...
        def from_payload(self, ckpt): return sentiment_from_dict(ckpt)  # CheckpointError
        def meta(self, run): return {...}  # model_cfg, train_cfg, dataset, fit, n_params
        def history(self, run): return run.history
        def data_name(self, run): return run.dataset_name

    register(SentimentKind())

then add ``"core.runs.kinds.sentiment"`` to :data:`KIND_MODULES` (loaded on first use), and in
``dashboard/run_kinds_ui.py`` tell the UI where the opened run goes (``register_ui``).
The default methods store ``to_payload(run)`` as the run's payload.pt (atomically, with
the same quota and session labels as every run) and ``history(run)`` as history.json.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from typing import Any, ClassVar

from core.data import Dataset
from core.forecast.run import ForecastRun
from core.runs.files import CheckpointKeeper, default_name
from core.runs.formats import forecaster as ckpt_io
from core.runs.formats.forecaster import CheckpointError
from core.runs.store import RunInfo, RunStore, SaveResult

KIND_MODULES: tuple[str, ...] = (  # they register
    "core.runs.kinds.text",
    "core.runs.kinds.sentiment",
    "core.runs.kinds.compare",
)
_KINDS: dict[str, RunKind] = {}
_loaded = False


class RunKind:
    """A kind of run stored through ``RunStore.save_record`` (override what differs)."""

    kind: ClassVar[str]  # meta.json "kind"
    format: ClassVar[str]  # the "format" field of its checkpoint files
    label: ClassVar[str]  # in sentences: "text model"
    units: ClassVar[str]  # of meta["fit"]["best_val_loss"] and of the history's losses
    run_type: ClassVar[type]
    onnx: ClassVar[bool] = False  # can the Runs page export it as ONNX
    exported: ClassVar[bool] = True  # has a checkpoint file users download (and import)

    # -- what a kind must say ----------------------------------------------------------------
    def to_payload(self, run: Any) -> dict:
        """The run as a checkpoint dict (plain data and tensors, with its "format")."""
        raise NotImplementedError

    def from_payload(self, ckpt: dict) -> Any:
        """A run from a checkpoint dict; CheckpointError saying why it does not fit."""
        raise NotImplementedError

    def meta(self, run: Any) -> dict:
        """meta.json fields: model_cfg, train_cfg, dataset, fit (best_val_loss, seconds,
        device), n_epochs, n_params..."""
        raise NotImplementedError

    def history(self, run: Any) -> list[dict]:
        return []

    def data_name(self, run: Any) -> str:
        return "data"

    def default_name(self, run: Any) -> str:
        return f"{self.label} · {self.data_name(run)}"

    def trained(self, run: Any) -> bool:
        """Worth saving when its training job ends (it learned something)."""
        return bool(self.history(run))

    # -- generic behaviour ---------------------------------------------------------------------
    def save(
        self,
        store: RunStore,
        run: Any,
        name: str | None = None,
        session: str | None = None,
        origin: str = "trained",
        keeper: CheckpointKeeper | None = None,
    ) -> SaveResult:
        summary = {"origin": origin, "units": self.units, **self.meta(run)}
        result = store.save_record(
            self.kind,
            (name or self.default_name(run))[:120],
            summary,
            self.to_payload(run),
            session=session,
            history=self.history(run),
        )
        _mark_saved(run, result.info.id)
        return result

    def load(self, store: RunStore, run_id: str) -> Any:
        info = store.get(run_id)
        try:
            run = self.from_payload(store.load_payload(run_id))
        except CheckpointError as e:
            raise CheckpointError(f"run '{info.name}' cannot be opened: {e}") from None
        _mark_saved(run, run_id)
        return run

    def from_checkpoint(self, ckpt: dict, datasets: Iterable[Dataset] = ()) -> Any:
        """An imported file's run (``datasets``: data already in the session)."""
        return self.from_payload(ckpt)

    def checkpoint_bytes(self, store: RunStore, run_id: str) -> bytes:
        """The file a user downloads; Import (and the page that made it) reads it back."""
        return store.payload_path(run_id).read_bytes()


class ForecasterKind(RunKind):
    """Forecasters keep their own layout: best/last checkpoints, extras, scores."""

    kind, format, label = "forecaster", ckpt_io.FORMAT, "forecaster"
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
        result = store.save(run, name=name, session=session, origin=origin, keeper=keeper)
        _mark_saved(run, result.info.id)
        return result

    def load(self, store: RunStore, run_id: str) -> ForecastRun:
        return store.load(run_id)  # sets extras["saved_run_id"]

    def from_checkpoint(self, ckpt: dict, datasets: Iterable[Dataset] = ()) -> ForecastRun:
        ckpt = ckpt_io.validate(ckpt)
        want = (ckpt.get("dataset") or {}).get("fingerprint")
        known = next((d for d in datasets if d.fingerprint() == want), None)
        return ckpt_io.run_from_dict(ckpt, known)

    def checkpoint_bytes(self, store: RunStore, run_id: str) -> bytes:
        return store.checkpoint_path(run_id).read_bytes()


def _mark_saved(run: Any, run_id: str) -> None:
    extras = getattr(run, "extras", None)
    if isinstance(extras, dict):
        extras["saved_run_id"] = run_id


# -- the registry --------------------------------------------------------------------------------
def register(kind: RunKind) -> RunKind:
    """Add (or replace) a kind; its ``kind`` and ``format`` must be new to other kinds."""
    _KINDS[kind.kind] = kind
    return kind


def _ensure_loaded() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in KIND_MODULES:
            importlib.import_module(module)


def kinds() -> dict[str, RunKind]:
    _ensure_loaded()
    return dict(_KINDS)


def get(kind: str) -> RunKind | None:
    """The registered kind of that name, or None (a run this version cannot open)."""
    return kinds().get(kind)


def of(run: Any) -> RunKind:
    """The kind of an in-memory run."""
    for k in kinds().values():
        if isinstance(run, k.run_type):
            return k
    raise TypeError(f"{type(run).__name__} is not a kind of run the runs folder can keep")


def for_format(fmt: Any) -> RunKind | None:
    return next((k for k in kinds().values() if k.format == fmt), None)


def formats() -> list[str]:
    """The checkpoint formats users download and import (a kind kept as a summary only,
    like comparisons, is still read back from a copied payload.pt, but not advertised)."""
    return [k.format for k in kinds().values() if k.exported]


def _shown(value: Any) -> str:
    """A format field from an untrusted file, reduced to harmless characters."""
    return repr(re.sub(r"[^\w/.+-]", "?", str(value))[:60])


def _listed(items: list[str]) -> str:
    """'a', 'b' and 'c'."""
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


def read_checkpoint(source: Any) -> tuple[RunKind, dict]:
    """Read any checkpoint file safely and find its kind from its ``format`` field."""
    ckpt = ckpt_io.read_dict(source)
    fmt = ckpt.get("format") if isinstance(ckpt, dict) else None
    known = _listed([repr(f) for f in formats()])
    if fmt is None:
        raise CheckpointError(
            "this file is a PyTorch file but not an LSTM Lab checkpoint (it has no 'format' "
            f"field); LSTM Lab imports {known} checkpoints"
        )
    kind = for_format(fmt)
    if kind is None:
        raise CheckpointError(
            f"this checkpoint's format is {_shown(fmt)}, which this LSTM Lab cannot open; it "
            f"imports {known} checkpoints"
        )
    return kind, ckpt


def import_checkpoint(source: Any, datasets: Iterable[Dataset] = ()) -> tuple[RunKind, Any]:
    """The kind and the rebuilt run of an uploaded checkpoint; CheckpointError otherwise."""
    kind, ckpt = read_checkpoint(source)
    return kind, kind.from_checkpoint(ckpt, datasets)


def info_kind(info: RunInfo) -> RunKind | None:
    return None if info.broken else get(info.kind)


register(ForecasterKind())
