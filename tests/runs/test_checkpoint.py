"""Checkpoints: round trips with the data inside, and every kind of bad file refused clearly."""

from __future__ import annotations

import io
import os
import pickle

import numpy as np
import pandas as pd
import pytest
import torch

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import Dataset, load_sample, synthetic
from core.forecast.run import fit_forecaster
from core.runs.formats import common
from core.runs.formats import forecaster as ck


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
    monkeypatch.setattr(common, "MAX_BYTES", 2**20)
    with pytest.raises(ck.CheckpointError) as e:
        ck.load_dict(good + b"\0" * 2**21)
    assert str(e.value) == "the file is 2 MB; checkpoints above 1 MB are refused"


# -- hostile checkpoints: refused with one sentence before any model is built ------------------
@pytest.fixture
def built(monkeypatch):
    """The devices every forecaster was constructed on while loading (meta = shapes only)."""
    devices: list[str] = []
    real = ck.RecurrentForecaster

    def spy(cfg):
        model = real(cfg)
        devices.append(next(model.parameters()).device.type)
        return model

    monkeypatch.setattr(ck, "RecurrentForecaster", spy)
    return devices


def _one_sentence(text: str) -> None:
    assert "\n" not in text and "Traceback" not in text and len(text) < 400


def _edit(run, **changes) -> dict:
    d = ck.run_to_dict(run)
    for key, value in changes.items():
        section, _, field = key.partition("__")
        d[section] = value if not field else {**d[section], field: value}
    return d


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"model_cfg__input_size": 2**40},
            "the checkpoint's model settings are invalid: input_size must be <= 1024, got "
            "1099511627776",
        ),
        (  # within the limits, but the file's tensors are tiny: refused on the meta device
            {"model_cfg__input_size": 1000},
            "the weights are for a different architecture than this LSTM (F=1000, H=5, L=1, "
            "K=2): rnn.weight_ih_l0 has shape (20, 2), the model expects (20, 1000)",
        ),
        (  # every size within its limit, the whole far above the weight budget
            {"model_cfg__hidden_size": 4096, "model_cfg__num_layers": 8},
            "the checkpoint declares a LSTM (F=2, H=4096, L=8, K=2) with 1,006,936,066 "
            "weights; LSTM Lab opens models of at most 100,000,000",
        ),
        (
            {"fit__evil": 1},
            "the checkpoint's training summary is damaged: unknown training summary field(s): evil",
        ),
        (
            {"fit__best_epoch": "two"},
            "the checkpoint's training summary is damaged: the training summary's "
            "'best_epoch' field has the wrong type",
        ),
        ({"dataset": 5}, None),  # a malformed summary is ignored: the data still matches
    ],
    ids=[
        "input-2**40",
        "input-1000-tiny-tensors",
        "over-budget",
        "fit-extra-key",
        "fit-wrong-type",
        "dataset-not-a-dict",
    ],
)
def test_declared_sizes_are_checked_before_building(run, built, changes, message):
    data = ck.to_bytes(_edit(run, **changes))
    if message is None:
        assert ck.load_run(data).dataset.fingerprint() == run.dataset.fingerprint()
        return
    with pytest.raises(ck.CheckpointError) as e:
        ck.load_run(data)
    assert str(e.value) == message
    _one_sentence(str(e.value))
    assert "cpu" not in built  # the model itself was never constructed


def _flip_in_tensor(data: bytes) -> bytes:
    """One byte changed inside the first stored tensor's bytes (its zip record's data)."""
    import zipfile

    zf = zipfile.ZipFile(io.BytesIO(data))
    info = next(i for i in zf.infolist() if "/data/" in i.filename and i.file_size > 8)
    head = data[info.header_offset : info.header_offset + 30]
    start = info.header_offset + 30 + int.from_bytes(head[26:28], "little")
    start += int.from_bytes(head[28:30], "little")
    out = bytearray(data)
    out[start + 3] ^= 0x40
    return bytes(out)


def test_a_flipped_byte_inside_a_tensor_is_refused(good, built):
    with pytest.raises(ck.CheckpointError) as e:
        ck.load_run(_flip_in_tensor(good))
    assert str(e.value) == (
        "the file is damaged (a stored record fails its checksum, so bytes changed after it "
        "was written): download or copy it again"
    )
    assert built == []


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused(run, built, bad):
    d = ck.run_to_dict(run)
    d["state_dict"]["head.weight"][0, 1] = bad
    with pytest.raises(ck.CheckpointError) as e:
        ck.load_run(ck.to_bytes(d))
    assert str(e.value) == (
        "the checkpoint's weights hold NaN or infinite values (head.weight): the model it "
        "was saved from had diverged, so it was not loaded"
    )
    assert "cpu" not in built


def test_a_tensor_that_does_not_hold_its_values_is_refused(run, built):
    d = ck.run_to_dict(run)
    d["state_dict"]["rnn.weight_ih_l0"] = torch.zeros(1).expand(20, 2)  # one value, 40 shown
    with pytest.raises(ck.CheckpointError) as e:
        ck.load_run(ck.to_bytes(d))
    assert (
        str(e.value)
        == "the checkpoint's weight rnn.weight_ih_l0 is not a plain torch.float32 tensor"
    )
    assert "cpu" not in built


def _text_ckpt() -> dict:
    from core.runs.formats.text import text_run_to_dict
    from core.text import Vocab
    from core.text.model import CharLM, CharModelConfig, CharTrainConfig
    from core.text.train import TextRun

    cfg = CharModelConfig(vocab_size=4, embed_size=3, hidden_size=5, num_layers=1)
    return text_run_to_dict(
        TextRun(cfg, CharTrainConfig(), CharLM(cfg), Vocab(tuple("abc\n")), corpus={})
    )


def _sentiment_ckpt() -> dict:
    from core.runs.formats.sentiment import sentiment_to_dict
    from core.sentiment.data import TextDataset
    from core.sentiment.model import ClassifierConfig
    from core.sentiment.train import TextConfig, build_run
    from core.training.trainer import FitResult

    texts = tuple(f"{w} film {i}" for i in range(20) for w in ("good", "bad"))
    data = TextDataset(texts, tuple(t.split()[0] for t in texts), "toy", {})
    run = build_run(
        data, TextConfig(min_freq=1), ClassifierConfig(embed_dim=3, hidden_size=4), TrainConfig()
    )
    run.fit = FitResult([], "completed", "done", None, None)
    run.results = {k: {"accuracy": 0.5} for k in ("model", "majority", "bag_of_words")}
    return sentiment_to_dict(run)


@pytest.mark.parametrize("kind", ["text", "sentiment"])
def test_text_and_sentiment_checkpoints_get_the_same_checks(kind, monkeypatch):
    from core.runs import registry as run_kinds

    make = _text_ckpt if kind == "text" else _sentiment_ckpt
    built: list[str] = []
    real = torch.nn.Module.__init__

    def spy(self, *a, **k):
        real(self, *a, **k)
        built.append(torch.empty(0).device.type)  # the default device while building

    monkeypatch.setattr(torch.nn.Module, "__init__", spy)
    key = "embed.weight" if kind == "text" else "embedding.weight"
    d = make()
    built.clear()
    d["state_dict"][key][1, 1] = float("nan")
    with pytest.raises(
        ck.CheckpointError,
        match=rf"^the checkpoint's weights hold NaN or infinite values \({key}\)",
    ):
        run_kinds.import_checkpoint(ck.to_bytes(d))
    assert "cpu" not in built

    d = make()
    d["model_cfg"]["hidden_size"] = 1000  # within the limits; the tensors are tiny
    built.clear()
    with pytest.raises(
        ck.CheckpointError, match=r"^the weights are for a different architecture than this"
    ):
        run_kinds.import_checkpoint(ck.to_bytes(d))
    assert "cpu" not in built

    d = make()
    d["model_cfg"]["vocab_size"] = 10**9
    with pytest.raises(ck.CheckpointError, match=r"vocab_size must be <= "):
        run_kinds.import_checkpoint(ck.to_bytes(d))
    with pytest.raises(ck.CheckpointError, match=r"^the file is damaged \(a stored record fails"):
        run_kinds.import_checkpoint(_flip_in_tensor(ck.to_bytes(make())))
    assert run_kinds.import_checkpoint(ck.to_bytes(make()))[0].kind == kind


def test_the_runs_page_shows_the_sentence_and_keeps_the_current_run(run, store):
    from conftest import errors_of, fresh_app, run_page, shown

    at = run_page(fresh_app(), "runs.py")
    at.file_uploader(key="runs-upload").set_value(
        ("model.pt", ck.to_bytes(ck.run_to_dict(run)), "application/octet-stream")
    )
    at.button(key="runs-import").click().run()
    assert not errors_of(at)
    current = at.session_state["run"]
    nan = ck.run_to_dict(run)
    nan["state_dict"]["head.weight"][0, 0] = float("nan")
    good = ck.to_bytes(ck.run_to_dict(run))
    for payload, message in [
        (ck.to_bytes(_edit(run, model_cfg__input_size=2**40)), "input_size must be <= 1024"),
        (ck.to_bytes(_edit(run, fit__evil=1)), "unknown training summary field(s): evil"),
        (_flip_in_tensor(good), "a stored record fails its checksum"),
        (ck.to_bytes(nan), "hold NaN or infinite values"),
    ]:
        at.file_uploader(key="runs-upload").set_value(("x.pt", payload, "application/octet-stream"))
        at.button(key="runs-import").click().run()
        assert not at.exception
        assert [shown(e.value) for e in at.error] and message in shown(at.error[0].value)
        _one_sentence(at.error[0].value)
        assert at.session_state["run"] is current  # the current run stays
        assert len(store.list()) == 1
