"""The per-epoch gate probe: what it records equals the gates of the weights at that epoch."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pandas as pd
import pytest
import torch

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import load_sample
from core.forecast.run import build_run, train_run
from core.gates.compute import recurrent_gates
from core.gates.probe import (
    GateProbe,
    GateRecording,
    ProbeWindow,
    Snapshot,
    attach_probe,
    gate_trend,
    probe_window,
    recording_of,
)
from core.gates.view import window_input
from core.jobs.threads import DONE, Job
from core.tasks.forecast import forecast_task
from core.training.trainer import Callback

DATA = DataConfig(target="Close", lookback=12)
TRAIN = TrainConfig(epochs=4, batch_size=64, lr=5e-3)


@pytest.fixture(scope="module")
def sample():
    return load_sample("MSFT", last=260)


class Reference(Callback):
    """Computes the probe window's gates itself (float32) at the same moments as the probe."""

    def __init__(self, x: np.ndarray):
        self.x = torch.from_numpy(x)[None]
        self.gates: dict[int, dict[str, np.ndarray]] = {}

    def _take(self, trainer, epoch):
        g = recurrent_gates(trainer.model.rnn, self.x)
        self.gates[epoch] = {k: v[:, :, 0].numpy().copy() for k, v in g.items()}

    def on_train_begin(self, trainer):
        self._take(trainer, 0)

    def on_epoch_end(self, trainer, record):
        self._take(trainer, record["epoch"])


@pytest.mark.parametrize(
    "model",
    [
        ModelConfig(cell="lstm", hidden_size=6, num_layers=2, bidirectional=True),
        ModelConfig(cell="gru", hidden_size=5),
        ModelConfig(cell="rnn", hidden_size=4, num_layers=2),
    ],
    ids=["lstm-2x2", "gru", "rnn-2"],
)
def test_every_snapshot_equals_the_gates_of_that_epoch(sample, model):
    run = build_run(sample, DATA, model, TRAIN)
    probe = attach_probe(run)
    ref = Reference(run.extras["probe"].window.x)
    train_run(run, [probe, ref])
    rec = run.extras["probe"]
    assert rec is probe.recording
    assert rec.epochs == [0, 1, 2, 3, 4]
    d = 2 if model.bidirectional else 1
    for snap in rec.snapshots:
        assert set(snap.gates) == set(ref.gates[snap.epoch])
        for key, arr in snap.gates.items():
            assert arr.dtype == np.float16
            assert arr.shape == (model.num_layers, d, DATA.lookback, model.hidden_size)
            np.testing.assert_allclose(arr, ref.gates[snap.epoch][key], rtol=2e-3, atol=2e-3)
    # the weights moved, so the recorded gates changed between epoch 0 and the end
    assert np.abs(rec.at(4).gates["h"].astype(float) - rec.at(0).gates["h"]).max() > 1e-3
    # losses travel with the snapshots
    assert rec.at(0).train_loss is None
    assert rec.at(3).val_loss == pytest.approx(run.fit.history[2]["val_loss"])
    # the last snapshot is the final model (no early stopping): what the page draws at the end
    final = recurrent_gates(run.model.rnn, torch.from_numpy(rec.window.x)[None])
    np.testing.assert_allclose(rec.at(4).gates["h"], final["h"][:, :, 0], atol=2e-3)
    assert rec.seconds > 0


def test_probe_window_is_the_first_validation_window(sample):
    run = build_run(sample, DATA, ModelConfig(hidden_size=3), TRAIN)
    w = probe_window(run.prepared)
    assert (w.span, w.k) == ("val", 0)
    np.testing.assert_array_equal(w.x, run.prepared.val.x[0])
    no_val = build_run(sample, DATA.replace(val_fraction=0.0), ModelConfig(hidden_size=3), TRAIN)
    w = probe_window(no_val.prepared)
    assert (w.span, w.k) == ("train", len(no_val.prepared.train) - 1)
    empty = dataclasses.replace(
        no_val.prepared, train=no_val.prepared.val, val=no_val.prepared.val
    )  # both empty
    with pytest.raises(ValueError, match=r"^no window to probe: the data has no training or"):
        probe_window(empty)


def _snap(epoch: int, nbytes_each: int = 8) -> Snapshot:
    return Snapshot(epoch, 1.0, 1.0, {"h": np.zeros(nbytes_each // 2, np.float16)})


def test_thinning_keeps_epochs_evenly_spread_with_the_first_and_latest():
    rec = GateRecording(ProbeWindow("val", 0, np.zeros((3, 1), np.float32)), max_snapshots=5)
    seen = []
    for epoch in range(0, 41):
        rec.add(_snap(epoch))
        epochs = rec.epochs
        seen.append(len(epochs))
        assert len(epochs) <= 5
        assert epochs[0] == 0 and epochs[-1] == epoch
        regular = epochs[:-1]
        assert all(e % rec.stride == 0 for e in regular)
        assert np.all(np.diff(regular) == rec.stride)  # evenly spaced
    assert rec.stride == 16 and rec.epochs == [0, 16, 32, 40]
    assert max(seen) == 5


def test_memory_bound_caps_the_number_of_snapshots():
    rec = GateRecording(
        ProbeWindow("val", 0, np.zeros((3, 1), np.float32)), max_snapshots=60, max_bytes=3000
    )
    for epoch in range(100):
        rec.add(_snap(epoch, nbytes_each=1000))
    assert len(rec) <= 3 and rec.nbytes <= 3000
    assert rec.cap(1000) == 3 and rec.cap(10**6) == 2  # never fewer than first + latest


def test_recording_errors_are_exact():
    w = ProbeWindow("val", 0, np.zeros((3, 1), np.float32))
    with pytest.raises(ValueError, match=r"^max_snapshots must be at least 2$"):
        GateRecording(w, max_snapshots=1)
    rec = GateRecording(w)
    rec.add(_snap(0))
    with pytest.raises(KeyError, match=r"no snapshot of epoch 7; recorded: \[0\]"):
        rec.at(7)


def test_forecast_task_records_probes_and_publishes_the_count(sample):
    model = ModelConfig(cell="lstm", hidden_size=4)
    job = Job(forecast_task(sample, DATA, model, TRAIN.replace(epochs=3)), name="probe")
    job.start()
    assert job.join(timeout=300)
    assert job.status == DONE, job.snapshot().get("message")
    run = job.result
    rec = run.extras["probe"]
    assert isinstance(rec, GateRecording) and rec.epochs == [0, 1, 2, 3]
    snap = job.snapshot()
    assert snap["probe_snapshots"] == 4 and snap["probe_last_epoch"] == 3
    live = snap["probe_live"]  # what a page can draw while training runs
    assert live["epoch"] == 3 and set(live["gates"]) == {"i", "f", "g", "o", "c", "h"}
    for key, arr in live["gates"].items():
        np.testing.assert_array_equal(arr, rec.at(3).gates[key][0, 0])
    w = window_input(run, rec.window.span, rec.window.k)
    pd.testing.assert_frame_equal(snap["probe_window"], w.raw)


def test_a_stopped_run_keeps_the_snapshots_of_completed_epochs(sample):
    run = build_run(sample, DATA, ModelConfig(hidden_size=4), TRAIN.replace(epochs=10))
    probe = attach_probe(run)
    stop = threading.Event()

    class StopAfter2(Callback):
        def on_epoch_end(self, trainer, record):
            if record["epoch"] == 2:
                stop.set()

    train_run(run, [probe, StopAfter2()], stop_event=stop)
    assert run.fit.reason == "stopped"
    assert run.extras["probe"].epochs == [0, 1, 2]


def test_probe_callback_works_without_publish(sample):
    run = build_run(sample, DATA, ModelConfig(hidden_size=3), TRAIN.replace(epochs=1))
    rec = GateRecording(probe_window(run.prepared))
    train_run(run, [GateProbe(rec)])
    assert rec.epochs == [0, 1]


def test_gate_trend_follows_each_kept_snapshot(sample):
    run = build_run(sample, DATA, ModelConfig(hidden_size=5, num_layers=2), TRAIN)
    train_run(run, [attach_probe(run)])
    rec = run.extras["probe"]
    trend = gate_trend(rec, layer=1, direction=0)
    assert trend["epoch"] == rec.epochs
    assert set(trend) == {"epoch", "mean i", "mean f", "mean o", "saturated"}
    for j, snap in enumerate(rec.snapshots):
        f = snap.gates["f"][1, 0].astype(np.float32)
        assert trend["mean f"][j] == pytest.approx(float(f.mean()), rel=1e-6)
        sig = np.concatenate([snap.gates[k][1, 0].astype(np.float32).ravel() for k in "ifo"])
        assert trend["saturated"][j] == pytest.approx(float(np.mean((sig < 0.1) | (sig > 0.9))))
    rnn = build_run(sample, DATA, ModelConfig(cell="rnn", hidden_size=3), TRAIN.replace(epochs=1))
    train_run(rnn, [attach_probe(rnn)])
    assert gate_trend(rnn.extras["probe"]) == {"epoch": [0, 1]}


def test_a_saved_run_keeps_its_recording(sample, tmp_path):
    """The plain copy in run.extras survives the run store (weights_only files) intact."""
    from core.runs.kinds import forecaster as forecaster_runs
    from core.runs.store import RunStore

    run = build_run(sample, DATA, ModelConfig(hidden_size=4, num_layers=2), TRAIN)
    train_run(run, [attach_probe(run)])
    assert run.extras["probe_data"]["format"] == "lstm-lab/gate-recording-1"
    store = RunStore(tmp_path)
    loaded = forecaster_runs.load(store, forecaster_runs.save(store, run).info.id)
    assert "probe" not in loaded.extras  # the live object is not plain data...
    rec = recording_of(loaded.extras)  # ...the plain copy rebuilds it
    live = run.extras["probe"]
    assert rec.epochs == live.epochs and rec.window.span == live.window.span
    np.testing.assert_array_equal(rec.window.x, live.window.x)
    for a, b in zip(rec.snapshots, live.snapshots, strict=True):
        assert a.val_loss == b.val_loss
        for key in b.gates:
            assert a.gates[key].dtype == np.float16
            np.testing.assert_array_equal(a.gates[key], b.gates[key])
    assert recording_of({}) is None
    assert recording_of({"probe_data": {"format": "other"}}) is None
    with pytest.raises(ValueError, match=r"^not a gate recording \(its 'format' field is missing"):
        GateRecording.from_dict({"snapshots": []})
