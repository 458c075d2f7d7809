"""The default sentiment model reads plain sentences right (issue 13.4): the probe list,
the shared defaults (all bundled sets, attention, early stopping) and ``--probe`` on the CLI."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import errors_of, run_page

from core.cli import build_parser, main
from core.sentiment import (
    DEFAULT_DATA,
    DEFAULT_TRAIN,
    ClassifierConfig,
    TextConfig,
    fit_sentiment,
    load_bundled,
    load_probe,
    probe_accuracy,
    read_sentences,
    tokenize,
)


@pytest.fixture(scope="module")
def default_run():
    """The default model, trained once for this module: default data and settings, seed 0,
    CPU, 1 thread. Measured: early stopping after epoch 5 (best epoch 3), test accuracy 0.778
    vs bag of words 0.781 and majority 0.500, 36 of 40 probe sentences right (the four misread
    are negated negatives: "not bad", "not disappointed", "never gets boring"); 130-400 s wall
    on the shared 2-core test machine under load."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield fit_sentiment(
            load_bundled(), TextConfig(), ClassifierConfig(), DEFAULT_TRAIN.replace(device="cpu")
        )
    finally:
        torch.set_num_threads(threads)


def test_probe_list_is_plain_praise_criticism_and_negation():
    rows = load_probe()
    assert len(rows) >= 30
    labels = [label for _, label in rows]
    assert set(labels) == {"positive", "negative"}
    assert abs(labels.count("positive") - labels.count("negative")) <= 2
    texts = {t.lower() for t, _ in rows}
    assert {"not bad at all.", "not good.", "not bad."} <= texts
    assert "this movie was absolutely wonderful, i loved every minute." in texts


def test_the_negation_supplement_leaves_the_probe_words_out():
    """The hand-written negations teach "not <word>" with other words than the probe's, so
    the probe measures whether negation carries over, not whether a sentence was memorised."""
    supplement = load_bundled("negation")
    assert supplement.counts() == {"negative": 48, "positive": 48}
    words = {w for t in supplement.texts for w in tokenize(t)}
    probe_words = {"bad", "good", "disappointed", "boring", "funny", "like", "recommend"}
    assert not words & probe_words
    probe = {t.lower().rstrip(".") for t, _ in load_probe()}
    assert not probe & {t.lower().rstrip(".") for t in supplement.texts}


def test_the_default_model_gets_plain_sentences_right(default_run):
    run = default_run
    acc, wrong = probe_accuracy(run)
    assert len(wrong) <= len(load_probe()) // 10, f"probe accuracy {acc:.1%}; misread: {wrong}"
    res = run.results
    assert res["model"]["accuracy"] >= res["majority"]["accuracy"] + 0.2
    assert res["model"]["accuracy"] >= res["bag_of_words"]["accuracy"] - 0.03
    assert run.fit.reason == "early_stopping" or len(run.fit.history) == DEFAULT_TRAIN.epochs
    # early stopping keeps the best epoch: the validation loss the model ends with
    assert run.fit.best_val_loss == min(h["val_loss"] for h in run.fit.history)
    # the sentence a presenter types first
    p = run.predict_proba(["This movie was absolutely wonderful, I loved every minute."])
    assert p[0][run.classes.index("positive")] > 0.8


def test_defaults_are_all_sets_attention_and_early_stopping():
    assert DEFAULT_DATA == "all"
    ds = load_bundled()
    assert len(ds) == 10_662 + 3 * 1000 + 96 and ds.counts() == {"negative": 6879, "positive": 6879}
    assert "Pang" in ds.provenance["citation"] and "Kotzias" in ds.provenance["citation"]
    assert ClassifierConfig().attention
    assert DEFAULT_TRAIN.early_stopping and DEFAULT_TRAIN.patience == 2
    args = build_parser().parse_args(["sentiment"])
    assert (args.data, args.attention, args.early_stopping) == ("all", True, True)
    assert (args.epochs, args.patience, args.lr) == (DEFAULT_TRAIN.epochs, 2, DEFAULT_TRAIN.lr)
    assert build_parser().parse_args(["sentiment", "--no-attention"]).attention is False


def test_the_page_starts_from_the_same_defaults(app):
    at = run_page(app, "sentiment.py")
    assert not errors_of(at)
    assert at.selectbox(key="sent-data").value == "all"
    assert at.toggle(key="sent-attention").value is True
    assert at.toggle(key="sent-early").value is True
    assert at.slider(key="sent-epochs").value == DEFAULT_TRAIN.epochs


def test_cli_probe_adds_each_sentence_with_its_label_and_probability(capsys, tmp_path):
    probe = tmp_path / "probe.txt"
    probe.write_text("A wonderful film.\n\nA dull, boring mess.\n", encoding="utf-8")
    args = "--data imdb --epochs 2 --embed 16 --hidden 16 --max-vocab 2000"
    assert main(["sentiment", *args.split(), "--probe", str(probe), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [p["text"] for p in out["probe"]] == ["A wonderful film.", "A dull, boring mess."]
    for p in out["probe"]:
        assert set(p) == {"text", "label", "p_positive"} and 0 <= p["p_positive"] <= 1
        assert p["label"] == ("positive" if p["p_positive"] >= 0.5 else "negative")
    assert out["data"] == "imdb" and out["epochs"] <= 2

    assert main(["sentiment", "--probe", str(tmp_path / "none.txt")]) == 2
    assert capsys.readouterr().err.startswith("error: no such probe file: ")
    (tmp_path / "empty.txt").write_text("\n \n", encoding="utf-8")
    with pytest.raises(ValueError, match="has no sentences"):
        read_sentences(tmp_path / "empty.txt")
