"""From a labelled dataset to a trained classifier scored against two baselines.

prepare_text: stratified split -> vocabulary from the training texts only -> padded ids
build_run / train_run: the model trained by core.training.trainer.Trainer on (tokens, lengths, y)
    with cross-entropy; accuracy is counted batch by batch inside the loss (no extra pass)
evaluate: accuracy, precision/recall/F1 and confusion matrix on the held-out test split for
    the model, the majority class and a bag-of-words logistic regression
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F

from core.config import ConfigBase, TrainConfig, check, flag, fraction, int_at_least
from core.sentiment.data import TextDataset, split_indices
from core.sentiment.metrics import bag_of_words_predict, classification_scores, majority_predict
from core.sentiment.model import ClassifierConfig, SentimentClassifier
from core.sentiment.text import Vocab, encode_texts, tokenize
from core.training.trainer import Callback, FitResult, Trainer

SPLITS = ("train", "val", "test")
# The default training, shared by the page, the CLI and fit_sentiment: up to 10 epochs,
# stopped when the validation loss has not improved for 2 epochs, with the best epoch's
# weights kept (the validation loss rises after 2-3 epochs on the bundled sets).
DEFAULT_TRAIN = TrainConfig(epochs=10, batch_size=64, lr=3e-3, early_stopping=True, patience=2)
Tensors = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # tokens (B, T), lengths (B,), y (B,)


@dataclass(frozen=True)
class TextConfig(ConfigBase):
    """How sentences become padded id sequences, and how the set is split."""

    max_vocab: int = 10_000  # words kept (most frequent in train), plus <pad> and <unk>
    min_freq: int = 1  # a word must occur this often in train to get its own id
    max_len: int = 60  # T cap: longer sentences keep their first max_len tokens
    lower: bool = True  # lower-case before tokenising
    val_fraction: float = 0.1  # share of each class for validation
    test_fraction: float = 0.1  # share of each class held out for the final scores
    split_seed: int = 0

    def __post_init__(self) -> None:
        int_at_least("max_vocab", self.max_vocab, 1)
        int_at_least("min_freq", self.min_freq, 1)
        int_at_least("max_len", self.max_len, 1)
        check(self.max_len <= 1000, f"max_len must be <= 1000, got {self.max_len}")
        flag("lower", self.lower)
        fraction("val_fraction", self.val_fraction, 0.0, 0.4)
        fraction("test_fraction", self.test_fraction, 0.05, 0.4)
        int_at_least("split_seed", self.split_seed, 0)


@dataclass
class PreparedText:
    """The split (indices into the dataset), the vocabulary and the tensors of each split."""

    vocab: Vocab
    classes: list[str]
    index: dict[str, np.ndarray]  # split -> (N_split,) dataset rows
    tensors: dict[str, Tensors]  # split -> (tokens, lengths, y)
    texts: dict[str, list[str]]

    def oov_rate(self, split: str) -> float:
        """Share of tokens mapped to <unk> in a split (what the vocabulary cap costs)."""
        tokens, lengths, _ = self.tensors[split]
        real = torch.arange(tokens.shape[1])[None, :] < lengths[:, None]
        return float((tokens[real] == 1).float().mean()) if real.any() else float("nan")


def prepare_text(dataset: TextDataset, cfg: TextConfig) -> PreparedText:
    y = dataset.y
    train, val, test = split_indices(y, cfg.val_fraction, cfg.test_fraction, cfg.split_seed)
    index = {"train": train, "val": val, "test": test}
    texts = {s: [dataset.texts[i] for i in idx] for s, idx in index.items()}
    vocab = Vocab.build(
        (tokenize(t, cfg.lower) for t in texts["train"]), cfg.max_vocab, cfg.min_freq
    )
    tensors = {}
    for s, idx in index.items():
        tokens, lengths = encode_texts(texts[s], vocab, cfg.max_len, cfg.lower)
        tensors[s] = (tokens, lengths, torch.as_tensor(y[idx], dtype=torch.int64))
    return PreparedText(vocab, dataset.classes, index, tensors, texts)


class CountingCrossEntropy:
    """Cross-entropy that also counts correct predictions, for accuracy curves for free.

    Batches seen with gradients on are training batches; the trainer evaluates the
    validation set under ``torch.no_grad``, so those count as validation.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.correct = {"train": 0, "val": 0}
        self.seen = {"train": 0, "val": 0}

    def __call__(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        split = "train" if torch.is_grad_enabled() else "val"
        self.correct[split] += int((logits.detach().argmax(-1) == y).sum())
        self.seen[split] += len(y)
        return F.cross_entropy(logits, y)

    def accuracy(self, split: str) -> float:
        return self.correct[split] / self.seen[split] if self.seen[split] else float("nan")


class AccuracyCallback(Callback):
    """Adds train_acc and val_acc to each epoch record (runs before ProgressCallback)."""

    def __init__(self, loss: CountingCrossEntropy):
        self.loss = loss

    def on_train_begin(self, trainer: Trainer) -> None:
        self.loss.reset()

    def on_epoch_end(self, trainer: Trainer, record: dict) -> None:
        record["train_acc"] = self.loss.accuracy("train")
        record["val_acc"] = self.loss.accuracy("val")
        self.loss.reset()


@dataclass
class SentimentRun:
    dataset: TextDataset
    text_cfg: TextConfig
    model_cfg: ClassifierConfig  # vocab_size and n_classes filled in from the data
    train_cfg: TrainConfig
    model: SentimentClassifier
    prepared: PreparedText
    fit: FitResult | None = None
    results: dict = field(default_factory=dict)  # "model" / "majority" / "bag_of_words"
    extras: dict = field(default_factory=dict)  # session notes (saved_run_id), not saved

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.model.parameters() if p.requires_grad)

    @property
    def classes(self) -> list[str]:
        return self.prepared.classes

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(B, C) class probabilities for new sentences."""
        tokens, lengths = encode_texts(
            texts, self.prepared.vocab, self.text_cfg.max_len, self.text_cfg.lower
        )
        return self.model.predict_proba(tokens, lengths).numpy()


def build_run(
    dataset: TextDataset, text_cfg: TextConfig, model_cfg: ClassifierConfig, train_cfg: TrainConfig
) -> SentimentRun:
    prepared = prepare_text(dataset, text_cfg)
    model_cfg = model_cfg.replace(vocab_size=len(prepared.vocab), n_classes=len(prepared.classes))
    torch.manual_seed(train_cfg.seed)  # the same seed gives the same initial weights
    model = SentimentClassifier(model_cfg)
    return SentimentRun(dataset, text_cfg, model_cfg, train_cfg, model, prepared)


def baseline_scores(run: SentimentRun) -> dict:
    """Majority class and bag-of-words logistic regression, fitted on train, scored on test."""
    p, classes = run.prepared, run.prepared.classes
    y_train, y_test = p.tensors["train"][2].numpy(), p.tensors["test"][2].numpy()
    bow = bag_of_words_predict(
        p.texts["train"], y_train, p.texts["test"], run.text_cfg.max_vocab, run.text_cfg.lower
    )
    return {
        "majority": classification_scores(y_test, majority_predict(y_train, len(y_test)), classes),
        "bag_of_words": classification_scores(y_test, bow, classes),
    }


def model_scores(run: SentimentRun, split: str = "test") -> dict:
    tokens, lengths, y = run.prepared.tensors[split]
    pred = run.model.predict_proba(tokens, lengths).argmax(-1).numpy()
    return classification_scores(y.numpy(), pred, run.classes)


def prediction_table(run: SentimentRun, split: str = "test") -> pd.DataFrame:
    """One row per sentence of a split: text, true and predicted class, the model's
    probability for its prediction; the most confident mistakes first."""
    tokens, lengths, y = run.prepared.tensors[split]
    probs = run.model.predict_proba(tokens, lengths).numpy()  # (N, C)
    pred = probs.argmax(-1)
    classes = np.array(run.classes, dtype=object)
    frame = pd.DataFrame(
        {
            "text": run.prepared.texts[split],
            "true": classes[y.numpy()],
            "predicted": classes[pred],
            "confidence": probs.max(-1),
            "correct": pred == y.numpy(),
        }
    )
    return frame.sort_values(["correct", "confidence"], ascending=[True, False], kind="stable")


def train_run(
    run: SentimentRun, callbacks: Sequence[Callback] = (), stop_event=None
) -> SentimentRun:
    """Fit, then score the model and both baselines on the test split."""
    loss = CountingCrossEntropy()
    trainer = Trainer(
        run.model, run.train_cfg, loss, [AccuracyCallback(loss), *callbacks], stop_event
    )
    run.fit = trainer.fit(run.prepared.tensors["train"], run.prepared.tensors["val"])
    baselines = {k: v for k, v in run.results.items() if k != "model"} or baseline_scores(run)
    run.results = {"model": model_scores(run), **baselines}
    return run


def fit_sentiment(
    dataset: TextDataset,
    text_cfg: TextConfig | None = None,
    model_cfg: ClassifierConfig | None = None,
    train_cfg: TrainConfig | None = None,
) -> SentimentRun:
    """Build and train in one call (scripts, CLI, tests)."""
    run = build_run(
        dataset,
        text_cfg or TextConfig(),
        model_cfg or ClassifierConfig(),
        train_cfg or DEFAULT_TRAIN,
    )
    return train_run(run)
