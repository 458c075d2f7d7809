"""RNN vs GRU vs LSTM comparisons in the runs folder (core): autosave of comparison jobs
(done, stopped, failed save), the summary-only "lstm-lab/compare" payload and its loader,
the JSON export. Real models on a small delayed-echo task."""

from __future__ import annotations

import io
import json
import math
from functools import partial

import pytest
import torch
from conftest import wait_until

from core.compare.longmemory import make_task
from core.compare.reading import read_comparison
from core.compare.specs import ARCHITECTURES
from core.compare.training import compare
from core.config import TrainConfig
from core.jobs.threads import Job
from core.runs import registry as run_kinds
from core.runs.formats.forecaster import CheckpointError
from core.runs.kinds.compare import FORMAT, CompareSummary, from_dict, summarize
from core.runs.store import RunStore
from core.tasks.compare import compare_job

MAKE = partial(make_task, "echo", 4, n_train=256, n_val=128, seed=0)
SPECS = [ARCHITECTURES[label] for label in ("RNN", "GRU", "LSTM")]
TRAIN = TrainConfig(epochs=2, batch_size=64, lr=1e-2, seed=0, device="cpu")


@pytest.fixture(scope="module")
def result():
    return compare(MAKE(), SPECS, 8, TRAIN)


def _finished(fn) -> Job:
    job = Job(fn, name="compare autosave", kind="compare")
    job.start()
    assert job.join(300)
    return job


def _walk(obj):
    yield obj
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v)


def test_a_comparison_job_is_saved_as_a_compare_run_with_its_summary(tmp_path):
    store = RunStore(tmp_path)
    job = _finished(compare_job(MAKE, SPECS, 8, TRAIN, store=store, session="s1"))
    res, snap = job.result, job.snapshot()
    assert snap["status"] == "done" and "save_warning" not in snap
    [info] = store.list()
    assert snap["saved_run"] == info.id == res.extras["saved_run_id"]
    assert (info.kind, info.session, info.meta["origin"]) == ("compare", "s1", "trained")
    assert info.name == "RNN vs GRU vs LSTM · Delayed echo, lag 4"
    m, row = info.meta, info.summary()
    assert m["units"] == row["units"] == "validation loss (task units)"
    assert row["model"] == "RNN / GRU / LSTM 8 units" and row["data"] == "Delayed echo, lag 4"
    assert m["task"]["lag"] == 4 and m["budget"]["seed"] == 0 and m["budget"]["epochs"] == 2
    assert [a["label"] for a in m["archs"]] == ["RNN", "GRU", "LSTM"]
    assert [a["parameters"] for a in m["archs"]] == [r.n_params for r in res.results]
    assert [a["val_loss"] for a in m["archs"]] == pytest.approx([r.val_loss for r in res.results])
    best = min(res.results, key=lambda r: r.val_loss)
    assert m["fit"]["best_val_loss"] == pytest.approx(best.val_loss)
    assert m["fit"]["best_arch"] == best.spec.label and m["stopped"] is False
    history = store.history(info.id)  # every architecture's epochs, tagged
    assert [(h["arch"], h["epoch"]) for h in history] == [
        (a, e) for a in ("RNN", "GRU", "LSTM") for e in (1, 2)
    ]

    payload = torch.load(store.payload_path(info.id), weights_only=True)
    assert payload["format"] == FORMAT and payload["version"] == 1
    assert not [x for x in _walk(payload) if isinstance(x, torch.Tensor)]  # no weights, no data
    assert info.size_bytes < 64 * 1024
    opened = run_kinds.get("compare").load(store, info.id)
    assert isinstance(opened, CompareSummary) and opened.extras["saved_run_id"] == info.id
    assert opened.reading() == read_comparison(res)
    for a, r in zip(opened.archs, res.results, strict=True):
        assert a["grad_init"] == pytest.approx(r.grad_init)
        assert a["grad_trained"] == pytest.approx(r.grad_trained)
        assert [h["val_loss"] for h in a["history"]] == [h["val_loss"] for h in r.fit.history]
        assert a["seconds_per_epoch"] == pytest.approx(r.seconds_per_epoch)


def test_a_stopped_comparison_is_saved_with_what_was_trained(tmp_path):
    store = RunStore(tmp_path)
    job = Job(compare_job(MAKE, SPECS, 8, TRAIN.replace(epochs=500), store=store))
    job.start()
    wait_until(lambda: job.snapshot().get("histories"), 300, what="a first epoch")
    job.stop()
    assert job.join(300)
    [info] = store.list()
    assert job.result.stopped and info.meta["stopped"] is True
    assert info.meta["fit"]["reason"] == "stopped"
    opened = run_kinds.get("compare").load(store, info.id)
    assert opened.order == [r.spec.label for r in job.result.results]
    assert opened.reading()[1].startswith("You stopped the comparison")


def test_a_failed_save_is_a_warning_and_the_result_survives(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the runs folder should be")
    job = _finished(compare_job(MAKE, SPECS[:1], 8, TRAIN, store=RunStore(blocker)))
    snap = job.snapshot()
    assert snap["status"] == "done" and len(job.result.results) == 1
    assert snap["save_warning"].startswith(
        "the run was trained but could not be saved in the runs folder: "
    )
    assert str(tmp_path) not in snap["save_warning"]  # never a server path in the browser
    assert "saved_run_id" not in job.result.extras


def test_no_store_means_no_save(tmp_path):
    job = _finished(compare_job(MAKE, SPECS[:1], 8, TRAIN, store=None))
    assert "saved_run" not in job.snapshot() and job.result.results


def test_the_json_export_is_strict_and_nan_becomes_null(tmp_path, result):
    summary = summarize(result)
    summary.archs[0]["val_loss"] = math.nan  # as after a diverged architecture
    store = RunStore(tmp_path)
    info = run_kinds.get("compare").save(store, summary).info
    text = run_kinds.get("compare").checkpoint_bytes(store, info.id).decode()
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in strict JSON"))
    assert data["format"] == FORMAT and data["summary"]["archs"][0]["val_loss"] is None
    assert data["summary"]["reading"] == read_comparison(result)
    back = from_dict(data)  # the JSON reads back: null is NaN again
    assert math.isnan(back.archs[0]["val_loss"])
    assert back.archs[1]["val_loss"] == pytest.approx(result.results[1].val_loss)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.update(format="lstm-lab/charlm"),
         "this is not a comparison summary (format 'lstm-lab/compare' expected)"),
        (lambda d: d.update(version=7),
         "this comparison summary has version 7; this LSTM Lab reads version 1"),
        (lambda d: d["summary"].pop("task"), "the comparison summary has no task"),
        (lambda d: d["summary"].update(archs="RNN"),
         "the comparison summary has no list of architectures"),
        (lambda d: d["summary"]["archs"][1].pop("grad_init"),
         "architecture 2 of the summary lacks grad_init"),
    ],
)  # fmt: skip
def test_a_damaged_summary_is_refused_with_the_reason(result, change, message):
    d = summarize(result).to_dict()
    change(d)
    with pytest.raises(CheckpointError) as e:
        from_dict(d)
    assert str(e.value) == message
    buf = io.BytesIO()
    torch.save(d, buf)
    if d.get("format") == FORMAT:  # an imported file says the same
        with pytest.raises(CheckpointError) as again:
            run_kinds.import_checkpoint(buf.getvalue())
        assert str(again.value) == message


def test_the_kind_is_registered(result):
    kind = run_kinds.get("compare")
    summary = summarize(result)
    assert run_kinds.of(summary) is kind and run_kinds.for_format(FORMAT) is kind
    assert (kind.label, kind.onnx, kind.units) == (
        "comparison", False, "validation loss (task units)",
    )  # fmt: skip
    assert run_kinds.kinds()["compare"] is kind  # registered by importing core.runs
    assert FORMAT not in run_kinds.formats()  # no checkpoint to download, so none advertised
