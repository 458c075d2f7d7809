"""Word-level tokens, a capped vocabulary with an OOV token, and padded id batches.

tokenize("It's GREAT!") -> ["it's", "great", "!"]   (lower-cased by default)
Vocab: id 0 = <pad> (never a word), id 1 = <unk> (any word outside the vocabulary),
then the training words by frequency (ties alphabetical), at most ``max_size`` of them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import torch

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|[^\w\s]|_")  # words (inner apostrophes) | punct


def tokenize(text: str, lower: bool = True) -> list[str]:
    """Words and single punctuation marks; inner apostrophes stay in the word (don't, it's)."""
    return _TOKEN.findall(text.lower() if lower else text)


class Vocab:
    """Token <-> id; built from training texts only, so validation and test cannot leak in."""

    def __init__(self, words: Sequence[str]):
        self.itos: list[str] = [PAD, UNK, *words]
        self.stoi: dict[str, int] = {w: i for i, w in enumerate(self.itos)}

    @classmethod
    def build(
        cls, token_lists: Iterable[list[str]], max_size: int = 10_000, min_freq: int = 1
    ) -> Vocab:
        """The ``max_size`` most frequent tokens seen at least ``min_freq`` times."""
        if max_size < 1:
            raise ValueError(f"max_size must be >= 1, got {max_size}")
        counts = Counter(t for tokens in token_lists for t in tokens)
        ranked = sorted(
            (w for w, n in counts.items() if n >= min_freq), key=lambda w: (-counts[w], w)
        )
        return cls(ranked[:max_size])

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def encode(self, tokens: Sequence[str]) -> list[int]:
        return [self.stoi.get(t, UNK_ID) for t in tokens]

    def decode(self, ids: Sequence[int]) -> list[str]:
        return [self.itos[i] for i in ids]

    def to_dict(self) -> dict:
        return {"words": self.itos[2:]}

    @classmethod
    def from_dict(cls, d: dict) -> Vocab:
        return cls(d["words"])


def encode_texts(
    texts: Sequence[str], vocab: Vocab, max_len: int, lower: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded ids (B, T) int64 and true lengths (B,) int64, T = longest kept sentence.

    Each sentence keeps its first ``max_len`` tokens; positions t >= length hold PAD_ID.
    A sentence without a single token is an error (nothing to read).
    """
    ids = [vocab.encode(tokenize(t, lower)[:max_len]) for t in texts]
    empty = [i for i, seq in enumerate(ids) if not seq]
    if empty:
        raise ValueError(
            f"text {empty[0] + 1} has no words to read: type at least one word"
            if len(texts) > 1
            else "the text has no words to read: type at least one word"
        )
    lengths = torch.tensor([len(s) for s in ids], dtype=torch.int64)  # (B,)
    t_max = max((len(s) for s in ids), default=1)
    tokens = torch.full((len(ids), t_max), PAD_ID, dtype=torch.int64)  # (B, T)
    for row, seq in enumerate(ids):
        tokens[row, : len(seq)] = torch.tensor(seq, dtype=torch.int64)
    return tokens, lengths
