"""Saving and loading text models: a plain dict (format "lstm-lab/charlm").

Only plain containers, numbers, strings and tensors go in, so the file loads with
``torch.load(weights_only=True)``; a file carrying code is refused. The corpus
itself is not stored: its name, provenance, fingerprint and length are, plus the
first characters of its validation part (the probe text of the Cells view).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from core.checkpoint import CheckpointError, require
from core.text.corpus import TextError, Vocab
from core.text.model import CharLM, CharModelConfig, CharTrainConfig
from core.text.train import TextRun

FORMAT = "lstm-lab/charlm"
VERSION = 1
REQUIRED = ("model_cfg", "train_cfg", "vocab", "state_dict")


def _plain(obj: Any) -> Any:
    """JSON round trip: guarantees nothing but plain data reaches the file."""
    return json.loads(json.dumps(obj, default=str))


def text_run_to_dict(run: TextRun) -> dict:
    """Everything needed to sample from and inspect the model again."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "model_cfg": run.model_cfg.to_dict(),
        "train_cfg": run.train_cfg.to_dict(),
        "vocab": list(run.vocab.chars),
        "state_dict": {k: v.detach().cpu().clone() for k, v in run.model.state_dict().items()},
        "corpus": _plain(run.corpus),
        "probe": run.probe,
        "baselines": _plain(run.baselines),
        "history": _plain(run.history),
        "samples": _plain(run.samples),
        "result": _plain(run.result),
    }


def text_run_from_dict(ckpt: dict) -> TextRun:
    """Rebuild a run from a checkpoint dict; CheckpointError when it does not fit."""
    _validate(ckpt)
    try:
        vocab = Vocab(tuple(ckpt["vocab"]))
        model_cfg = CharModelConfig.from_dict(ckpt["model_cfg"])
        train_cfg = CharTrainConfig.from_dict(ckpt["train_cfg"])
        if model_cfg.vocab_size != vocab.size:
            raise ValueError(
                f"the vocabulary has {vocab.size} characters but the model expects "
                f"{model_cfg.vocab_size}"
            )
        model = CharLM(model_cfg)
        model.load_state_dict(ckpt["state_dict"])
    except (ValueError, TypeError, RuntimeError, KeyError, TextError) as e:
        raise CheckpointError(
            "the checkpoint's weights do not fit its model settings: "
            f"{str(e).splitlines()[0][:300]}"
        ) from None
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
    buf = io.BytesIO()
    torch.save(text_run_to_dict(run), buf)
    return buf.getvalue()


def save_text_run(run: TextRun, path: str | os.PathLike) -> Path:
    """Write atomically (temp file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pt")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text_run_bytes(run))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_text_dict(source: str | os.PathLike | bytes | io.IOBase) -> dict:
    """Read and validate a text checkpoint dict (weights_only: code is refused)."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        ckpt = torch.load(source, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint file at {source}") from None
    except Exception as e:  # pickle with code, truncated file, not a torch file...
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(
            "this file is not a loadable LSTM Lab checkpoint (it may be truncated, not a "
            f"PyTorch file, or contain code, which is refused): {first[:200]}"
        ) from None
    _validate(ckpt)
    return ckpt


def load_text_run(source: str | os.PathLike | bytes | io.IOBase) -> TextRun:
    return text_run_from_dict(load_text_dict(source))
