"""Sentiment classifiers in the runs folder (core): autosave of sentiment jobs, the
"lstm-lab/sentiment" checkpoint and its safe loader, import by format. A real Embedding +
LSTM trained for two epochs on the bundled IMDB sentences."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch
from conftest import wait_until

from core.config import TrainConfig
from core.jobs.threads import Job
from core.runs import registry as run_kinds
from core.runs.formats.common import CheckpointError
from core.runs.formats.sentiment import load_sentiment, sentiment_bytes, sentiment_to_dict
from core.runs.store import RunStore
from core.sentiment import (
    ClassifierConfig,
    SentimentRun,
    TextConfig,
    fit_sentiment,
    load_bundled,
    prediction_table,
)
from core.tasks.sentiment import sentiment_task

DATA = load_bundled("imdb")
TEXT = TextConfig(max_vocab=500, max_len=20)
MODEL = ClassifierConfig(embed_dim=8, hidden_size=8, bidirectional=True, attention=True)
TRAIN = TrainConfig(epochs=2, batch_size=64)
SENTENCES = ["A gorgeous, witty film.", "Dull, far too long, and zzqx unknownword."]


@pytest.fixture(scope="module")
def run() -> SentimentRun:
    return fit_sentiment(DATA, TEXT, MODEL, TRAIN)


def same_classifier(a: SentimentRun, b: SentimentRun) -> None:
    """Bit-identical probabilities, mistakes table and scores."""
    np.testing.assert_array_equal(a.predict_proba(SENTENCES), b.predict_proba(SENTENCES))
    assert prediction_table(a).equals(prediction_table(b))
    assert a.results == b.results and a.classes == b.classes
    assert a.prepared.oov_rate("test") == b.prepared.oov_rate("test")


def _finished(task) -> Job:
    job = Job(task, name="sentiment autosave", kind="sentiment")
    job.start()
    assert job.join(300)
    return job


def _torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


# -- autosave ----------------------------------------------------------------------------------
def test_a_sentiment_job_is_saved_as_a_sentiment_run_with_its_provenance(tmp_path):
    store = RunStore(tmp_path)
    job = _finished(sentiment_task(DATA, TEXT, MODEL, TRAIN, store=store, session="s1"))
    run, snap = job.result, job.snapshot()
    assert snap["status"] == "done" and "save_warning" not in snap
    [info] = store.list()
    assert snap["saved_run"] == info.id == run.extras["saved_run_id"]
    assert (info.kind, info.session, info.meta["origin"]) == ("sentiment", "s1", "trained")
    assert info.name == f"bi-LSTM 8×1 + attention · {DATA.name}"
    m = info.meta
    assert m["units"] == info.summary()["units"] == "cross-entropy / accuracy"
    ds = m["dataset"]
    assert ds["fingerprint"] == DATA.fingerprint() and ds["rows"] == len(DATA) == 1000
    assert ds["counts"] == DATA.counts() and ds["vocab_size"] == len(run.prepared.vocab)
    assert ds["provenance"]["citation"].startswith("Dimitrios Kotzias")
    assert ds["splits"] == {s: len(i) for s, i in run.prepared.index.items()}
    best = min(run.fit.history, key=lambda h: h["val_loss"])
    assert m["fit"]["best_val_loss"] == pytest.approx(best["val_loss"])
    assert m["fit"]["best_epoch"] == best["epoch"]
    assert m["fit"]["best_val_acc"] == pytest.approx(best["val_acc"])
    assert m["fit"]["reason"] == "completed" and m["fit"]["device"]["type"] == "cpu"
    for k in ("model", "majority", "bag_of_words"):
        assert m["test"][k]["accuracy"] == pytest.approx(run.results[k]["accuracy"])
    assert m["test"]["n"] == len(run.prepared.index["test"]) and m["n_epochs"] == 2
    assert m["data_cfg"] == TEXT.to_dict() and m["train_cfg"] == TRAIN.to_dict()
    assert m["model_cfg"] == run.model_cfg.to_dict() and m["n_params"] == run.n_params
    history = store.history(info.id)
    assert history == json.loads(json.dumps(run.fit.history))
    assert [(h["epoch"], "val_acc" in h) for h in history] == [(1, True), (2, True)]
    back = run_kinds.get("sentiment").load(store, info.id)
    assert back.extras["saved_run_id"] == info.id
    same_classifier(run, back)


def test_a_stopped_sentiment_job_is_saved_too(tmp_path):
    store = RunStore(tmp_path)
    job = Job(sentiment_task(DATA, TEXT, MODEL, TRAIN.replace(epochs=500), store=store))
    job.start()
    wait_until(lambda: job.snapshot().get("history"), 300, what="a first epoch")
    job.stop()
    assert job.join(300)
    assert job.snapshot()["status"] == "stopped" and job.result.fit.reason == "stopped"
    [info] = store.list()
    assert info.kind == "sentiment" and info.meta["fit"]["reason"] == "stopped"
    assert info.meta["n_epochs"] == len(job.result.fit.history) >= 1
    same_classifier(job.result, run_kinds.get("sentiment").load(store, info.id))


def test_a_failed_save_is_a_warning_and_the_classifier_survives(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the runs folder should be")
    job = _finished(sentiment_task(DATA, TEXT, MODEL, TRAIN, store=RunStore(blocker)))
    snap = job.snapshot()
    assert snap["status"] == "done" and job.result.fit.history
    assert snap["save_warning"].startswith(
        "the run was trained but could not be saved in the runs folder: "
    )
    assert str(tmp_path) not in snap["save_warning"]  # never a server path in the browser
    assert "saved_run_id" not in job.result.extras and job.result.results["model"]["n"] == 100


# -- checkpoint, export and import ------------------------------------------------------------
def test_the_checkpoint_holds_plain_data_and_round_trips(tmp_path, run):
    data = sentiment_bytes(run)
    ckpt = torch.load(io.BytesIO(data), weights_only=True)  # no code, only plain data
    assert ckpt["format"] == "lstm-lab/sentiment" and ckpt["version"] == 1
    assert ckpt["vocab"] == run.prepared.vocab.itos[2:] and ckpt["classes"] == run.classes
    assert ckpt["dataset"]["fingerprint"] == DATA.fingerprint()
    assert ckpt["test"]["texts"] == run.prepared.texts["test"]
    kind, back = run_kinds.import_checkpoint(data)
    assert kind.kind == "sentiment"
    same_classifier(run, back)
    assert back.fit.history == run.fit.history and back.fit.message == run.fit.message
    # an opened run saved again keeps the provenance of the whole dataset, not its test split
    info = kind.save(RunStore(tmp_path), back, origin="imported").info
    assert info.meta["dataset"]["fingerprint"] == DATA.fingerprint()
    assert info.meta["dataset"]["rows"] == 1000 and info.meta["origin"] == "imported"
    assert (
        kind.checkpoint_bytes(RunStore(tmp_path), info.id)
        == RunStore(tmp_path).payload_path(info.id).read_bytes()
    )
    same_classifier(run, load_sentiment(RunStore(tmp_path).payload_path(info.id)))


def _damaged(run: SentimentRun, change: str) -> bytes:
    ckpt = sentiment_to_dict(run)
    if change == "truncated":
        return sentiment_bytes(run)[:2000]
    if change == "vocab":
        ckpt["vocab"] = ckpt["vocab"][:-3]
    elif change == "classes":
        ckpt["classes"] = ["negative", "neutral", "positive"]
    elif change == "weights":
        ckpt["state_dict"]["head.weight"] = torch.zeros(2, 3)
    elif change == "no-results":
        del ckpt["results"]
    elif change == "results":
        ckpt["results"] = {"model": {"accuracy": 0.9}}
    elif change == "version":
        ckpt["version"] = 7
    elif change == "labels":
        ckpt["test"]["y"] = [5] * len(ckpt["test"]["y"])
    return _torch_bytes(ckpt)


WEIGHTS = "the checkpoint's weights do not fit its model settings: "


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            "truncated",
            "the file is truncated or damaged (its archive index is missing): download or copy "
            "it again",
        ),
        (
            "vocab",
            WEIGHTS + "the vocabulary has 499 words (with <pad> and <unk>) but the "
            "model expects 502",
        ),
        ("classes", WEIGHTS + "3 class names but the model has 2 outputs"),
        (
            "weights",
            "the weights are for a different architecture than this LSTM sentiment model "
            "(V=502): head.weight has shape (2, 3), the model expects (2, 16)",
        ),
        ("no-results", "the checkpoint lacks its 'results' entry"),
        (
            "results",
            "the checkpoint's test scores are incomplete: it needs the accuracy of the model, "
            "the majority class and the bag of words",
        ),
        (
            "version",
            "sentiment checkpoint version 7 is not supported (this LSTM Lab reads version 1)",
        ),
        ("labels", WEIGHTS + "the stored test sentences and their labels do not match"),
    ],
)
def test_a_damaged_sentiment_checkpoint_is_refused_with_the_reason(run, change, message):
    with pytest.raises(CheckpointError) as e:
        run_kinds.import_checkpoint(_damaged(run, change))
    assert str(e.value) == message
    with pytest.raises(CheckpointError) as again:  # the page's own loader says the same
        load_sentiment(_damaged(run, change))
    assert str(again.value) == message


def test_code_in_a_file_is_refused_and_other_formats_are_named(run):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    with pytest.raises(CheckpointError, match=r"^refused: the file contains Python objects"):
        load_sentiment(_torch_bytes({"format": "lstm-lab/sentiment", "x": Evil()}))
    charlm = _torch_bytes({"format": "lstm-lab/charlm", "version": 1})
    with pytest.raises(CheckpointError) as e:
        load_sentiment(charlm)
    assert str(e.value) == (
        "this checkpoint's format is 'lstm-lab/charlm', not a sentiment model "
        "('lstm-lab/sentiment')"
    )


def test_the_kind_is_registered_for_runs_and_format(run):
    kind = run_kinds.get("sentiment")
    assert run_kinds.of(run) is kind and run_kinds.for_format("lstm-lab/sentiment") is kind
    assert (kind.label, kind.onnx) == ("sentiment model", False)
    assert run_kinds.kinds()["sentiment"] is kind  # registered by importing core.runs
