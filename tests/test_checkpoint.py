"""Checkpoints: round trips with the data inside, and every kind of bad file refused clearly."""

from __future__ import annotations

import io
import os
import pickle

import numpy as np
import pandas as pd
import pytest
import torch

from core import checkpoint as ck
from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import Dataset, load_sample, synthetic
from core.forecast import fit_forecaster


@pytest.fixture(scope="module")
def run():
    """A tiny LSTM trained 2 epochs on the last 160 days of the bundled MSFT sample."""
    ds = load_sample("MSFT", last=160)
    return fit_forecaster(
        ds,
        DataConfig(target="Close", features=("Close", "Volume"), lookback=6, horizon=2),
        ModelConfig(hidden_size=5),
        TrainConfig(epochs=2, batch_size=32, seed=3),
    )


@pytest.fixture(scope="module")
def good(run) -> bytes:
    return ck.to_bytes(ck.run_to_dict(run))


class Evil:
    def __reduce__(self):
        return (os.system, ("echo should-never-run",))


def test_round_trip_same_predictions_history_and_data(run, tmp_path):
    path = ck.save(run, tmp_path / "a.pt")
    again = ck.load_run(path)  # the data comes from inside the file
    assert again.dataset.fingerprint() == run.dataset.fingerprint()
    pd.testing.assert_frame_equal(again.dataset.frame, run.dataset.frame)
    for span in ("val", "test"):
        pd.testing.assert_frame_equal(again.predictions(span), run.predictions(span))
    assert again.fit.history == run.fit.history
    assert again.model_cfg == run.model_cfg and again.data_cfg == run.data_cfg
    assert not list(tmp_path.glob(".tmp-*"))  # the atomic write left no temp file


@pytest.mark.parametrize(
    "frame",
    [
        synthetic("sine", n=30).frame,  # RangeIndex "t"
        pd.DataFrame({"v": np.arange(5.0)}, index=pd.Index([3, 5, 9, 10, 11], name="step")),
        pd.DataFrame(
            {"v": np.arange(4.0)},
            index=pd.date_range("2024-01-01", periods=4, freq="h", tz="Europe/Paris", unit="s"),
        ),
        pd.DataFrame({"v": [1.5, 2.5]}, index=pd.Index(["a", "b"], name="key")),
    ],
    ids=["range", "int", "tz-datetime", "str"],
)
def test_embedded_data_keeps_its_fingerprint(frame):
    ds = Dataset(frame, "x")
    d = torch.load(io.BytesIO(ck.to_bytes(ck.dataset_to_dict(ds))), weights_only=True)
    back = ck.dataset_from_dict(d, "x", {})
    assert back.fingerprint() == ds.fingerprint()
    pd.testing.assert_frame_equal(back.frame, ds.frame, check_freq=False)


def test_a_dataset_given_must_have_the_same_fingerprint(run, good):
    other = load_sample("MSFT", last=161)
    with pytest.raises(ck.CheckpointError) as e:
        ck.load_run(good, other)
    assert str(e.value) == (
        "this checkpoint was trained on different data than the dataset given (fingerprints differ)"
    )
    assert ck.load_run(good, run.dataset).dataset is run.dataset


def test_without_its_data_it_asks_for_the_dataset(run):
    data = ck.to_bytes(ck.run_to_dict(run, include_data=False))
    with pytest.raises(ck.CheckpointError) as e:
        ck.load_run(data)
    assert str(e.value) == (
        "this checkpoint was saved without its data: load 'MSFT (offline sample)' first, "
        "then import it"
    )
    restored = ck.load_run(data, run.dataset)
    pd.testing.assert_frame_equal(restored.predictions("test"), run.predictions("test"))


def _torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda g: b"", "the file is empty: it is not a checkpoint"),
        (
            lambda g: b"Date,Close\n2020-01-01,1\n",
            "this file is not a PyTorch file, not a checkpoint saved by LSTM Lab (PyTorch's "
            "zip format); it was not loaded",
        ),
        (
            lambda g: pickle.dumps(Evil()),
            "this file is a plain Python pickle, not a checkpoint saved by LSTM Lab (PyTorch's "
            "zip format); it was not loaded",
        ),
        (
            lambda g: _torch_bytes({"format": ck.FORMAT, "payload": Evil()}),
            "refused: the file contains Python objects other than tensors and plain data "
            "(posix.system); loading them could run code, so LSTM Lab only reads "
            "checkpoints it wrote",
        ),
        (
            lambda g: g[: len(g) // 2],
            "the file is truncated or damaged (its archive index is missing): download or "
            "copy it again",
        ),
        (
            lambda g: _torch_bytes({"rnn.weight_ih_l0": torch.zeros(4, 1)}),
            "this file is a PyTorch file but not an LSTM Lab forecaster checkpoint (its "
            "'format' field is missing or different)",
        ),
        (
            lambda g: _torch_bytes({"format": "lstm-lab/text", "version": 1}),
            "this is an LSTM Lab 'text' checkpoint, not a forecaster: open it on the page "
            "that made it",
        ),
        (
            lambda g: _torch_bytes({"format": ck.FORMAT, "version": 99}),
            "checkpoint version 99 is not supported (this LSTM Lab reads version 1)",
        ),
        (
            lambda g: _torch_bytes({"format": ck.FORMAT, "version": 1, "data_cfg": {}}),
            "the checkpoint lacks its 'model_cfg' entry",
        ),
    ],
    ids=[
        "empty",
        "csv",
        "raw-pickle",
        "code-in-torch-file",
        "truncated",
        "plain-state-dict",
        "other-kind",
        "version",
        "missing-entry",
    ],
)
def test_bad_files_are_refused_with_the_reason(good, make, message, capfd):
    with pytest.raises(ck.CheckpointError) as e:
        ck.load_dict(make(good))
    assert str(e.value) == message
    assert "should-never-run" not in capfd.readouterr().out  # no code ran


def test_numpy_objects_are_refused_too():
    with pytest.raises(ck.CheckpointError, match=r"^refused: the file contains Python objects"):
        ck.load_dict(_torch_bytes({"format": ck.FORMAT, "w": np.zeros(3)}))


def test_other_architecture_is_refused(run):
    d = ck.run_to_dict(run)
    d["model_cfg"] = {**d["model_cfg"], "hidden_size": 7}
    with pytest.raises(ck.CheckpointError) as e:
        ck.load_dict(ck.to_bytes(d)) and ck.model_from_dict(d)
    assert str(e.value) == (
        "the weights are for a different architecture than this LSTM (F=2, H=7, L=1, K=2): "
        "rnn.weight_ih_l0 has shape (20, 2), the model expects (28, 2)"
    )
    d["model_cfg"] = {**d["model_cfg"], "hidden_size": 5, "cell": "gru"}
    with pytest.raises(ck.CheckpointError, match=r"rnn.weight_ih_l0 has shape \(20, 2\)"):
        ck.load_run(ck.to_bytes(d))
    d["model_cfg"] = {**d["model_cfg"], "cell": "lstm", "num_layers": 2}
    with pytest.raises(ck.CheckpointError) as e:
        ck.load_run(ck.to_bytes(d))
    assert str(e.value) == (
        "the weights are for a different architecture than this LSTM (F=2, H=5, L=2, K=2): "
        "missing rnn.bias_hh_l1, rnn.bias_ih_l1, rnn.weight_hh_l1, rnn.weight_ih_l1; "
        "unexpected nothing"
    )


def test_missing_file_and_oversized_upload(tmp_path, monkeypatch, good):
    with pytest.raises(ck.CheckpointError) as e:
        ck.load_dict(tmp_path / "nope.pt")
    assert str(e.value) == f"no checkpoint file at {tmp_path / 'nope.pt'}"
    monkeypatch.setattr(ck, "MAX_BYTES", 2**20)
    with pytest.raises(ck.CheckpointError) as e:
        ck.load_dict(good + b"\0" * 2**21)
    assert str(e.value) == "the file is 2 MB; checkpoints above 1 MB are refused"
