"""Record the gates of one fixed window every epoch, to replay how they organise themselves.

A :class:`GateProbe` is a trainer callback. At the start of training (epoch 0, the
initial weights) and after every epoch it recomputes the gates of the same probe
window with :func:`core.gates.compute.recurrent_gates` and appends them, as float16, to a
:class:`GateRecording`. Memory is bounded: when the recording would hold more
snapshots than it may (``max_snapshots``, and at most ``max_bytes`` in total), the
stride between kept epochs doubles (0, 2, 4, ... then 0, 4, 8, ...) and the latest
epoch is always kept, so the snapshots stay evenly spread over the whole run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from core.data import Prepared
from core.gates.compute import recurrent_gates
from core.gates.view import SIGMOID_KEYS, rnn_of, window_input
from core.training.trainer import Callback, FitResult, Trainer

MAX_SNAPSHOTS = 60
MAX_BYTES = 32 * 2**20  # per recording
PLAIN_FORMAT = "lstm-lab/gate-recording-1"
SAVED_KEY = "probe_data"  # run.extras key of the plain copy, written when training ends


@dataclass(frozen=True)
class Snapshot:
    """The probe window's gates after ``epoch`` epochs (0 = initial weights)."""

    epoch: int
    train_loss: float | None
    val_loss: float | None
    gates: dict[str, np.ndarray]  # key -> float16 (L, D, T, H)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.gates.values())


@dataclass(frozen=True)
class ProbeWindow:
    """Which window is probed: sample ``k`` of ``span``."""

    span: str
    k: int
    x: np.ndarray  # (T, F) float32, scaled


def probe_window(prepared: Prepared) -> ProbeWindow:
    """The first validation window (data the model never trains on), else the last train one."""
    if len(prepared.val):
        return ProbeWindow("val", 0, prepared.val.x[0])
    if len(prepared.train):
        k = len(prepared.train) - 1
        return ProbeWindow("train", k, prepared.train.x[k])
    raise ValueError("no window to probe: the data has no training or validation windows")


class GateRecording:
    """A bounded, thread-safe list of snapshots of one probe window."""

    def __init__(
        self, window: ProbeWindow, max_snapshots: int = MAX_SNAPSHOTS, max_bytes: int = MAX_BYTES
    ):
        if max_snapshots < 2:
            raise ValueError("max_snapshots must be at least 2")
        self.window = window
        self.max_snapshots = max_snapshots
        self.max_bytes = max_bytes
        self.seconds = 0.0  # time spent recording, on the training thread
        self.stride = 1  # epochs between kept snapshots (the latest is always kept)
        self._snaps: list[Snapshot] = []
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:  # pickles (to and from a Ray worker) without its lock
        with self._lock:
            state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def add(self, snap: Snapshot) -> None:
        """Append; beyond the cap, double the stride and keep epochs that are multiples of it."""
        with self._lock:
            snaps = self._snaps
            if snaps and snaps[-1].epoch % self.stride:
                snaps.pop()  # the previous latest was only kept for being the latest
            snaps.append(snap)
            while len(snaps) > self.cap(snap.nbytes):
                self.stride *= 2
                snaps = [s for s in snaps[:-1] if s.epoch % self.stride == 0] + [snaps[-1]]
            self._snaps = snaps

    def cap(self, snapshot_bytes: int) -> int:
        """How many snapshots of this size fit: min(max_snapshots, max_bytes // size), >= 2."""
        return max(2, min(self.max_snapshots, self.max_bytes // max(snapshot_bytes, 1)))

    @property
    def snapshots(self) -> list[Snapshot]:
        with self._lock:
            return list(self._snaps)

    @property
    def epochs(self) -> list[int]:
        return [s.epoch for s in self.snapshots]

    def at(self, epoch: int) -> Snapshot:
        """The snapshot of ``epoch`` (one that was kept)."""
        for s in self.snapshots:
            if s.epoch == epoch:
                return s
        raise KeyError(f"no snapshot of epoch {epoch}; recorded: {self.epochs}")

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self.snapshots)

    def __len__(self) -> int:
        with self._lock:
            return len(self._snaps)

    def to_dict(self) -> dict:
        """Plain data (numbers, strings, numpy arrays): what a saved run's extras can hold."""
        w = self.window
        return {
            "format": PLAIN_FORMAT,
            "window": {"span": w.span, "k": w.k, "x": w.x},
            "seconds": self.seconds,
            "stride": self.stride,
            "snapshots": [
                {
                    "epoch": s.epoch,
                    "train_loss": s.train_loss,
                    "val_loss": s.val_loss,
                    "gates": dict(s.gates),
                }
                for s in self.snapshots
            ],
        }

    @classmethod
    def from_dict(cls, d: dict) -> GateRecording:
        """Inverse of :meth:`to_dict`; ValueError for anything else."""
        if not isinstance(d, dict) or d.get("format") != PLAIN_FORMAT:
            raise ValueError("not a gate recording (its 'format' field is missing or different)")
        w = d["window"]
        rec = cls(ProbeWindow(w["span"], int(w["k"]), np.asarray(w["x"], np.float32)))
        rec.seconds, rec.stride = float(d.get("seconds", 0.0)), int(d.get("stride", 1))
        rec._snaps = [
            Snapshot(
                int(s["epoch"]),
                s.get("train_loss"),
                s.get("val_loss"),
                {k: np.asarray(v, np.float16) for k, v in s["gates"].items()},
            )
            for s in d["snapshots"]
        ]
        return rec


class GateProbe(Callback):
    """Trainer callback filling a :class:`GateRecording` at start and after every epoch."""

    def __init__(
        self,
        recording: GateRecording,
        publish: Callable[..., None] | None = None,
        extras: dict | None = None,
    ):
        self.recording = recording
        self.publish = publish  # e.g. JobContext.publish: reports the snapshot count
        self.extras = extras  # a run's extras: gets the plain copy that saved runs keep
        self._x: torch.Tensor | None = None

    def _record(self, trainer: Trainer, epoch: int, record: dict | None) -> None:
        t0 = time.perf_counter()
        rnn = rnn_of(trainer.model)
        device = next(rnn.parameters()).device
        if self._x is None or self._x.device != device:
            self._x = torch.from_numpy(self.recording.window.x)[None].to(device)  # (1, T, F)
        gates = recurrent_gates(rnn, self._x)  # each (L, D, 1, T, H)
        arrays = {k: v[:, :, 0].cpu().numpy().astype(np.float16) for k, v in gates.items()}
        rec = record or {}
        self.recording.add(Snapshot(epoch, rec.get("train_loss"), rec.get("val_loss"), arrays))
        self.recording.seconds += time.perf_counter() - t0
        if self.publish is not None:  # the latest snapshot of layer 1, forward: for a live view
            live = {k: a[0, 0].copy() for k, a in arrays.items()}  # key -> (T, H) float16
            self.publish(
                probe_snapshots=len(self.recording),
                probe_last_epoch=epoch,
                probe_live={"epoch": epoch, "val_loss": rec.get("val_loss"), "gates": live},
            )

    def on_train_begin(self, trainer: Trainer) -> None:
        self._record(trainer, 0, None)

    def on_epoch_end(self, trainer: Trainer, record: dict) -> None:
        self._record(trainer, record["epoch"], record)

    def on_train_end(self, trainer: Trainer, result: FitResult) -> None:
        self._x = None  # release the device copy
        if self.extras is not None:  # shares the arrays: no second copy in memory
            self.extras[SAVED_KEY] = self.recording.to_dict()


def attach_probe(run, publish: Callable[..., None] | None = None, **limits) -> GateProbe:
    """A probe on the run's probe window, its recording stored in ``run.extras["probe"]``."""
    recording = GateRecording(probe_window(run.prepared), **limits)
    if publish is not None:  # the probe window in original units, with its dates
        w = recording.window
        publish(probe_window=window_input(run, w.span, w.k).raw, probe_span=w.span)
    run.extras["probe"] = recording
    return GateProbe(recording, publish, extras=run.extras)


def recording_of(extras: dict) -> GateRecording | None:
    """The run's recording: the live object, or one rebuilt from a saved run's plain copy."""
    rec = extras.get("probe")
    if isinstance(rec, GateRecording):
        return rec
    try:
        return GateRecording.from_dict(extras[SAVED_KEY]) if SAVED_KEY in extras else None
    except (ValueError, KeyError, TypeError):
        return None


def gate_trend(recording: GateRecording, layer: int = 0, direction: int = 0) -> dict[str, list]:
    """Per kept epoch, for one layer/direction: the mean of each sigmoid gate and the share
    of saturated sigmoid-gate values, mean[v < 0.1 or v > 0.9] (how switch-like they became).

    Returns {"epoch": [...], "mean f": [...], ..., "saturated": [...]}; empty lists for a
    vanilla RNN's gates (it has none).
    """
    out: dict[str, list] = {"epoch": []}
    for snap in recording.snapshots:
        out["epoch"].append(snap.epoch)
        gates = [k for k in snap.gates if k in SIGMOID_KEYS]
        values = []
        for k in gates:
            v = snap.gates[k][layer, direction].astype(np.float32)  # (T, H)
            out.setdefault(f"mean {k}", []).append(float(v.mean()))
            values.append(v.ravel())
        if values:
            v = np.concatenate(values)
            out.setdefault("saturated", []).append(float(np.mean((v < 0.1) | (v > 0.9))))
    return out
