"""Saving and loading sentiment classifiers: a plain dict (format "lstm-lab/sentiment").

Only plain containers, numbers, strings and tensors go in, so the file loads with
``torch.load(weights_only=True)`` (``core.runs.formats.common.read_dict``); a file carrying code is
refused. What goes in: the three configs, the weights, the vocabulary's words (ids 2.. in
order; 0 = <pad>, 1 = <unk>), the class names, the dataset's name, provenance and sha256,
the training history and fit summary, the test scores of the model and both baselines, and
the held-out test sentences (so the mistakes table and the OOV rate work after opening).
The training and validation sentences are not stored: an opened run carries its test split.
"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np
import torch

from core import limits
from core.config import TrainConfig
from core.runs.formats.common import (
    CheckpointError,
    build_checked,
    first_line,
    plain,
    read_dict,
    require,
    to_bytes,
    weights_fit,
)
from core.sentiment.data import TextDataset
from core.sentiment.model import ClassifierConfig, SentimentClassifier
from core.sentiment.text import Vocab, encode_texts
from core.sentiment.train import PreparedText, SentimentRun, TextConfig
from core.training.trainer import FitResult

FORMAT = "lstm-lab/sentiment"
VERSION = 1
REQUIRED = (
    "text_cfg", "model_cfg", "train_cfg", "vocab", "classes", "state_dict", "fit", "results",
)  # fmt: skip
SCORED = ("model", "majority", "bag_of_words")  # results every checkpoint carries


def sentiment_to_dict(run: SentimentRun) -> dict:
    """Everything needed to classify, score and inspect sentences again."""
    test = run.prepared
    return {
        "format": FORMAT,
        "version": VERSION,
        "text_cfg": run.text_cfg.to_dict(),
        "model_cfg": run.model_cfg.to_dict(),
        "train_cfg": run.train_cfg.to_dict(),
        "vocab": list(test.vocab.itos[2:]),  # ids 2, 3, ... (0 <pad>, 1 <unk> implied)
        "classes": list(run.classes),
        "state_dict": {k: v.detach().cpu().clone() for k, v in run.model.state_dict().items()},
        "dataset": plain(dataset_summary(run)),
        "test": {
            "texts": list(test.texts["test"]),
            "y": [int(v) for v in test.tensors["test"][2]],  # class indices
        },
        "fit": plain(run.fit.to_dict()) if run.fit else None,
        "results": plain(run.results),
    }


def dataset_summary(run: SentimentRun) -> dict:
    """Name, provenance, sha256 and size of the data the run was trained on."""
    ds = run.dataset
    stored = ds.provenance.get("checkpoint_dataset")  # an opened run keeps the original
    if isinstance(stored, dict):
        return dict(stored)
    return {
        "name": ds.name,
        "provenance": ds.provenance,
        "fingerprint": ds.fingerprint(),  # sha256 of the text<TAB>label lines
        "rows": len(ds),
        "counts": ds.counts(),
        "splits": {s: len(i) for s, i in run.prepared.index.items()},
    }


def sentiment_from_dict(ckpt: dict) -> SentimentRun:
    """Rebuild a run from a checkpoint dict; CheckpointError when it does not fit."""
    validate(ckpt)
    with weights_fit():
        text_cfg = TextConfig.from_dict(ckpt["text_cfg"])
        model_cfg = ClassifierConfig.from_dict(ckpt["model_cfg"])
        train_cfg = TrainConfig.from_dict(ckpt["train_cfg"])
        words, names = ckpt["vocab"], ckpt["classes"]
        if not isinstance(words, list) or len(words) + 2 > limits.MAX_WORD_VOCAB:
            raise ValueError(f"the vocabulary must be a list of at most {limits.MAX_WORD_VOCAB}")
        if not isinstance(names, list) or len(names) > limits.MAX_CLASSES:
            raise ValueError(f"the class names must be a list of at most {limits.MAX_CLASSES}")
        vocab, classes = Vocab([str(w) for w in words]), [str(c) for c in names]
        if len(vocab) != model_cfg.vocab_size:
            raise ValueError(
                f"the vocabulary has {len(vocab)} words (with <pad> and <unk>) but the model "
                f"expects {model_cfg.vocab_size}"
            )
        if len(classes) != model_cfg.n_classes:
            raise ValueError(
                f"{len(classes)} class names but the model has {model_cfg.n_classes} outputs"
            )
    what = f"{model_cfg.cell.upper()} sentiment model (V={model_cfg.vocab_size})"
    model = build_checked(SentimentClassifier, model_cfg, ckpt["state_dict"], what)
    try:
        fit = FitResult.from_dict(ckpt["fit"])
        prepared, dataset = _test_split(ckpt, vocab, classes, text_cfg)
    except (ValueError, TypeError, KeyError, IndexError) as e:
        raise CheckpointError(
            f"the checkpoint's weights do not fit its model settings: {first_line(e)}"
        ) from None
    run = SentimentRun(dataset, text_cfg, model_cfg, train_cfg, model.eval(), prepared, fit)
    run.results = dict(ckpt["results"])
    return run


def _test_split(
    ckpt: dict, vocab: Vocab, classes: list[str], cfg: TextConfig
) -> tuple[PreparedText, TextDataset]:
    """The stored test sentences as the run's data (train and val are not stored)."""
    test = ckpt.get("test") or {"texts": [], "y": []}
    texts, y = [str(t) for t in test["texts"]], [int(v) for v in test["y"]]
    if len(texts) != len(y) or any(not 0 <= v < len(classes) for v in y):
        raise ValueError("the stored test sentences and their labels do not match")
    info = dict(ckpt.get("dataset") or {})
    dataset = TextDataset(
        tuple(texts),
        tuple(classes[v] for v in y),
        str(info.get("name") or "sentences"),
        {"checkpoint_dataset": info, "note": "test split only (stored in the checkpoint)"},
    )
    empty = (torch.zeros(0, 1, dtype=torch.int64),) * 2 + (torch.zeros(0, dtype=torch.int64),)
    tokens, lengths = encode_texts(texts, vocab, cfg.max_len, cfg.lower) if texts else empty[:2]
    none = np.zeros(0, dtype=np.int64)
    prepared = PreparedText(
        vocab,
        classes,
        {"train": none, "val": none, "test": np.arange(len(texts))},
        {"train": empty, "val": empty, "test": (tokens, lengths, torch.tensor(y).long())},
        {"train": [], "val": [], "test": texts},
    )
    return prepared, dataset


def validate(ckpt: Any) -> dict:
    """The checkpoint itself if it is a sentiment checkpoint this version reads."""
    if not isinstance(ckpt, dict) or "format" not in ckpt:
        raise CheckpointError(
            "this file is a PyTorch file but not an LSTM Lab checkpoint (it has no 'format' field)"
        )
    if ckpt["format"] != FORMAT:
        raise CheckpointError(
            f"this checkpoint's format is {str(ckpt['format'])[:60]!r}, not a sentiment model "
            f"({FORMAT!r})"
        )
    require(ckpt, VERSION, REQUIRED, "sentiment ")
    results = ckpt["results"]
    if not isinstance(results, dict) or any(
        not isinstance(results.get(k), dict) or "accuracy" not in results[k] for k in SCORED
    ):
        raise CheckpointError(
            "the checkpoint's test scores are incomplete: it needs the accuracy of the model, "
            "the majority class and the bag of words"
        )
    if not isinstance(ckpt["fit"], dict):
        raise CheckpointError("the checkpoint has no training summary: the model was never fitted")
    return ckpt


def sentiment_bytes(run: SentimentRun) -> bytes:
    """The checkpoint as bytes (for a download button)."""
    return to_bytes(sentiment_to_dict(run))


def load_sentiment(source: str | os.PathLike | bytes | io.IOBase) -> SentimentRun:
    """Read safely (size cap, weights_only: code is refused), validate, rebuild."""
    return sentiment_from_dict(read_dict(source))
