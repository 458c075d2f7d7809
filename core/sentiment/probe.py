"""Plain sentences a presenter types first: does the trained classifier get them right?

``data/sentiment/probe.tsv`` holds short, unambiguous sentences (plain praise, plain
criticism, simple negation) written for LSTM Lab, one ``label<TAB>sentence`` a line, with
``#`` comment lines. The default model must get at least 90% of them right.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from core.sentiment.data import DATA_DIR

PROBE_FILE = DATA_DIR / "probe.tsv"


def load_probe(path: Path = PROBE_FILE) -> list[tuple[str, str]]:
    """(sentence, label) pairs of a labelled probe file."""
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").split("\n"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        label, sep, text = line.partition("\t")
        if not sep or not text.strip():
            raise ValueError(f"{path} line {n}: expected label<TAB>sentence")
        rows.append((text.strip(), label.strip()))
    return rows


def read_sentences(path: str | Path) -> list[str]:
    """One sentence a line (blank lines skipped), for ``python -m core sentiment --probe``."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"no such probe file: {path}")
    lines = [line.strip() for line in p.read_text(encoding="utf-8").split("\n")]
    texts = [line for line in lines if line]
    if not texts:
        raise ValueError(f"the probe file {path} has no sentences: write one sentence a line")
    return texts


def probe_predictions(run, texts: Sequence[str]) -> list[dict]:
    """Each sentence with the model's predicted class and its probabilities.

    ``run`` is a trained :class:`core.sentiment.SentimentRun`; ``p_positive`` is given when
    the classes include "positive".
    """
    probs = run.predict_proba(list(texts))  # (B, C)
    classes = run.classes
    out = []
    for text, p in zip(texts, probs, strict=True):
        row = {"text": text, "label": classes[int(p.argmax())]}
        if "positive" in classes:
            row["p_positive"] = round(float(p[classes.index("positive")]), 4)
        else:
            row["p"] = {c: round(float(q), 4) for c, q in zip(classes, p, strict=True)}
        out.append(row)
    return out


def probe_accuracy(run, rows: Sequence[tuple[str, str]] | None = None) -> tuple[float, list]:
    """Share of probe sentences classified as labelled, and the misread ones."""
    rows = load_probe() if rows is None else rows
    preds = probe_predictions(run, [t for t, _ in rows])
    wrong = [p for p, (_, label) in zip(preds, rows, strict=True) if p["label"] != label]
    return 1 - len(wrong) / len(rows), wrong
