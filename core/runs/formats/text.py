"""Saving and loading text models: a plain dict (format "lstm-lab/charlm").

Only plain containers, numbers, strings and tensors go in, so the file loads with
``torch.load(weights_only=True)``; a file carrying code is refused. The corpus
itself is not stored: its name, provenance, fingerprint and length are, plus the
first characters of its validation part (the probe text of the Cells view).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from core import limits
from core.runs.formats.common import (
    CheckpointError,
    build_checked,
    plain,
    read_dict,
    require,
    to_bytes,
    weights_fit,
    write_atomic,
)
from core.text.corpus import TextError, Vocab
from core.text.model import CharLM, CharModelConfig, CharTrainConfig
from core.text.train import TextRun

FORMAT = "lstm-lab/charlm"
VERSION = 1
REQUIRED = ("model_cfg", "train_cfg", "vocab", "state_dict")


def text_run_to_dict(run: TextRun) -> dict:
    """Everything needed to sample from and inspect the model again."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "model_cfg": run.model_cfg.to_dict(),
        "train_cfg": run.train_cfg.to_dict(),
        "vocab": list(run.vocab.chars),
        "state_dict": {k: v.detach().cpu().clone() for k, v in run.model.state_dict().items()},
        "corpus": plain(run.corpus),
        "probe": run.probe,
        "baselines": plain(run.baselines),
        "history": plain(run.history),
        "samples": plain(run.samples),
        "result": plain(run.result),
    }


def text_run_from_dict(ckpt: dict) -> TextRun:
    """Rebuild a run from a checkpoint dict; CheckpointError when it does not fit."""
    _validate(ckpt)
    with weights_fit(TextError):
        chars = ckpt["vocab"]
        if not isinstance(chars, (list, tuple)) or len(chars) > limits.MAX_CHAR_VOCAB:
            raise ValueError(
                f"the vocabulary must be a list of at most {limits.MAX_CHAR_VOCAB} characters"
            )
        vocab = Vocab(tuple(chars))
        model_cfg = CharModelConfig.from_dict(ckpt["model_cfg"])
        train_cfg = CharTrainConfig.from_dict(ckpt["train_cfg"])
        if model_cfg.vocab_size != vocab.size:
            raise ValueError(
                f"the vocabulary has {vocab.size} characters but the model expects "
                f"{model_cfg.vocab_size}"
            )
    what = f"{model_cfg.cell.upper()} character model (V={vocab.size}, H={model_cfg.hidden_size})"
    model = build_checked(CharLM, model_cfg, ckpt["state_dict"], what)
    return TextRun(
        model_cfg, train_cfg, model.eval(), vocab,
        corpus=dict(ckpt.get("corpus") or {}), probe=str(ckpt.get("probe") or ""),
        baselines=dict(ckpt.get("baselines") or {}), history=list(ckpt.get("history") or []),
        samples=list(ckpt.get("samples") or []), result=dict(ckpt.get("result") or {}),
    )  # fmt: skip


def _validate(ckpt: Any) -> None:
    if not isinstance(ckpt, dict) or "format" not in ckpt:
        raise CheckpointError(
            "this file is a PyTorch file but not an LSTM Lab checkpoint (it has no 'format' field)"
        )
    if ckpt["format"] == "lstm-lab/forecaster":
        raise CheckpointError(
            "this is an LSTM Lab forecaster checkpoint, not a text model: load it where "
            "forecasters are loaded"
        )
    if ckpt["format"] != FORMAT:
        raise CheckpointError(
            f"this checkpoint's format is {str(ckpt['format'])[:60]!r}, not a text model "
            f"({FORMAT!r})"
        )
    require(ckpt, VERSION, REQUIRED, "text-model ")


def text_run_bytes(run: TextRun) -> bytes:
    """The checkpoint as bytes (for a download button)."""
    return to_bytes(text_run_to_dict(run))


def save_text_run(run: TextRun, path: str | os.PathLike) -> Path:
    """Write atomically (temp file in the same folder, then rename)."""
    return write_atomic(text_run_bytes(run), path)


def load_text_dict(source: str | os.PathLike | bytes | io.IOBase) -> dict:
    """Read safely (``core.runs.formats.common.read_dict``: size cap, checksums,
    weights_only, so code is refused) and validate a text checkpoint dict."""
    ckpt = read_dict(source)
    _validate(ckpt)
    return ckpt


def load_text_run(source: str | os.PathLike | bytes | io.IOBase) -> TextRun:
    return text_run_from_dict(load_text_dict(source))
