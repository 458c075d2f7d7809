"""What every LSTM Lab checkpoint file shares, whatever its kind: the safe reader (size
cap, zip CRC check, ``torch.load(weights_only=True)``, so a file carrying code is refused),
the atomic write, the version and required-entry check, and the weight check that builds a
model only after its stored tensors fit. Each kind's own format lives beside this module
(``forecaster.py``, ``text.py``, ``sentiment.py``) and ``core.runs.registry`` dispatches a
file to its kind on the ``format`` field.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

from core import limits

MAX_BYTES = limits.MAX_CHECKPOINT_BYTES  # a larger file is refused before it is parsed


class CheckpointError(ValueError):
    """The file is not a usable LSTM Lab checkpoint; the message says why."""


def plain(obj: Any) -> Any:
    """JSON round trip: guarantees nothing but plain data reaches the file."""
    return json.loads(json.dumps(obj, default=str))


def to_bytes(ckpt: dict) -> bytes:
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    return buf.getvalue()


def write_atomic(data: bytes, path: str | os.PathLike) -> Path:
    """Write bytes to a temp file in the same folder, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# -- reading, with a reason for every refusal ---------------------------------------------------
def read_bytes(source: str | os.PathLike | bytes | io.IOBase) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        try:
            return Path(source).read_bytes()
        except FileNotFoundError:
            raise CheckpointError(f"no checkpoint file at {source}") from None
        except OSError as e:
            raise CheckpointError(f"cannot read {source}: {e.strerror or e}") from None
    return source.read()


def refused_global(message: str) -> str:
    m = re.search(r"GLOBAL ([\w.]+)", message) or re.search(r"global: ([\w.]+)", message)
    return f" ({m.group(1)})" if m else ""


def read_dict(source: str | os.PathLike | bytes | io.IOBase) -> Any:
    """Read any LSTM Lab checkpoint safely (size cap, zip check, ``weights_only``) without
    checking its format: ``core.runs.registry`` dispatches on the ``format`` field."""
    data = read_bytes(source)
    if not data:
        raise CheckpointError("the file is empty: it is not a checkpoint")
    if len(data) > MAX_BYTES:
        raise CheckpointError(
            f"the file is {len(data) / 2**20:.0f} MB; checkpoints above "
            f"{MAX_BYTES // 2**20} MB are refused"
        )
    if not data.startswith(b"PK\x03\x04"):
        what = "a plain Python pickle" if data[:1] == b"\x80" else "not a PyTorch file"
        raise CheckpointError(
            f"this file is {what}, not a checkpoint saved by LSTM Lab (PyTorch's zip "
            "format); it was not loaded"
        )
    try:
        bad = zipfile.ZipFile(io.BytesIO(data)).testzip()  # every record's CRC-32
    except zipfile.BadZipFile:
        raise CheckpointError(
            "the file is truncated or damaged (its archive index is missing): download "
            "or copy it again"
        ) from None
    except (zipfile.LargeZipFile, NotImplementedError, OSError, ValueError, EOFError):
        bad = "?"
    if bad is not None:
        raise CheckpointError(
            "the file is damaged (a stored record fails its checksum, so bytes changed "
            "after it was written): download or copy it again"
        )
    try:
        ckpt = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as e:  # pickle with code, damaged records...
        text = str(e)
        if "Weights only load failed" in text:
            raise CheckpointError(
                "refused: the file contains Python objects other than tensors and plain "
                f"data{refused_global(text)}; loading them could run code, so LSTM Lab "
                "only reads checkpoints it wrote"
            ) from None
        first = text.strip().splitlines()[0][:200] if text.strip() else type(e).__name__
        raise CheckpointError(f"the file is damaged and could not be read: {first}") from None
    return ckpt


def require(ckpt: dict, version: int, keys, label: str = "") -> dict:
    """Shared by every checkpoint kind: the version this LSTM Lab reads, and required entries.

    ``label`` names the kind in the message ("text-model ", "sentiment ", "" for forecasters).
    """
    if ckpt.get("version") != version:
        raise CheckpointError(
            f"{label}checkpoint version {ckpt.get('version')!r} is not supported "
            f"(this LSTM Lab reads version {version})"
        )
    for key in keys:
        if key not in ckpt:
            raise CheckpointError(f"the checkpoint lacks its {key!r} entry")
    return ckpt


def build_checked(build: Callable[[Any], torch.nn.Module], cfg: Any, got: Any, what: str):
    """``build(cfg)`` with the weights ``got``, after checking them without allocating.

    Shared by every checkpoint kind. The model is first built on PyTorch's ``meta`` device
    (shapes only, no memory): its parameter count must be within ``limits.MAX_PARAMETERS``
    and every stored tensor must have the declared name and shape, really hold its values
    (no zero-stride views of a tiny storage) and be finite. Only then is the model built.
    """
    if not isinstance(got, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in got.items()
    ):
        raise CheckpointError("the checkpoint's weights are not a dict of tensors")
    try:
        with torch.device("meta"):
            want = build(cfg).state_dict()
    except (ValueError, TypeError, RuntimeError) as e:
        why = first_line(e)
        raise CheckpointError(f"the checkpoint's model settings are invalid: {why}") from None
    n_params = sum(v.numel() for v in want.values())
    if n_params > limits.MAX_PARAMETERS:
        raise CheckpointError(
            f"the checkpoint declares a {what} with {n_params:,} weights; LSTM Lab opens "
            f"models of at most {limits.MAX_PARAMETERS:,}"
        )
    missing, unexpected = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    if missing or unexpected:
        raise CheckpointError(
            f"the weights are for a different architecture than this {what}: "
            f"missing {', '.join(missing[:4]) or 'nothing'}; "
            f"unexpected {', '.join(k[:60] for k in unexpected[:4]) or 'nothing'}"
        )
    for k, v in want.items():
        t = got[k]
        if tuple(t.shape) != tuple(v.shape):
            raise CheckpointError(
                f"the weights are for a different architecture than this {what}: "
                f"{k} has shape {tuple(t.shape)}, the model expects {tuple(v.shape)}"
            )
        if t.untyped_storage().nbytes() < t.numel() * t.element_size() or t.dtype != v.dtype:
            raise CheckpointError(f"the checkpoint's weight {k} is not a plain {v.dtype} tensor")
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise CheckpointError(
                f"the checkpoint's weights hold NaN or infinite values ({k}): the model it "
                "was saved from had diverged, so it was not loaded"
            )
    model = build(cfg)
    try:
        model.load_state_dict(got)
    except RuntimeError as e:
        raise CheckpointError(
            f"the checkpoint's weights do not fit its model: {first_line(e)}"
        ) from None
    return model


def first_line(e: Exception) -> str:
    """The first line of an error message, shortened: messages stay one sentence."""
    text = str(e).strip()
    return text.splitlines()[0][:200] if text else type(e).__name__


@contextlib.contextmanager
def weights_fit(*also: type[BaseException]) -> Iterator[None]:
    """Checks of a checkpoint's settings against its weights: any error inside becomes the one
    sentence every format uses ("the checkpoint's weights do not fit its model settings: ...")."""
    try:
        yield
    except (ValueError, TypeError, RuntimeError, KeyError, IndexError, *also) as e:
        raise CheckpointError(
            "the checkpoint's weights do not fit its model settings: "
            f"{str(e).splitlines()[0][:300]}"
        ) from None
