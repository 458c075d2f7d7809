"""Bytes in: read the source under the size cap, refuse binaries, decide the encoding."""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.data.csv.report import SAMPLE_BYTES, DataError

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook is one)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed"),
    (b"BZh", "bzip2-compressed"),
    (b"\xfd7zXZ\x00", "xz-compressed"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls (OLE) file"),
    (b"PAR1", "a Parquet file"),
    (b"SQLite format 3\x00", "an SQLite database"),
)


def _label(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.path.basename(os.fspath(source)) or str(source)
    name = getattr(source, "name", None)
    return os.path.basename(name) if isinstance(name, str) and name else "the upload"


def _size_error(label: str, size: int, max_bytes: int) -> DataError:
    return DataError(
        f"{label} is {size / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.1f} MB. Upload fewer "
        "rows (a shorter period), fewer columns, or a coarser frequency."
    )


def _stream_size(stream: Any) -> int | None:
    size = getattr(stream, "size", None)
    if isinstance(size, int) and not isinstance(size, bool):
        return size
    try:
        if stream.seekable():
            here = stream.tell()
            end = stream.seek(0, io.SEEK_END)
            stream.seek(here)
            return int(end)
    except (AttributeError, OSError, ValueError):
        return None
    return None


def read_source(source: Any, max_bytes: int) -> tuple[bytes | str, str]:
    """Return the raw content (bytes, or str from a text stream) and a label for messages."""
    label = _label(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise DataError(
                f"File not found: {os.fspath(source)!r}. (To parse CSV text, pass it as bytes "
                "or io.StringIO.)"
            )
        if not path.is_file():
            raise DataError(f"{os.fspath(source)!r} is not a file.")
        size = path.stat().st_size
        if size > max_bytes:
            raise _size_error(label, size, max_bytes)
        try:
            with path.open("rb") as fh:
                data: bytes | str = fh.read()  # size checked above; read() pre-sizes
        except OSError as exc:
            raise DataError(f"Could not open {label}: {exc.strerror or exc}") from None
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif hasattr(source, "read"):
        size = _stream_size(source)
        if size is not None and size > max_bytes:
            raise _size_error(label, size, max_bytes)
        try:
            if source.seekable() and source.tell() != 0:
                source.seek(0)
        except (AttributeError, OSError, ValueError):
            pass
        data = source.read() if size is not None else _read_capped(source, max_bytes)
        if not isinstance(data, (bytes, bytearray, str)):
            raise DataError(f"Reading {label} gave {type(data).__name__}, not bytes or text.")
        data = bytes(data) if isinstance(data, bytearray) else data
    else:
        raise DataError(
            f"Cannot read a {type(source).__name__}: pass a file path, bytes, or an open file."
        )
    length = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if length > max_bytes:
        raise _size_error(label, length, max_bytes)
    return data, label


def _read_capped(stream: Any, max_bytes: int) -> bytes | str:
    """Read at most ``max_bytes + 1`` in 1 MiB chunks (``read(n)`` would allocate n up front)."""
    chunks: list[Any] = []
    total = 0
    while total <= max_bytes:
        chunk = stream.read(min(2**20, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if chunks and isinstance(chunks[0], str):
        return "".join(chunks)
    return b"".join(bytes(c) for c in chunks)


@dataclass
class Text:
    """Content ready for pandas: UTF-8 bytes plus decoded head and tail for sniffing."""

    data: bytes
    encoding: str
    head: str  # at most SAMPLE_BYTES worth of text, cut at a line end unless whole
    tail: str
    whole: bool


def _refuse_binary(raw: bytes, label: str) -> None:
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            hint = (
                "decompress it first"
                if "compressed" in what
                else "open it in its program and save or export it as CSV"
            )
            raise DataError(f"{label} looks like {what}, not a CSV text file: {hint}.")


def _utf16_without_bom(raw: bytes) -> str | None:
    head = raw[:4096]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.3 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > 0.3 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def decode(content: bytes | str, label: str) -> Text:
    """Decide the encoding and produce UTF-8 bytes for pandas (rules in the module doc)."""
    if isinstance(content, str):
        if not content:
            raise DataError(f"{label} is empty. Upload a CSV with a header and data rows.")
        return _from_text(content.lstrip("\ufeff"), "text (decoded by the caller)", label)
    raw = content
    if not raw:
        raise DataError(f"{label} is empty (0 bytes). Upload a CSV with a header and data rows.")
    _refuse_binary(raw, label)
    if raw.startswith(b"\xef\xbb\xbf"):
        return _utf8(raw[3:], "UTF-8 with BOM", label)
    for bom, codec, name in (
        (b"\xff\xfe", "utf-16-le", "UTF-16 LE (BOM)"),
        (b"\xfe\xff", "utf-16-be", "UTF-16 BE (BOM)"),
    ):
        if raw.startswith(bom):
            return _from_text(_strict(raw[2:], codec, label), name, label)
    if b"\x00" in raw:
        codec = _utf16_without_bom(raw)
        if codec is None:
            at = raw.index(b"\x00")
            raise DataError(
                f"{label} contains NUL bytes (first at byte {at}): it looks like a binary file, "
                "not CSV text. Export the data as CSV (UTF-8) and upload that."
            )
        name = "UTF-16 LE (no BOM)" if codec.endswith("le") else "UTF-16 BE (no BOM)"
        return _from_text(_strict(raw, codec, label), name, label)
    if raw.isascii():  # valid UTF-8 without building a str
        return _utf8(raw, "UTF-8", label)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return _utf8(raw, "UTF-8", label)
    try:
        return _from_text(raw.decode("cp1252"), "cp1252 (Windows Latin-1)", label)
    except UnicodeDecodeError:
        return _from_text(raw.decode("latin-1"), "Latin-1", label)


def _strict(raw: bytes, codec: str, label: str) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{label} starts like {codec.upper()} text but byte {exc.start} is not valid "
            f"{codec.upper()}; re-save the file as UTF-8 CSV."
        ) from None


def _utf8(data: bytes, name: str, label: str) -> Text:
    whole = len(data) <= SAMPLE_BYTES
    head = data[:SAMPLE_BYTES].decode("utf-8", errors="ignore")
    tail = data[-4096:].decode("utf-8", errors="ignore")
    text = Text(data, name, _cut_head(head, whole), tail, whole)
    _check_text(text, label)
    return text


def _from_text(text: str, name: str, label: str) -> Text:
    whole = len(text) <= SAMPLE_BYTES
    out = Text(
        text.encode("utf-8"), name, _cut_head(text[:SAMPLE_BYTES], whole), text[-4096:], whole
    )
    _check_text(out, label)
    return out


def _cut_head(head: str, whole: bool) -> str:
    if whole:
        return head
    end = max(head.rfind("\n"), head.rfind("\r"))
    return head[: end + 1] if end > 0 else head


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")


def _check_text(text: Text, label: str) -> None:
    if "\x00" in text.head or "\x00" in text.tail:
        raise DataError(f"{label} contains NUL characters: it looks binary, not CSV text.")
    sample = text.head
    if sample and len(_CONTROL.findall(sample)) > 0.01 * len(sample):
        raise DataError(
            f"{label} does not look like text (many control characters): is it a binary file? "
            "Export the data as CSV and upload that."
        )
    if not sample.strip() and (text.whole or not text.data.strip()):
        raise DataError(f"{label} contains only whitespace: there is no header and no data.")
