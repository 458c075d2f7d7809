"""Classification scores (pure numpy) and the two baselines the LSTM must beat.

For class c, with TP/FP/FN counted from the confusion matrix M (rows = true class,
columns = predicted class):
    precision_c = M[c, c] / sum_r M[r, c]     (0 when nothing was predicted as c)
    recall_c    = M[c, c] / sum_k M[c, k]     (0 when c never occurs)
    F1_c        = 2 P_c R_c / (P_c + R_c)     (0 when P_c + R_c = 0)
    accuracy    = trace(M) / sum(M)
Macro averages are plain means over classes (every class counts the same).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from core.sentiment.text import tokenize


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """(C, C) int64 counts: M[i, j] = sentences of true class i predicted as class j."""
    t, p = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
    if t.shape != p.shape:
        raise ValueError(f"shapes differ: {t.shape} vs {p.shape}")
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (t, p), 1)
    return m


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros(num.shape, np.float64), where=den > 0)


def classification_scores(y_true, y_pred, classes: Sequence[str]) -> dict:
    """Accuracy, per-class precision/recall/F1/support, macro averages and the matrix."""
    m = confusion_matrix(y_true, y_pred, len(classes))
    tp = np.diag(m).astype(np.float64)
    precision = _ratio(tp, m.sum(axis=0).astype(np.float64))
    recall = _ratio(tp, m.sum(axis=1).astype(np.float64))
    f1 = _ratio(2 * precision * recall, precision + recall)
    total = int(m.sum())
    return {
        "accuracy": float(tp.sum() / total) if total else float("nan"),
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "macro_f1": float(f1.mean()),
        "per_class": {
            c: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(m[i].sum()),
            }
            for i, c in enumerate(classes)
        },
        "confusion": m.tolist(),
        "classes": list(classes),
        "n": total,
    }


def majority_predict(y_train: np.ndarray, n: int) -> np.ndarray:
    """Always the most frequent training class (lowest index on ties): (n,) int64."""
    return np.full(n, int(np.bincount(y_train).argmax()), dtype=np.int64)


def bag_of_words_predict(
    train_texts: Sequence[str],
    y_train: np.ndarray,
    test_texts: Sequence[str],
    max_features: int = 10_000,
    lower: bool = True,
    seed: int = 0,
) -> np.ndarray:
    """Logistic regression on word counts (the same tokens as the LSTM, no word order)."""
    vec = CountVectorizer(
        tokenizer=lambda t: tokenize(t, lower),
        lowercase=False,
        token_pattern=None,
        max_features=max_features,
    )
    x_train = vec.fit_transform(train_texts)  # (N, V) sparse counts, fitted on train only
    clf = LogisticRegression(max_iter=2000, C=1.0, random_state=seed)
    # BLAS threads as many as torch's: oversubscribed cores made one fit take 12x longer
    with threadpool_limits(torch.get_num_threads()):
        clf.fit(x_train, y_train)
        return clf.predict(vec.transform(test_texts)).astype(np.int64)
