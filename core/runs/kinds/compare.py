"""RNN vs GRU vs LSTM comparisons in the runs folder: kind "compare", format "lstm-lab/compare".

A comparison is kept as its *summary only*: the task (name, title, lag, seed, trivial
loss), the shared budget, and per architecture its label, parameter count, seconds per
epoch, final and best validation loss, per-epoch history, the gradient-vs-lag profiles
g[k] = ||dL/dx_{T-1-k}||_2 at initialisation and after training, and the reading written
from the numbers. No weights and no task tensors: a run folder of a few tens of KB.

payload.pt holds ``{"format": FORMAT, "version": 1, "summary": {...}}`` (plain data,
loaded back with ``weights_only=True``); the user's export is the same summary as JSON.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from core.compare.reading import read_comparison
from core.compare.training import CompareResult
from core.runs.files import clean_json
from core.runs.formats.common import CheckpointError
from core.runs.registry import RunKind, register

FORMAT = "lstm-lab/compare"
VERSION = 1
UNITS = "validation loss (task units)"
NUMBERS = ("seconds_per_epoch", "val_loss", "best_val_loss")  # NaN is stored as null
ROW_KEYS = ("label", "parameters", "epochs", "val_loss", "best_val_loss", "grad_init")


def _num(v: Any) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else math.nan


@dataclass
class CompareSummary:
    """A finished (or stopped) comparison without its models and tensors.

    ``task``: name, title, lag, memory (a long-memory task), trivial, trivial_label, loss
    ("mse"/"ce"), description, params (seed, sizes). ``archs``: one row per architecture in
    training order, the page's summary row (label, cell, layers, parameters, epochs,
    seconds_per_epoch, val_loss, best_val_loss, accuracy, reason, clip_norm) plus
    ``history`` (epoch records) and ``grad_init`` / ``grad_trained`` (T,) lists.
    """

    task: dict
    hidden_size: int
    train_cfg: dict
    budget: dict
    archs: list[dict]
    lines: list[str]  # the reading, markdown sentences
    stopped: bool = False
    seconds: float = 0.0
    device: dict = field(default_factory=dict)  # where it trained: label, threads...
    extras: dict = field(default_factory=dict)  # saved_run_id once in the runs folder

    @property
    def order(self) -> list[str]:
        return [a["label"] for a in self.archs]

    def reading(self) -> list[str]:
        return list(self.lines)

    def snapshot(self) -> dict:
        """The fields of a comparison job's snapshot that the page draws from."""
        rows = {a["label"]: {k: v for k, v in a.items() if k != "history"} for a in self.archs}
        return {
            "task": dict(self.task),
            "order": self.order,
            "histories": {a["label"]: list(a.get("history") or []) for a in self.archs},
            "summaries": rows,
        }

    def best(self) -> dict | None:
        """The architecture with the lowest final validation loss (None if none is finite)."""
        scored = [a for a in self.archs if math.isfinite(_num(a.get("val_loss")))]
        return min(scored, key=lambda a: a["val_loss"]) if scored else None

    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "summary": {
                "task": self.task,
                "hidden_size": self.hidden_size,
                "train_cfg": self.train_cfg,
                "budget": self.budget,
                "archs": self.archs,
                "reading": self.lines,
                "stopped": self.stopped,
                "seconds": self.seconds,
                "device": self.device,
            },
        }

    def to_json(self) -> str:
        """The summary as strict JSON (NaN as null): what the Runs page exports."""
        return json.dumps(clean_json(self.to_dict()), indent=1)


def summarize(result: CompareResult) -> CompareSummary:
    """The storable summary of a live comparison (its reading computed now, from it)."""
    task = result.task
    archs = []
    for r in result.results:
        row = r.summary() | {"grad_init": list(r.grad_init), "grad_trained": list(r.grad_trained)}
        archs.append(row | {"history": [dict(h) for h in r.fit.history]})
    return CompareSummary(
        task=task.info()
        | {
            "description": task.description,
            "params": clean_json(task.params),
        },
        hidden_size=result.hidden_size,
        train_cfg=result.train_cfg.to_dict(),
        budget=result.budget,
        archs=archs,
        lines=read_comparison(result),
        stopped=result.stopped,
        seconds=result.seconds,
        device=dict(next((r.fit.device for r in result.results if r.fit.device), {})),
    )


def from_dict(ckpt: dict) -> CompareSummary:
    """A summary from a payload; CheckpointError saying what is wrong with it."""
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"this is not a comparison summary (format {FORMAT!r} expected)")
    if ckpt.get("version") != VERSION:
        raise CheckpointError(
            f"this comparison summary has version {ckpt.get('version')!r}; this LSTM Lab "
            f"reads version {VERSION}"
        )
    s = ckpt.get("summary")
    if not isinstance(s, dict) or not isinstance(s.get("task"), dict):
        raise CheckpointError("the comparison summary has no task")
    archs = s.get("archs")
    if not isinstance(archs, list) or not all(isinstance(a, dict) for a in archs):
        raise CheckpointError("the comparison summary has no list of architectures")
    for i, a in enumerate(archs):
        missing = [k for k in ROW_KEYS if k not in a]
        if missing:
            raise CheckpointError(f"architecture {i + 1} of the summary lacks {', '.join(missing)}")
    return CompareSummary(
        task=dict(s["task"]),
        hidden_size=int(s.get("hidden_size") or 0),
        train_cfg=dict(s.get("train_cfg") or {}),
        budget=dict(s.get("budget") or {}),
        archs=[a | {k: _num(a.get(k)) for k in NUMBERS} for a in archs],
        lines=[str(line) for line in s.get("reading") or []],
        stopped=bool(s.get("stopped")),
        seconds=_num(s.get("seconds")),
        device=dict(s.get("device") or {}),
    )


def _finite(v: Any) -> float | None:
    v = _num(v)
    return v if math.isfinite(v) else None


class CompareKind(RunKind):
    kind, format, label = "compare", FORMAT, "comparison"
    units = UNITS  # the task's loss: MSE or cross-entropy, as the task says
    run_type = CompareSummary
    export_json = True  # the Runs page exports the JSON summary (there are no weights)
    exported = False  # no checkpoint file to download: not listed among import formats

    def to_payload(self, run: CompareSummary) -> dict:
        return run.to_dict()

    def from_payload(self, ckpt: dict) -> CompareSummary:
        return from_dict(ckpt)

    def history(self, run: CompareSummary) -> list[dict]:
        """Every architecture's epoch records, each tagged with its ``arch`` label."""
        return [{"arch": a["label"], **h} for a in run.archs for h in a.get("history") or []]

    def data_name(self, run: CompareSummary) -> str:
        return str(run.task.get("title") or run.task.get("name") or "task")

    def default_name(self, run: CompareSummary) -> str:
        return f"{' vs '.join(run.order) or 'comparison'} · {self.data_name(run)}"

    def meta(self, run: CompareSummary) -> dict:
        best, t = run.best(), run.task
        loss = "cross-entropy" if t.get("loss") == "ce" else "MSE"
        return {
            "model": f"{' / '.join(run.order)} {run.hidden_size} units",  # the list's column
            "task": {k: t.get(k) for k in ("name", "title", "lag", "loss", "trivial")},
            "dataset": {"name": self.data_name(run), "provenance": t.get("params") or {}},
            "train_cfg": dict(run.train_cfg),
            "budget": dict(run.budget),
            "archs": [
                {
                    "label": a["label"],
                    "parameters": a.get("parameters"),
                    "seconds_per_epoch": _finite(a.get("seconds_per_epoch")),
                    "val_loss": _finite(a.get("val_loss")),
                    "best_val_loss": _finite(a.get("best_val_loss")),
                    "reason": a.get("reason"),
                }
                for a in run.archs
            ],
            "fit": {
                "best_val_loss": _finite(best["val_loss"]) if best else None,  # task units
                "best_arch": best["label"] if best else None,
                "loss": loss,
                "reason": "stopped" if run.stopped else "completed",
                "seconds": run.seconds,
                "device": dict(run.device),
            },
            "stopped": run.stopped,
            "n_epochs": run.budget.get("epochs"),
            "n_params": sum(int(a.get("parameters") or 0) for a in run.archs),
        }

    def checkpoint_bytes(self, store, run_id: str, weights: str = "auto") -> bytes:
        """The export: the stored summary as JSON (no weights to download)."""
        return self.load(store, run_id).to_json().encode()


register(CompareKind())
