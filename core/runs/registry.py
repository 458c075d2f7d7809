"""Kinds of runs the runs folder keeps: how each is saved, opened, exported and imported.

Every saved run has a ``kind`` in its meta.json ("forecaster", "text", ...), and every
checkpoint file a ``format`` field ("lstm-lab/forecaster", "lstm-lab/charlm", ...). This
module maps both to a :class:`RunKind`, so the store, autosave, the Runs page and the CLI
never test for a kind by name.

Registering a new kind (e.g. the sentiment model) takes a few lines in its own module::

    # core/runs/kinds/sentiment.py
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

then import it in ``core/runs/kinds/__init__.py`` (``core.runs`` imports that package, so
every kind is registered as soon as anything under ``core.runs`` is imported), and in
``dashboard/runs/kinds.py`` tell the UI where the opened run goes (``register_ui``).
The default methods store ``to_payload(run)`` as the run's payload.pt (atomically, with
the same quota and session labels as every run) and ``history(run)`` as history.json.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from core.data import Dataset
from core.runs.files import CheckpointKeeper
from core.runs.formats.common import CheckpointError, read_dict
from core.runs.store import RunInfo, RunStore, SaveResult

_KINDS: dict[str, RunKind] = {}


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
        mark_saved(run, result.info.id)
        return result

    def load(self, store: RunStore, run_id: str) -> Any:
        info = store.get(run_id)
        try:
            run = self.from_payload(store.load_payload(run_id))
        except CheckpointError as e:
            raise CheckpointError(f"run '{info.name}' cannot be opened: {e}") from None
        mark_saved(run, run_id)
        return run

    def from_checkpoint(self, ckpt: dict, datasets: Iterable[Dataset] = ()) -> Any:
        """An imported file's run (``datasets``: data already in the session)."""
        return self.from_payload(ckpt)

    def checkpoint_source(self, store: RunStore, run_id: str, weights: str = "auto") -> Path:
        """The file in the run's folder its export comes from (``weights``: forecasters)."""
        return store.payload_path(run_id)

    def checkpoint_bytes(self, store: RunStore, run_id: str, weights: str = "auto") -> bytes:
        """The file a user downloads; Import (and the page that made it) reads it back."""
        return self.checkpoint_source(store, run_id, weights).read_bytes()


def mark_saved(run: Any, run_id: str) -> None:
    extras = getattr(run, "extras", None)
    if isinstance(extras, dict):
        extras["saved_run_id"] = run_id


# -- the registry --------------------------------------------------------------------------------
def register(kind: RunKind) -> RunKind:
    """Add (or replace) a kind; its ``kind`` and ``format`` must be new to other kinds."""
    _KINDS[kind.kind] = kind
    return kind


def kinds() -> dict[str, RunKind]:
    """Every registered kind (importing ``core.runs`` imports ``core.runs.kinds``, whose
    modules register theirs)."""
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
    ckpt = read_dict(source)
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
