"""Labelled sentences: the bundled review sets, the user's own CSV/TSV, and the split.

A :class:`TextDataset` is a list of texts with one class label each (two or more
classes) plus its provenance. Files that cannot give usable text and label columns
are refused with a :class:`TextDataError` whose message says what to fix.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.sentiment.text import tokenize

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "sentiment"
MIN_ROWS = 20  # usable rows a file needs
MIN_PER_CLASS = 5  # so every class can reach train, validation and test
MAX_CLASSES = 20
MAX_ROWS = 200_000
TEXT_NAMES = ("text", "sentence", "review", "content", "document", "comment")
LABEL_NAMES = ("label", "sentiment", "class", "target", "polarity", "category")

PANG_LEE = (
    "Bo Pang and Lillian Lee. Seeing stars: Exploiting class relationships for sentiment "
    "categorization with respect to rating scales. Proceedings of the ACL, 2005."
)
KOTZIAS = (
    "Dimitrios Kotzias, Misha Denil, Nando de Freitas and Padhraic Smyth. From Group to "
    "Individual Labels using Deep Features. Proceedings of KDD, 2015."
)
BUNDLED: dict[str, dict] = {
    "all": {
        "title": "All review sets together (Rotten Tomatoes, IMDB, Yelp, Amazon, negations), "
        "13,758 sentences",
        "parts": ("rt-polarity", "imdb", "yelp", "amazon", "negation"),
        "citation": f"{PANG_LEE} {KOTZIAS}",
    },
    "rt-polarity": {
        "title": "Rotten Tomatoes sentence polarity (Pang & Lee 2005), 10,662 snippets",
        "files": {"negative": "rt-polarity.neg", "positive": "rt-polarity.pos"},
        "encoding": "cp1252",
        "citation": PANG_LEE,
    },
    "imdb": {
        "title": "IMDB labelled sentences (Kotzias et al. 2015), 1,000 sentences",
        "file": "uci_imdb_labelled.txt",
        "citation": KOTZIAS,
    },
    "yelp": {
        "title": "Yelp labelled sentences (Kotzias et al. 2015), 1,000 sentences",
        "file": "uci_yelp_labelled.txt",
        "citation": KOTZIAS,
    },
    "amazon": {
        "title": "Amazon labelled sentences (Kotzias et al. 2015), 1,000 sentences",
        "file": "uci_amazon_cells_labelled.txt",
        "citation": KOTZIAS,
    },
    "negation": {
        "title": "Short negations written for LSTM Lab (not good / not terrible), 96 sentences",
        "file": "lstmlab_negation_labelled.txt",
        "citation": "written for LSTM Lab from templates; see data/sentiment/README.md",
    },
}
UCI_CLASSES = {"0": "negative", "1": "positive"}
DEFAULT_DATA = "all"  # the most sentences: the default model reads plain sentences best


class TextDataError(ValueError):
    """A labelled-text file that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class TextDataset:
    """Sentences with one class label each."""

    texts: tuple[str, ...]  # N sentences
    labels: tuple[str, ...]  # N class names
    name: str
    provenance: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{len(self.texts)} texts but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def classes(self) -> list[str]:
        """Class names in a fixed order: sorted, so class index c means the same everywhere."""
        return sorted(set(self.labels))

    @property
    def y(self) -> np.ndarray:
        """(N,) int64 class indices into :attr:`classes`."""
        index = {c: i for i, c in enumerate(self.classes)}
        return np.array([index[label] for label in self.labels], dtype=np.int64)

    def counts(self) -> dict[str, int]:
        c = Counter(self.labels)
        return {k: c[k] for k in self.classes}

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for t, label in zip(self.texts, self.labels, strict=True):
            h.update(t.encode() + b"\t" + label.encode() + b"\n")
        return h.hexdigest()


def _lines(path: Path, encoding: str) -> list[str]:
    # split on "\n" only: the UCI IMDB file has U+0085 (NEL) inside sentences
    text = path.read_bytes().decode(encoding)
    return [line.strip() for line in text.split("\n") if line.strip()]


def load_bundled(name: str = DEFAULT_DATA) -> TextDataset:
    """One of the review sets shipped in data/sentiment (offline); "all" joins the others."""
    if name not in BUNDLED:
        raise ValueError(f"unknown review set {name!r}; available: {', '.join(BUNDLED)}")
    meta = BUNDLED[name]
    texts: list[str] = []
    labels: list[str] = []
    if "parts" in meta:
        for part in (load_bundled(p) for p in meta["parts"]):
            texts += part.texts
            labels += part.labels
    elif "files" in meta:
        for label, fname in meta["files"].items():
            lines = _lines(DATA_DIR / fname, meta["encoding"])
            texts += lines
            labels += [label] * len(lines)
    else:
        for line in _lines(DATA_DIR / meta["file"], "utf-8"):
            text, label = line.rsplit("\t", 1)
            texts.append(text.strip())
            labels.append(UCI_CLASSES[label.strip()])
    prov = {"kind": "bundled", "key": name, "offline": True, "rows": len(texts), **meta}
    return TextDataset(tuple(texts), tuple(labels), name=name, provenance=prov)


# -- the user's own file ---------------------------------------------------------------------


def _decode(raw: bytes) -> tuple[str, str]:
    if not raw.strip():
        raise TextDataError(
            "the file is empty: upload a CSV or TSV with a text column and a label column"
        )
    if b"\x00" in raw[:4096]:
        raise TextDataError(
            "the file looks binary, not text: upload a CSV or TSV with a text column and a "
            "label column"
        )
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "cp1252"


def _delimiter(text: str) -> str:
    head = text[:20_000]
    if "\t" in head.split("\n", 1)[0]:
        return "\t"
    try:
        return csv.Sniffer().sniff(head, delimiters=",;|").delimiter
    except csv.Error:
        return ","


def _pick(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {str(c).strip().lower(): c for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _read(text: str, sep: str) -> tuple[pd.DataFrame, str, str]:
    """The frame and its (text, label) columns: named in a header, or two bare columns."""
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, csv.Error) as e:
        raise TextDataError(f"could not parse the file as CSV/TSV: {e}") from None
    columns = list(frame.columns)
    text_col, label_col = _pick(columns, TEXT_NAMES), _pick(columns, LABEL_NAMES)
    if len(columns) == 2 and (text_col is None) != (label_col is None):  # e.g. Review,Liked
        other = next(c for c in columns if c not in (text_col, label_col))
        text_col, label_col = (other, label_col) if text_col is None else (text_col, other)
    if text_col is not None and label_col is not None and text_col != label_col:
        return frame, text_col, label_col
    bare = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, header=None)
    if bare.shape[1] == 2:  # no header: text and label, in either order
        a, b = (bare[c].str.len().mean() for c in bare.columns)
        cols = ["text", "label"] if a >= b else ["label", "text"]
        bare.columns = cols
        return bare, "text", "label"
    found = ", ".join(repr(str(c)) for c in frame.columns[:8])
    raise TextDataError(
        "found no text and label columns: add a header row `text,label` (or give exactly "
        f"two columns, the text and its label); the file has {frame.shape[1]} column(s): {found}"
    )


def _check_labels(labels: pd.Series, label_col: str) -> None:
    counts = labels.value_counts()
    if len(counts) < 2:
        raise TextDataError(
            f"every row has the same label {counts.index[0]!r}: a classifier needs two or more "
            "classes"
        )
    if len(counts) > MAX_CLASSES:
        raise TextDataError(
            f"the label column {label_col!r} has {len(counts)} different values: labels must "
            f"be at most {MAX_CLASSES} classes (e.g. positive/negative), not free text or scores"
        )
    rare = counts[counts < MIN_PER_CLASS]
    if len(rare):
        raise TextDataError(
            f"class {rare.index[0]!r} has only {int(rare.iloc[0])} row(s): every class needs at "
            f"least {MIN_PER_CLASS} examples to appear in training, validation and test"
        )


def read_labelled_text(raw: bytes, name: str = "upload") -> TextDataset:
    """Parse a CSV/TSV of (text, label) rows; refuse, with a clear message, what cannot work.

    Accepted: a header naming a text column (text, sentence, review, ...) and a label column
    (label, sentiment, class, ...), or exactly two columns without a header (the longer one
    is the text). Rows with an empty text or label are dropped and counted.
    """
    text, encoding = _decode(raw)
    frame, text_col, label_col = _read(text, _delimiter(text))
    texts = frame[text_col].astype(str).str.strip()
    labels = frame[label_col].astype(str).str.strip()
    numeric = pd.to_numeric(texts, errors="coerce").notna()
    if len(texts) and numeric.mean() > 0.9:
        raise TextDataError(
            f"the text column {str(text_col)!r} holds numbers, not sentences: check which "
            "column is the text and which is the label"
        )
    keep = (labels != "") & texts.map(lambda t: len(tokenize(t)) > 0)
    texts, labels = texts[keep], labels[keep]
    if len(texts) < MIN_ROWS:
        raise TextDataError(
            f"only {len(texts)} usable row(s) (a text with words and a label): need at least "
            f"{MIN_ROWS}"
        )
    if len(texts) > MAX_ROWS:
        raise TextDataError(f"{len(texts):,} rows is too many: the limit is {MAX_ROWS:,}")
    _check_labels(labels, str(label_col))
    prov = {
        "kind": "upload",
        "offline": True,
        "title": f"your file {name}",
        "encoding": encoding,
        "rows": len(texts),
        "dropped": int((~keep).sum()),
        "columns": [str(text_col), str(label_col)],
    }
    return TextDataset(tuple(texts), tuple(labels), name=name, provenance=prov)


# -- split -----------------------------------------------------------------------------------


def split_indices(
    y: np.ndarray, val_fraction: float, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A stratified random split: each class is shuffled and cut in the same proportions.

    Sentences are independent (no time order), so a random split is honest; stratifying
    keeps class balance equal in train, validation and test. Returns sorted index arrays.
    """
    rng = np.random.default_rng(seed)
    parts: tuple[list, list, list] = ([], [], [])
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_test = max(1, round(len(idx) * test_fraction)) if test_fraction > 0 else 0
        n_val = max(1, round(len(idx) * val_fraction)) if val_fraction > 0 else 0
        parts[2].append(idx[:n_test])
        parts[1].append(idx[n_test : n_test + n_val])
        parts[0].append(idx[n_test + n_val :])
    train, val, test = (np.sort(np.concatenate(p)) for p in parts)
    return train, val, test
