"""Corpora and the character vocabulary.

A :class:`Corpus` is a string with where it came from; a :class:`Vocab` maps its
distinct characters to ids 0..V-1 (sorted, so the same text always gives the
same ids). User text is checked here, with messages that say what to do.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "text"
SHAKESPEARE = DATA_DIR / "tinyshakespeare-200k.txt"
SHAKESPEARE_PROVENANCE = {
    "title": "Tiny Shakespeare (first 200 k characters)",
    "origin": "karpathy/char-rnn @ 6f9487a, data/tinyshakespeare/input.txt",
    "license": "public-domain text",
    "offline": True,
}

MIN_CHARS = 1_000  # fewer cannot fill a training and a validation stream
MAX_CHARS = 2_000_000  # characters kept from an upload or a paste (about 2 MB of text)
MAX_BYTES = 8_000_000  # raw upload size checked before decoding
MAX_VOCAB = 1_000  # distinct characters: more means too few examples of each


class TextError(ValueError):
    """Text the lab cannot use; the message says why and what to do."""


@dataclass(frozen=True)
class Corpus:
    """A training text and its provenance."""

    text: str
    name: str
    provenance: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.text)

    def fingerprint(self) -> str:
        """sha256 of the UTF-8 text: identifies the exact corpus a model saw."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def info(self) -> dict:
        """Plain, JSON-able description (what a checkpoint keeps instead of the text)."""
        raw = self.text.encode("utf-8")
        return {
            "name": self.name,
            "provenance": dict(self.provenance),
            "fingerprint": hashlib.sha256(raw).hexdigest(),  # = self.fingerprint()
            "chars": len(self.text),
            "bytes": len(raw),  # UTF-8 size
        }


def load_shakespeare(chars: int | None = None) -> Corpus:
    """The bundled public-domain Shakespeare slice, optionally only its first ``chars``."""
    text = SHAKESPEARE.read_text(encoding="utf-8")
    if chars is not None:
        text = text[:chars]
    return Corpus(text, "Tiny Shakespeare", dict(SHAKESPEARE_PROVENANCE, chars=len(text)))


def corpus_from_bytes(raw: bytes, name: str) -> Corpus:
    """An uploaded file: UTF-8 (a BOM is dropped), size-capped, then checked as text."""
    if len(raw) > MAX_BYTES:
        raise TextError(
            f"the file is {len(raw) / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB: "
            "upload an excerpt"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise TextError(
            f"the file is not UTF-8 text (byte 0x{raw[e.start]:02x} at position {e.start} "
            "cannot be decoded): save it as UTF-8 and upload it again"
        ) from None
    return corpus_from_text(text, name, source="upload")


def corpus_from_text(text: str, name: str, source: str = "pasted") -> Corpus:
    """Pasted or decoded text: newlines normalised to \\n, NUL refused, length and vocab capped.

    Text longer than MAX_CHARS is cut (the provenance records it), never refused.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise TextError("the text contains NUL bytes: it looks like a binary file, not text")
    original = len(text)
    if original < MIN_CHARS:
        raise TextError(
            f"the text has {original:,} characters; at least {MIN_CHARS:,} are needed to train "
            "and validate (a few pages or more work best)"
        )
    text = text[:MAX_CHARS]
    n_vocab = len(set(text))
    if n_vocab > MAX_VOCAB:
        raise TextError(
            f"the text uses {n_vocab:,} distinct characters; the limit is {MAX_VOCAB:,}: a "
            "character model needs many examples of each character"
        )
    prov = {"source": source, "chars": len(text), "offline": True}
    if original > len(text):
        prov["truncated_from"] = original
    return Corpus(text, name, prov)


def _shown(chars: list[str]) -> str:
    return ", ".join(repr(c) for c in chars[:10]) + (" ..." if len(chars) > 10 else "")


@dataclass(frozen=True)
class Vocab:
    """Sorted distinct characters; id = position in ``chars``."""

    chars: tuple[str, ...]
    _index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.chars or len(set(self.chars)) != len(self.chars):
            raise TextError("a vocabulary needs at least one character, each listed once")
        if any(not isinstance(c, str) or len(c) != 1 for c in self.chars):
            raise TextError("every vocabulary entry must be a single character")
        object.__setattr__(self, "_index", {c: i for i, c in enumerate(self.chars)})

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        return cls(tuple(sorted(set(text))))

    @property
    def size(self) -> int:
        return len(self.chars)

    def unknown(self, text: str) -> list[str]:
        """Characters of ``text`` outside the vocabulary, in order of first appearance."""
        return list(dict.fromkeys(c for c in text if c not in self._index))

    def encode(self, text: str, what: str = "the text") -> np.ndarray:
        """(N,) int64 ids; TextError naming the characters the model never saw."""
        missing = self.unknown(text)
        if missing:
            raise TextError(
                f"{what} has characters the model never saw in training: {_shown(missing)}; "
                "remove them or train on a text that contains them"
            )
        return np.fromiter((self._index[c] for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def split_ids(ids: np.ndarray, val_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Chronological split: the last ``val_fraction`` of the text validates, never trains."""
    n_val = round(len(ids) * val_fraction)
    return ids[: len(ids) - n_val], ids[len(ids) - n_val :]


def unigram_bits(ids: np.ndarray, vocab_size: int) -> float:
    """Entropy of the character frequencies, H = -sum_c p_c log2 p_c (bits per character).

    The bits per character of a model that ignores context and only knows how often
    each character occurs; a character model must beat it to have learned anything.
    """
    p = np.bincount(ids, minlength=vocab_size) / max(len(ids), 1)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())
