"""Text models in the runs folder (core): autosave of text jobs, the kind registry, generic
import by format, CLI. A real character model trained for a few steps on real Shakespeare."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys

import pytest
import torch
from conftest import ROOT, wait_until

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import synthetic
from core.forecast.run import fit_forecaster
from core.jobs.threads import Job
from core.runs import registry as run_kinds
from core.runs.formats.common import CheckpointError
from core.runs.formats.text import load_text_run
from core.runs.store import RunStore
from core.tasks.text import text_task
from core.text import (
    CharModelConfig,
    CharTrainConfig,
    TextRun,
    build_text_run,
    fit_text,
    generate,
    load_shakespeare,
)

CORPUS = load_shakespeare(3000)
MODEL = CharModelConfig(embed_size=8, hidden_size=16, num_layers=1)
TRAIN = CharTrainConfig(
    max_steps=4, batch_size=8, seq_len=32, log_every=2, sample_every_s=0, sample_length=20
)


def tiny_text(seed: int = 0) -> TextRun:
    run, train_ids, val_ids = build_text_run(CORPUS, MODEL, TRAIN.replace(seed=seed))
    return fit_text(run, train_ids, val_ids)


@pytest.fixture(scope="module")
def text_run() -> TextRun:
    return tiny_text()


def same_generation(a: TextRun, b: TextRun) -> None:
    for temperature in (0.0, 1.0):
        want = generate(a.model, a.vocab, "\n", 60, temperature, 0, 11).text
        assert generate(b.model, b.vocab, "\n", 60, temperature, 0, 11).text == want


def _finished(task) -> Job:
    job = Job(task, name="text autosave", kind="text")
    job.start()
    assert job.join(300)
    return job


# -- autosave ----------------------------------------------------------------------------------
def test_a_text_job_is_saved_as_a_text_run_with_its_provenance(tmp_path):
    store = RunStore(tmp_path)
    job = _finished(text_task(CORPUS, MODEL, TRAIN, store=store, session="s1"))
    run, snap = job.result, job.snapshot()
    assert snap["status"] == "done" and "save_warning" not in snap
    [info] = store.list()
    assert snap["saved_run"] == info.id == run.extras["saved_run_id"]
    assert (info.kind, info.session, info.meta["origin"]) == ("text", "s1", "trained")
    m = info.meta
    raw = CORPUS.text.encode("utf-8")
    assert m["dataset"]["fingerprint"] == hashlib.sha256(raw).hexdigest()
    assert (m["dataset"]["chars"], m["dataset"]["bytes"]) == (len(CORPUS.text), len(raw))
    assert m["dataset"]["name"] == "Tiny Shakespeare"
    assert m["dataset"]["provenance"]["origin"].startswith("karpathy/char-rnn")
    assert m["units"] == "bits/char" and info.summary()["units"] == "bits/char"
    best = min(run.history, key=lambda h: h["val_loss"])
    assert m["fit"]["best_val_loss"] == pytest.approx(best["val_loss"])
    assert m["fit"]["best_step"] == best["step"]
    assert m["fit"]["steps"] == 4 and m["fit"]["reason"] == "completed"
    assert m["fit"]["seconds"] > 0 and m["fit"]["device"]["type"] == "cpu"
    assert m["model_cfg"] == run.model_cfg.to_dict() and m["train_cfg"] == TRAIN.to_dict()
    assert m["n_params"] == run.n_params and m["baselines"] == run.baselines
    assert store.history(info.id) == json.loads(json.dumps(run.history))  # bits per char
    assert [h["step"] for h in store.history(info.id)] == [2, 4]
    back = run_kinds.get("text").load(store, info.id)
    assert back.extras["saved_run_id"] == info.id and back.history == run.history
    same_generation(run, back)


def test_a_stopped_text_job_is_saved_too(tmp_path):
    store = RunStore(tmp_path)
    job = Job(text_task(CORPUS, MODEL, TRAIN.replace(max_steps=None, epochs=1000), store=store))
    job.start()
    wait_until(lambda: job.snapshot().get("step", 0) >= 2, 300, what="two steps")
    job.stop()
    assert job.join(300)
    assert job.snapshot()["status"] == "stopped" and job.result.result["reason"] == "stopped"
    [info] = store.list()
    assert info.kind == "text" and info.meta["fit"]["reason"] == "stopped"
    assert info.meta["fit"]["steps"] == job.result.result["steps"] >= 2
    same_generation(job.result, run_kinds.get("text").load(store, info.id))


def test_a_failed_save_is_a_warning_and_the_text_model_survives(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the runs folder should be")
    job = _finished(text_task(CORPUS, MODEL, TRAIN, store=RunStore(blocker)))
    snap = job.snapshot()
    assert snap["status"] == "done" and job.result.history
    assert snap["save_warning"].startswith(
        "the run was trained but could not be saved in the runs folder: "
    )
    assert str(tmp_path) not in snap["save_warning"]  # never a server path in the browser
    assert "saved_run_id" not in job.result.extras


def test_a_text_job_without_a_store_saves_nothing(tmp_path):
    job = _finished(text_task(CORPUS, MODEL, TRAIN, store=None))
    assert job.snapshot()["status"] == "done" and "saved_run" not in job.snapshot()


# -- the registry, export and import by format ----------------------------------------------------
def test_kinds_are_found_by_run_and_by_format(text_run):
    forecaster = fit_forecaster(
        synthetic("sine", n=80), DataConfig(target="value", lookback=5),
        ModelConfig(hidden_size=3), TrainConfig(epochs=1, batch_size=32),
    )  # fmt: skip
    assert run_kinds.of(text_run).kind == "text" and run_kinds.of(forecaster).kind == "forecaster"
    assert run_kinds.for_format("lstm-lab/charlm").kind == "text"
    assert run_kinds.for_format("lstm-lab/forecaster").kind == "forecaster"
    assert run_kinds.get("text").onnx is False and run_kinds.get("forecaster").onnx is True
    with pytest.raises(TypeError, match=r"^str is not a kind of run the runs folder can keep$"):
        run_kinds.of("a string")


def test_export_bytes_of_a_text_run_are_its_charlm_checkpoint(tmp_path, text_run):
    store = RunStore(tmp_path)
    kind = run_kinds.get("text")
    info = kind.save(store, text_run, session="s").info
    data = kind.checkpoint_bytes(store, info.id)
    assert torch.load(io.BytesIO(data), weights_only=True)["format"] == "lstm-lab/charlm"
    same_generation(text_run, load_text_run(data))  # the Text page's own loader reads it
    imported_kind, imported = run_kinds.import_checkpoint(data)
    assert imported_kind is kind
    same_generation(text_run, imported)


KNOWN = "'lstm-lab/forecaster', 'lstm-lab/charlm' and 'lstm-lab/sentiment' checkpoints"


def _torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (
            {"format": "lstm-lab/translator", "version": 1},
            "this checkpoint's format is 'lstm-lab/translator', which this LSTM Lab cannot open; "
            "it imports " + KNOWN,
        ),
        (
            {"format": "[click](http://x) <b>"},
            "this checkpoint's format is '?click??http?//x???b?', which this LSTM Lab cannot "
            "open; it imports " + KNOWN,
        ),
        (
            {"weights": torch.ones(2)},
            "this file is a PyTorch file but not an LSTM Lab checkpoint (it has no 'format' "
            "field); LSTM Lab imports " + KNOWN,
        ),
        (
            [1, 2, 3],
            "this file is a PyTorch file but not an LSTM Lab checkpoint (it has no 'format' "
            "field); LSTM Lab imports " + KNOWN,
        ),
    ],
    ids=["other-lstm-lab-format", "markup-in-format", "no-format", "not-a-dict"],
)
def test_unknown_formats_are_refused_with_the_reason(obj, message):
    with pytest.raises(CheckpointError) as e:
        run_kinds.import_checkpoint(_torch_bytes(obj))
    assert str(e.value) == message


def test_a_damaged_text_checkpoint_is_refused_by_its_own_kind(text_run):
    bad = run_kinds.get("text").to_payload(text_run) | {"vocab": ["a", "b"]}
    with pytest.raises(CheckpointError, match=r"^the checkpoint's weights do not fit its model"):
        run_kinds.import_checkpoint(_torch_bytes(bad))


def test_a_new_kind_registers_in_a_few_lines(tmp_path):
    """What the sentiment model will do: a run type, a payload, a meta summary."""

    class Toy:
        def __init__(self, w: torch.Tensor):
            self.w, self.history, self.extras = w, [{"epoch": 1, "val_loss": 0.5}], {}

    class ToyKind(run_kinds.RunKind):
        kind, format, label, units, run_type = "toy", "lstm-lab/toy", "toy model", "nats", Toy

        def to_payload(self, run):
            return {"format": self.format, "w": run.w}

        def from_payload(self, ckpt):
            return Toy(ckpt["w"])

        def meta(self, run):
            return {"fit": {"best_val_loss": 0.5}, "dataset": {"name": "toys"}}

        def history(self, run):
            return run.history

    run_kinds.register(ToyKind())
    try:
        store = RunStore(tmp_path)
        info = run_kinds.of(Toy(torch.arange(3.0))).save(store, Toy(torch.arange(3.0))).info
        assert (info.kind, info.summary()["units"], info.best_val_loss) == ("toy", "nats", 0.5)
        assert torch.equal(run_kinds.get("toy").load(store, info.id).w, torch.arange(3.0))
        data = run_kinds.get("toy").checkpoint_bytes(store, info.id)
        kind, back = run_kinds.import_checkpoint(data)
        assert kind.kind == "toy" and torch.equal(back.w, torch.arange(3.0))
    finally:
        run_kinds._KINDS.pop("toy")


# -- command line ------------------------------------------------------------------------------
def _cli(*args: str, runs_dir) -> subprocess.CompletedProcess:
    env = {"LSTMLAB_RUNS_DIR": str(runs_dir), "LSTMLAB_THREADS": "1", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_cli_lists_the_kind_and_exports_a_text_checkpoint(tmp_path, text_run):
    store = RunStore(tmp_path / "runs")
    info = run_kinds.get("text").save(store, text_run, name="cli text").info
    out = _cli("runs", "list", runs_dir=store.root)
    assert out.returncode == 0, out.stderr
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith(info.id))
    assert "  text  " in line and "(bits/char)" in line and "'cli text'" in line
    rows = json.loads(_cli("runs", "list", "--json", runs_dir=store.root).stdout)["runs"]
    assert [(r["kind"], r["units"]) for r in rows] == [("text", "bits/char")]
    dest = tmp_path / "out.pt"
    out = _cli("export", "--run", info.id, "--checkpoint", str(dest), "--json", runs_dir=store.root)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["kind"] == "text"
    same_generation(text_run, load_text_run(dest))
    assert dest.read_bytes() == store.payload_path(info.id).read_bytes()
    out = _cli("export", "--run", info.id, "--onnx", str(tmp_path / "m.onnx"), runs_dir=store.root)
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "error: run 'cli text' is a text model: ONNX export is for forecasters only "
        "(export its checkpoint with --checkpoint, its history with --tensorboard)"
    )
