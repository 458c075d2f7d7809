"""Runs and checkpoints written by an older LSTM Lab (tests/fixtures/legacy, main f12acf7)
still list, open through their kind, and compute what they computed when they were saved."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from conftest import ROOT

from core.runs import registry as run_kinds
from core.runs.kinds.compare import CompareSummary
from core.runs.store import RunStore
from core.text import generate

LEGACY = ROOT / "tests" / "fixtures" / "legacy"
EXPECT = json.loads((LEGACY / "expect.json").read_text())
KINDS = ("forecaster", "text", "sentiment", "compare")


@pytest.fixture
def store(tmp_path) -> RunStore:
    """A copy of the legacy runs folder: tests never write into the fixtures."""
    shutil.copytree(LEGACY / "runs", tmp_path / "runs")
    return RunStore(tmp_path / "runs")


def open_run(store: RunStore, kind: str):
    info = store.get(EXPECT[kind]["id"])
    assert info.kind == kind
    return run_kinds.info_kind(info).load(store, info.id)


def test_every_legacy_run_lists_undamaged(store):
    runs = {r.id: r for r in store.list()}
    assert set(runs) == {EXPECT[k]["id"] for k in KINDS}
    for kind in KINDS:
        info = runs[EXPECT[kind]["id"]]
        assert info.broken is None and info.kind == kind
        assert run_kinds.info_kind(info) is run_kinds.get(kind)
        row = info.summary()
        assert row["broken"] is None and row["name"] == f"legacy {kind}"


def test_the_forecaster_predicts_as_it_did(store):
    run = open_run(store, "forecaster")
    assert run.extras["saved_run_id"] == EXPECT["forecaster"]["id"]
    got = run.predictions("test")["prediction"].to_numpy()[:10]
    np.testing.assert_array_equal(got, EXPECT["forecaster"]["test_pred"])
    assert store.history(EXPECT["forecaster"]["id"])  # history.json reads back
    for weights in ("best", "last"):
        assert (
            run_kinds.get("forecaster")
            .checkpoint_source(store, run.extras["saved_run_id"], weights)
            .is_file()
        )


def test_the_text_model_generates_the_same_text(store):
    run = open_run(store, "text")
    assert generate(run.model, run.vocab, "\n", 40, 0.0, 0, 11).text == EXPECT["text"]["gen"]


def test_the_sentiment_model_gives_the_same_probabilities(store):
    run = open_run(store, "sentiment")
    p = run.predict_proba(EXPECT["sentiment"]["sentences"])
    np.testing.assert_allclose(p, EXPECT["sentiment"]["p"], atol=1e-6)


def test_the_comparison_summary_opens(store):
    summary = open_run(store, "compare")
    assert isinstance(summary, CompareSummary)
    assert summary.order and summary.reading()
    assert set(summary.snapshot()["summaries"]) == set(summary.order)
    assert json.loads(run_kinds.get("compare").checkpoint_bytes(store, EXPECT["compare"]["id"]))


@pytest.mark.parametrize("kind", ["forecaster", "text", "sentiment"])
def test_each_legacy_checkpoint_imports(kind, tmp_path):
    path = tmp_path / f"{kind}.pt"
    shutil.copyfile(LEGACY / f"{kind}.pt", path)
    found, run = run_kinds.import_checkpoint(path)
    assert found is run_kinds.get(kind) and isinstance(run, found.run_type)
    if kind == "forecaster":
        got = run.predictions("test")["prediction"].to_numpy()[:10]
        np.testing.assert_array_equal(got, EXPECT["forecaster"]["test_pred"])
    elif kind == "text":
        assert generate(run.model, run.vocab, "\n", 40, 0.0, 0, 11).text == EXPECT["text"]["gen"]
    else:
        p = run.predict_proba(EXPECT["sentiment"]["sentences"])
        np.testing.assert_allclose(p, EXPECT["sentiment"]["p"], atol=1e-6)
