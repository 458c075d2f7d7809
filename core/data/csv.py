"""Read a user's CSV into a clean time-series frame, or say exactly what is wrong.

``read_series_csv`` is the one door for uploaded data. It returns a ``DataFrame`` with a sorted,
unique, tz-naive ``DatetimeIndex`` (or a ``RangeIndex`` named ``"row"`` in integer-index mode)
and float64 columns only, or raises :class:`DataError` (a ``ValueError``) whose message says
what is wrong, where (file line number, column name) and what to do. It never raises anything
else. A :class:`ParseReport` describing every decision rides along in ``df.attrs["report"]``.

Rules, in the order they are applied:

* Source: a path (``str``/``Path``), ``bytes``, or a binary/text file-like object. Seekable
  streams are read from the start (a Streamlit ``UploadedFile`` may already have been read). The
  size is checked against ``max_bytes`` before reading when the source tells its size.
* Bytes: PNG/JPEG/GIF/PDF/ZIP (xlsx)/gzip/bz2/xz/7z/OLE (xls)/Parquet/SQLite signatures are
  refused by name. Encoding: BOM first (UTF-8, UTF-16 LE/BE), then UTF-16 without BOM when every
  other byte is NUL, then strict UTF-8, then cp1252, then Latin-1. Any other NUL byte or a text
  sample with more than 1% control characters is refused as binary.
* Layout, sniffed on the first 64 KiB only: separator among ``; \\t | ,`` (most consistent field
  count wins, ``,`` loses ties); leading lines without any separator are skipped as a preamble;
  the 2- and 3-line headers written by ``yf.download(...).to_csv()`` (``Price``/``Ticker``/
  ``Date``) are folded into one; a header is assumed unless the first row already looks like
  data; a leading unnamed column holding 0, 1, 2, ... is dropped.
* Dates: the first column (name hints like *date*/*time*/*month* first) whose sample values
  parse as dates. ISO 8601 (with times and offsets), ``YYYY-MM``, ``YYYY/MM/DD``,
  ``DD/MM/YYYY`` or ``MM/DD/YYYY`` (day-first if any first field is > 12, month-first if any
  second field is > 12; when every date fits both, month-first is used and the ambiguity is
  reported; dot-separated ``DD.MM.YYYY`` is day-first by convention; ``dayfirst=`` overrides),
  month names (``Jan 05, 2024``, ``05-Jan-2024``), ``YYYYMMDD``/year/epoch seconds only under a
  date-like column name. Offsets are converted to UTC and dropped (tz-naive). Rows whose date
  cannot be read are dropped and reported with their line number.
* Order: files sorted newest first are reversed, unsorted ones sorted (both noted); duplicate
  timestamps keep the row that comes last in the file (count reported).
* Numbers: decimal convention decided from the sample (``1.234,56`` -> decimal comma).
  Thousands separators, currency symbols, ``(12.5)`` negatives, unicode minus and ``K/M/B/T``
  suffixes (``65.59K`` -> 65590) are understood. A trailing ``%`` is stripped and the number
  kept as written (``3.4%`` -> 3.4, not 0.034); the unit is recorded in ``report.units``.
  Anything else (``n/a``, ``-``, ``null``, ``#N/A``, ``abc``, ``inf``) becomes NaN and is
  reported per column with examples and line numbers. Empty cells are plain missing values. A
  column where fewer than half of the filled cells are numbers is excluded and reported. True/
  False columns become 1.0/0.0.
* Rows: blank lines are ignored (counted); rows with too many fields are dropped and reported; a
  last line with fewer fields than the header (a partly written row) is dropped and reported.

Row numbers in messages and in the report are 1-based line numbers of the file as a text editor
shows them (the header is line 1), assuming no line breaks inside quoted fields.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from core.data.csv_fixes import (
    free_names,
    is_row_index,
    is_ticker_row,
    local_midnights,
    safe_header,
)

__all__ = [
    "DataError",
    "ParseReport",
    "fill_missing",
    "read_series_csv",
    "read_series_csv_with_report",
    "resample",
    "to_csv_bytes",
]

SAMPLE_BYTES = 64 * 1024
SAMPLE_ROWS = 1000
MAX_LISTED = 50  # rows listed in report.dropped_rows
MAX_JUNK_ROWS = 20  # rows listed per column in report.junk
MAX_EXAMPLES = 5
SEPARATORS = (";", "\t", "|", ",")  # tie-break order: "," loses ties (it is also a decimal mark)
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
FILL_METHODS = ("ffill", "interpolate", "drop", "none")
RESAMPLE_HOW = ("last", "mean")


class DataError(ValueError):
    """The file (or an argument) cannot give a usable series; the message says why and where."""


# --------------------------------------------------------------------------- report


@dataclass
class ParseReport:
    """What the parser read, decided and changed. All fields are JSON types."""

    source: str = ""
    encoding: str = ""
    separator: str = ","
    decimal: str = "."
    thousands: str | None = None
    header_lines: int = 1
    rows_read: int = 0
    rows_kept: int = 0
    columns: list[str] = field(default_factory=list)
    index_kind: str = "datetime"  # "datetime" or "row"
    date_column: str | None = None
    date_format: str | None = None
    date_note: str | None = None
    start: str | None = None
    end: str | None = None
    frequency: str | None = None
    gaps: int = 0
    largest_gap: str | None = None
    newest_first: bool = False
    sorted_note: str | None = None
    duplicates_removed: int = 0
    blank_lines: int = 0
    dropped_count: int = 0
    dropped_rows: list[dict[str, Any]] = field(default_factory=list)
    junk: dict[str, dict[str, Any]] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    excluded_columns: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy."""
        return asdict(self)

    def drop_row(self, row: int, reason: str) -> None:
        """Record one dropped row (the list is capped, the count is not)."""
        self.dropped_count += 1
        if len(self.dropped_rows) < MAX_LISTED:
            self.dropped_rows.append({"row": int(row), "reason": reason})

    def summary_lines(self) -> list[str]:
        """Short human sentences for the UI, most important first."""
        sep = SEPARATOR_NAMES.get(self.separator, repr(self.separator))
        lines = [
            f"Read {self.rows_read:,} rows from a {sep}-separated {self.encoding} file; "
            f"kept {self.rows_kept:,} with {len(self.columns)} numeric column(s): "
            f"{', '.join(self.columns)}."
        ]
        if self.index_kind == "datetime":
            freq = f"frequency {self.frequency}" if self.frequency else "irregular spacing"
            lines.append(
                f"Dates from column '{self.date_column}' ({self.date_format}): "
                f"{self.start} to {self.end}, {freq}."
            )
            if self.gaps:
                lines.append(
                    f"{self.gaps:,} gap(s) in the dates; the largest is {self.largest_gap}."
                )
        else:
            lines.append("No date column: rows are numbered 0, 1, 2, ... in file order.")
        if self.date_note:
            lines.append(self.date_note)
        if self.decimal == ",":
            lines.append("Numbers use a decimal comma (1.234,56).")
        if self.sorted_note:
            lines.append(self.sorted_note)
        if self.duplicates_removed:
            lines.append(
                f"{self.duplicates_removed:,} duplicate timestamp(s): kept the last row for each."
            )
        for col, info in self.junk.items():
            where = ", ".join(str(r) for r in info["rows"][:3])
            examples = ", ".join(repr(e) for e in info["examples"][:3])
            lines.append(
                f"Column '{col}': {info['count']:,} value(s) were not numbers ({examples}; "
                f"row {where}{', ...' if info['count'] > 3 else ''}) and became missing."
            )
        for col, why in self.excluded_columns.items():
            lines.append(f"Column '{col}' was left out: {why}.")
        for col, unit in self.units.items():
            lines.append(f"Column '{col}': {unit}.")
        if self.dropped_count:
            first = "; ".join(f"row {d['row']}: {d['reason']}" for d in self.dropped_rows[:3])
            more = ", ..." if self.dropped_count > 3 else ""
            lines.append(f"Dropped {self.dropped_count:,} row(s) ({first}{more}).")
        missing = {c: n for c, n in self.missing.items() if n}
        if missing:
            parts = ", ".join(f"{c}: {n:,}" for c, n in missing.items())
            lines.append(f"Missing values in the file ({parts}).")
        lines.extend(self.notes)
        return lines


# --------------------------------------------------------------------------- public API


def read_series_csv(
    source: Any,
    *,
    max_rows: int = 2_000_000,
    max_columns: int = 200,
    max_bytes: int = 200 * 2**20,
    min_rows: int = 2,
    integer_index_ok: bool = False,
    need_reason: str | None = None,
    dayfirst: bool | None = None,
    date_column: str | None = None,
) -> pd.DataFrame:
    """Parse ``source`` into a clean float64 frame; the report is in ``df.attrs["report"]``.

    ``need_reason`` completes the "too few rows" message (e.g. ``"one window of lookback 30 +
    horizon 5"``). ``dayfirst`` forces DD/MM (True) or MM/DD (False) for numeric dates.
    ``date_column`` names the date column instead of detecting it. Raises only DataError.
    """
    df, _ = read_series_csv_with_report(
        source,
        max_rows=max_rows,
        max_columns=max_columns,
        max_bytes=max_bytes,
        min_rows=min_rows,
        integer_index_ok=integer_index_ok,
        need_reason=need_reason,
        dayfirst=dayfirst,
        date_column=date_column,
    )
    return df


def read_series_csv_with_report(
    source: Any,
    *,
    max_rows: int = 2_000_000,
    max_columns: int = 200,
    max_bytes: int = 200 * 2**20,
    min_rows: int = 2,
    integer_index_ok: bool = False,
    need_reason: str | None = None,
    dayfirst: bool | None = None,
    date_column: str | None = None,
) -> tuple[pd.DataFrame, ParseReport]:
    """Like :func:`read_series_csv` but also return the :class:`ParseReport`."""
    limits = _Limits(max_rows, max_columns, max_bytes, min_rows, need_reason)
    try:
        limits.validate()
        _check_flag("integer_index_ok", integer_index_ok)
        if dayfirst is not None:
            _check_flag("dayfirst", dayfirst)
        if date_column is not None and not isinstance(date_column, str):
            raise DataError(f"date_column must be a column name (str), got {date_column!r}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            df, report = _parse(source, limits, integer_index_ok, dayfirst, date_column, caught)
    except DataError:
        raise
    except MemoryError:
        raise DataError(
            "Not enough memory to read this file; upload a smaller file (fewer rows or columns)."
        ) from None
    except Exception as exc:
        raise DataError(
            f"Could not read this file as CSV ({type(exc).__name__}: {exc}). Check that it is a "
            "plain-text table with a header row, one row per line."
        ) from exc
    df.attrs["report"] = report
    return df, report


def fill_missing(df: pd.DataFrame, method: str = "ffill") -> pd.DataFrame:
    """Return a copy of ``df`` with missing values handled by ``method``.

    * ``"ffill"``: carry the last value forward; values missing before the first observation are
      back-filled from it (a model cannot start from NaN).
    * ``"interpolate"``: straight line between neighbours (weighted by time for a
      DatetimeIndex, by position otherwise); the ends take the nearest value.
    * ``"drop"``: drop every row with any missing value.
    * ``"none"``: leave them (a copy).
    A column with no value at all stays NaN with ``ffill``/``interpolate``.
    """
    _check_frame(df, "fill_missing")
    if method not in FILL_METHODS:
        raise DataError(f"fill method must be one of {', '.join(FILL_METHODS)}; got {method!r}")
    if method == "ffill":
        return df.ffill().bfill()
    if method == "interpolate":
        how = "time" if isinstance(df.index, pd.DatetimeIndex) else "linear"
        return df.interpolate(method=how, limit_direction="both").ffill().bfill()
    if method == "drop":
        return df.dropna(how="any")
    return df.copy()


def resample(
    df: pd.DataFrame, rule: str, how: str = "last", *, max_rows: int = 2_000_000
) -> pd.DataFrame:
    """Resample a DatetimeIndex frame to the regular frequency ``rule`` (a pandas alias).

    ``how="last"`` keeps the last observation in each bin (prices), ``"mean"`` averages it.
    Bins without data are NaN rows: follow with :func:`fill_missing`. Refuses rules that would
    create more than ``max_rows`` rows (e.g. 1-second bins over decades).
    """
    _check_frame(df, "resample")
    if not isinstance(df.index, pd.DatetimeIndex):
        raise DataError("resample needs a frame indexed by dates; this one is numbered by row.")
    if how not in RESAMPLE_HOW:
        raise DataError(f"resample how must be one of {', '.join(RESAMPLE_HOW)}; got {how!r}")
    if not isinstance(rule, str) or not rule.strip():
        raise DataError(
            f"resample rule must be a frequency alias such as 'D', 'W', 'ME'; got {rule!r}"
        )
    try:
        offset = to_offset(rule.strip())
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"Unknown frequency {rule!r} ({exc}); use an alias such as 'h', 'D', 'B', 'W', 'ME'."
        ) from None
    if len(df) and _bins_estimate(df.index, offset) > max_rows:
        raise DataError(
            f"Resampling to {rule!r} would create more than {max_rows:,} rows; "
            "choose a coarser frequency."
        )
    try:
        binned = df.resample(offset)
        out = binned.last() if how == "last" else binned.mean()
    except (ValueError, TypeError) as exc:
        raise DataError(f"Could not resample to {rule!r}: {exc}") from None
    return out.astype("float64")


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV bytes of ``df`` for a download button; ``read_series_csv`` reads them back.

    A DatetimeIndex becomes the first column (named after the index, else ``Date``); a row-
    numbered frame is written without its index (read it back with ``integer_index_ok=True``).
    Floats are written with full precision, missing values as empty cells, ``\\n`` line ends.
    """
    _check_frame(df, "to_csv_bytes")
    bad = [str(c) for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    if bad:
        raise DataError(f"to_csv_bytes needs numeric columns; not numeric: {', '.join(bad)}")
    df = df.rename(columns=safe_header)  # formula-looking names, like formula cells, stay text
    if isinstance(df.index, pd.DatetimeIndex):
        label = safe_header(df.index.name) if df.index.name not in (None, "") else "Date"
        text = df.to_csv(index=True, index_label=label, lineterminator="\n")
    else:
        text = df.to_csv(index=False, lineterminator="\n")
    return text.encode("utf-8")


# --------------------------------------------------------------------------- arguments


@dataclass(frozen=True)
class _Limits:
    max_rows: int
    max_columns: int
    max_bytes: int
    min_rows: int
    need_reason: str | None

    def validate(self) -> None:
        for name in ("max_rows", "max_columns", "max_bytes", "min_rows"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise DataError(f"{name} must be a positive integer, got {value!r}")
        if self.need_reason is not None and not isinstance(self.need_reason, str):
            raise DataError(f"need_reason must be a string, got {self.need_reason!r}")


def _check_flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise DataError(f"{name} must be True or False, got {value!r}")


def _check_frame(df: Any, what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{what} needs a pandas DataFrame, got {type(df).__name__}")


def _bins_estimate(index: pd.DatetimeIndex, offset: Any) -> float:
    span = index.max() - index.min()
    try:
        step = pd.Timedelta(offset.nanos, unit="ns")
    except (ValueError, TypeError, AttributeError):
        step = pd.Timedelta(days=1)  # calendar offsets (B, W, ME, ...) are at least a day
    return span / step + 1


# --------------------------------------------------------------------------- bytes in


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


def _read_source(source: Any, max_bytes: int) -> tuple[bytes | str, str]:
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
class _Text:
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


def _decode(content: bytes | str, label: str) -> _Text:
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


def _utf8(data: bytes, name: str, label: str) -> _Text:
    whole = len(data) <= SAMPLE_BYTES
    head = data[:SAMPLE_BYTES].decode("utf-8", errors="ignore")
    tail = data[-4096:].decode("utf-8", errors="ignore")
    text = _Text(data, name, _cut_head(head, whole), tail, whole)
    _check_text(text, label)
    return text


def _from_text(text: str, name: str, label: str) -> _Text:
    whole = len(text) <= SAMPLE_BYTES
    out = _Text(
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


def _check_text(text: _Text, label: str) -> None:
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


# --------------------------------------------------------------------------- layout sniffing


@dataclass
class _Layout:
    sep: str
    names: list[str]
    skip: list[int]  # 0-based physical line indices that are not data (preamble, header)
    first_data_line: int  # 1-based line number of the first data row
    header: bool
    rows: list[list[str]]  # sample data rows
    notes: list[str]
    blank_first: bool  # the first header cell was empty


def _csv_rows(text: str, sep: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=sep, quotechar='"', skipinitialspace=True)
    return [row for row in reader]


def _sniff_separator(head: str) -> str:
    lines = head.splitlines()[:200]
    sample = "\n".join(lines)
    best, best_score = ",", (-1.0, 0)
    for sep in SEPARATORS:
        counts = [len(r) for r in _csv_rows(sample, sep) if any(c.strip() for c in r)]
        if not counts:
            continue
        values, freq = np.unique(counts, return_counts=True)
        modal = int(values[np.argmax(freq)])
        if modal < 2:
            continue
        score = (float(freq.max()) / len(counts), modal)
        if score[0] > best_score[0]:  # ties keep the earlier (preferred) separator
            best, best_score = sep, score
    return best


def _is_blank(row: list[str]) -> bool:
    return not any(c.strip() for c in row)


def _sniff_layout(text: _Text, max_columns: int) -> _Layout:
    sep = _sniff_separator(text.head)
    physical = _csv_rows(text.head, sep)
    notes: list[str] = []
    indexed = [(i, r) for i, r in enumerate(physical) if not _is_blank(r)]
    if not indexed:
        raise DataError("The file has no rows with content.")
    counts = [len(r) for _, r in indexed]
    modal = max(set(counts), key=counts.count)
    start = 0
    if modal >= 2:
        while start < min(len(indexed), 20) and len(indexed[start][1]) == 1:
            start += 1
        if start == len(indexed):
            start = 0
        if start:
            notes.append(f"Skipped {start} line(s) before the header (no '{sep}' in them).")
    rest = indexed[start:]
    header = rest[0][1]
    header = [h.replace("\ufeff", "").strip() for h in header]
    n_header = 1
    if header and header[0].lower() == "price" and len(rest) > 1 and _first(rest[1][1]) == "ticker":
        n_header = 2
        tickers = sorted({c.strip() for c in rest[1][1][1:] if c.strip()})
        if (
            len(rest) > 2
            and _first(rest[2][1]) in ("date", "datetime")
            and _is_blank(rest[2][1][1:])
        ):
            n_header = 3
        has_date = any(h.lower() in ("date", "datetime") for h in header[1:])
        header[0] = "" if has_date else "Date"  # reset_index(): column 0 is the row index
        notes.append(
            f"Read the {n_header}-line yfinance header (Price / Ticker"
            f"{' / Date' if n_header == 3 else ''}); ticker: {', '.join(tickers) or '?'}."
        )
    elif len(rest) > 1 and is_ticker_row(rest[1][1]):  # yfinance reset_index(), no index
        n_header = 2
        notes.append(f"Read the 2-line yfinance header; ticker: {rest[1][1][1].strip()}.")
    has_header = not _looks_like_data(header)
    if not has_header:
        n_header = 0
        notes.append("The first line holds data, not column names: columns were named for you.")
    data_rows = [r for _, r in rest[n_header:]]
    first_index = rest[n_header][0] if data_rows else len(physical)
    skip = list(range(first_index))  # preamble, header and any blank line among them
    if not data_rows and text.whole:
        raise DataError("The file has a header but no data rows.")
    widths = [len(r) for r in data_rows[:SAMPLE_ROWS] if not _is_blank(r)]
    width = max(len(header), max(set(widths), key=widths.count) if widths else 0)
    if width > max_columns:
        raise DataError(
            f"The file has {width} columns; the limit is {max_columns}. Keep the date column "
            "and the series you need, then upload again."
        )
    names = _column_names(header if has_header else [], width, has_header)
    blank_first = has_header and header[0].lower() in ("", "unnamed: 0", "index")
    return _Layout(sep, names, skip, first_index + 1, has_header, data_rows, notes, blank_first)


def _first(row: list[str]) -> str:
    return row[0].strip().lower() if row else ""


def _column_names(header: list[str], width: int, has_header: bool) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for i in range(width):
        name = header[i] if i < len(header) else ""
        if not name:
            name = f"column {i + 1}"
        base, k = name, 2
        while name in seen:
            name = f"{base} ({k})"
            k += 1
        seen.add(name)
        names.append(name)
    return names


def _looks_like_data(header: list[str]) -> bool:
    cells = [c for c in header if c]
    if not cells:
        return False
    dates = sum(bool(_DATE_SHAPE.fullmatch(c)) for c in cells)
    numbers = sum(_looks_numeric(c) for c in cells)
    return (dates >= 1 and dates + numbers == len(cells)) or numbers == len(cells)


_NUMBER_SHAPE = re.compile(
    r"[-+\u2212(]?\s*[$€£¥₹]?\s*[-+]?(\d[\d,.' \u00a0]*\d|\d)(\s*[KkMmBbTt%])?\)?|"
    r"[-+]?(\d+)?[.,]\d+([eE][-+]?\d+)?"
)


def _looks_numeric(cell: str) -> bool:
    return bool(_NUMBER_SHAPE.fullmatch(cell.strip()))


def _sample_columns(layout: _Layout) -> list[list[str]]:
    rows = layout.rows[:SAMPLE_ROWS]
    return [[r[i].strip() if i < len(r) else "" for r in rows] for i in range(len(layout.names))]


def _is_counter(values: list[str]) -> bool:
    vals = [v for v in values if v]
    if len(vals) < 2 or not all(re.fullmatch(r"\d+", v) for v in vals):
        return False
    ints = [int(v) for v in vals]
    return all(b - a == 1 for a, b in itertools.pairwise(ints))


# --------------------------------------------------------------------------- dates


_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?"
_TZ = r"(?:\s?(?:Z|[+-]\d{2}:?\d{2}))?"
_ISO = re.compile(rf"\d{{4}}-\d{{1,2}}-\d{{1,2}}{_TIME}{_TZ}")
_YM = re.compile(r"\d{4}[-/]\d{1,2}")
_YMD_OTHER = re.compile(rf"\d{{4}}[/.]\d{{1,2}}[/.]\d{{1,2}}{_TIME}{_TZ}")
_NUM = re.compile(rf"(\d{{1,2}})([/.-])(\d{{1,2}})\2(\d{{4}}|\d{{2}}){_TIME}{_TZ}")
_NAMED = re.compile(r"(?=.*\d)(?=.*[A-Za-z]{3}).{5,40}")
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
_DATE_SHAPE = re.compile(
    rf"{_ISO.pattern}|{_YMD_OTHER.pattern}|{_NUM.pattern}|\d{{4}}-\d{{2}}|"
    r"[A-Za-z]{3,9}\.? \d{1,2},? \d{4}|\d{1,2}[ -][A-Za-z]{3,9}[ -]\d{2,4}"
)
_NAME_HINT = re.compile(r"date|time|day|month|year|period|timestamp|datum|fecha|data|zeit", re.I)
_NAMED_FORMATS = (
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %y",
    "%Y-%b-%d",
    "%b %Y",
    "%B %Y",
    "%b-%y",
    "%b %d, %Y %H:%M",
    "%b %d, %Y %I:%M %p",
)


@dataclass
class _DatePlan:
    label: str  # the format as told to the user
    fmt: str | None = None  # passed to pd.to_datetime
    rewrite: tuple[tuple[str, str], ...] = ()  # regex rewrites to ISO before parsing
    unit: str | None = None  # epoch numbers
    utc: bool = False
    note: str | None = None
    alternative: _DatePlan | None = None  # the other reading of ambiguous numeric dates


def _century(pattern: str) -> tuple[tuple[str, str], ...]:
    """Rewrites that turn a 2-digit year at group 4 of ``_NUM`` into 4 digits (like %y)."""
    return (
        (pattern.replace("(\\d{4}|\\d{2})", "([0-6]\\d)(?!\\d)"), r"\1\g<2>\g<3>\g<2>20\4"),
        (pattern.replace("(\\d{4}|\\d{2})", "([7-9]\\d)(?!\\d)"), r"\1\g<2>\g<3>\g<2>19\4"),
    )


def _numeric_plan(values: list[str], dayfirst: bool | None) -> _DatePlan:
    matches = [_NUM.match(v) for v in values]
    firsts = [int(m.group(1)) for m in matches if m]
    seconds = [int(m.group(3)) for m in matches if m]
    seps = {m.group(2) for m in matches if m}
    sep = seps.pop() if len(seps) == 1 else "/"
    short_year = any(m and len(m.group(4)) == 2 for m in matches)
    head = r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})"
    prefix = _century(head) if short_year else ()
    iso = r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
    y = "%y" if short_year else "%Y"
    day_plan = _DatePlan(f"%d{sep}%m{sep}{y}", "ISO8601", (*prefix, (iso, r"\3-\2-\1")))
    month_plan = _DatePlan(f"%m{sep}%d{sep}{y}", "ISO8601", (*prefix, (iso, r"\3-\1-\2")))
    day_evidence, month_evidence = any(f > 12 for f in firsts), any(s > 12 for s in seconds)
    if dayfirst is not None:
        plan = day_plan if dayfirst else month_plan
        plan.note = f"Dates read as {plan.label} (day{'' if dayfirst else ' not'} first, as asked)."
        return plan
    if day_evidence and not month_evidence:
        day_plan.note = f"Dates read as {day_plan.label}: a first field above 12 means day first."
        return day_plan
    if month_evidence and not day_evidence:
        month_plan.note = (
            f"Dates read as {month_plan.label}: a second field above 12 means month first."
        )
        return month_plan
    if sep == ".":
        plan, other = day_plan, month_plan
        why = "dot-separated dates are day first by convention"
    else:
        plan, other = month_plan, day_plan
        why = "month first was chosen"
    plan.note = (
        f"Ambiguous dates: the values fit both DD{sep}MM and MM{sep}DD; {why} ({plan.label}). "
        "If that is wrong, choose the other order (dayfirst option)."
    )
    plan.alternative = other
    return plan


def _plan_for(values: list[str], hinted: bool, dayfirst: bool | None) -> _DatePlan | None:
    """Pick a date reading for a sample column, or None when it does not look like dates."""
    vals = [v for v in values if v]
    if not vals:
        return None

    def share(rx: re.Pattern[str]) -> float:
        return sum(bool(rx.fullmatch(v)) for v in vals) / len(vals)

    offsets = any(_OFFSET.search(v) for v in vals)
    if share(_ISO) >= 0.5:
        return _DatePlan("ISO 8601 (YYYY-MM-DD)", "ISO8601", utc=offsets)
    if share(_YMD_OTHER) >= 0.5:
        rewrite = ((r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})", r"\1-\2-\3"),)
        return _DatePlan("YYYY/MM/DD", "ISO8601", rewrite, utc=offsets)
    if share(_YM) >= 0.5:
        return _DatePlan("YYYY-MM", "ISO8601", ((r"^(\d{4})/(\d{1,2})$", r"\1-\2"),))
    if share(_NUM) >= 0.5:
        plan = _numeric_plan(vals, dayfirst)
        plan.utc = offsets
        return plan
    if share(_NAMED) >= 0.5:
        for fmt in _NAMED_FORMATS:
            if _parse_share(vals, _DatePlan(fmt, fmt)) >= 0.5:
                return _DatePlan(fmt, fmt)
    if not hinted:
        return None
    if share(re.compile(r"(19|20)\d{6}")) >= 0.5:
        return _DatePlan("YYYYMMDD", "%Y%m%d")
    if share(re.compile(r"1\d{9}")) >= 0.5:
        return _DatePlan("Unix seconds", unit="s")
    if share(re.compile(r"1\d{12}")) >= 0.5:
        return _DatePlan("Unix milliseconds", unit="ms")
    if share(re.compile(r"[12]\d{3}")) >= 0.5:
        return _DatePlan("YYYY", "%Y")
    if share(re.compile(r".*\D.*")) >= 0.5:
        return _DatePlan("mixed formats", "mixed", utc=offsets)
    return None


def _parse_share(values: list[str], plan: _DatePlan) -> float:
    parsed = _parse_dates(pd.Series(values, dtype="str"), plan)
    return float(parsed.notna().mean()) if len(parsed) else 0.0


def _parse_dates(s: pd.Series, plan: _DatePlan) -> pd.Series:
    """Parse a string Series with ``plan``; failures are NaT; result is tz-naive (UTC).

    Values are parsed as they are first (fast); only failures are retried stripped of spaces.
    """
    out = _parse_dates_once(s, plan)
    retry = out.isna() & s.notna()
    if retry.any():
        out[retry] = _parse_dates_once(s[retry].str.strip(), plan)
    return out


def _parse_dates_once(s: pd.Series, plan: _DatePlan) -> pd.Series:
    if plan.unit:
        num = pd.to_numeric(s, errors="coerce")
        return pd.to_datetime(num, unit=plan.unit, errors="coerce")
    for pattern, repl in plan.rewrite:
        s = s.str.replace(pattern, repl, regex=True)
    try:
        out = pd.to_datetime(s, format=plan.fmt, errors="coerce", utc=plan.utc)
    except (ValueError, TypeError):
        plan.utc = True  # offsets appeared after the sample
        out = pd.to_datetime(s, format=plan.fmt, errors="coerce", utc=True)
    if isinstance(out.dtype, pd.DatetimeTZDtype):
        out = out.dt.tz_convert(None)
    years = out.dt.year
    return out.where((years >= 1000) & (years <= 2999))  # "-1" is not a date a user means


def _choose_date_column(
    layout: _Layout,
    columns: list[list[str]],
    skip: set[int],
    forced: str | None,
    dayfirst: bool | None,
) -> tuple[int, _DatePlan] | None:
    if forced is not None:
        lookup = {n.strip().lower(): i for i, n in enumerate(layout.names)}
        i = lookup.get(forced.strip().lower())
        if i is None:
            raise DataError(
                f"No column named {forced!r}; the columns are: {', '.join(layout.names)}."
            )
        plan = _plan_for(columns[i], True, dayfirst)
        if plan is None or _parse_share([v for v in columns[i] if v], plan) < 0.5:
            examples = ", ".join(repr(v) for v in columns[i][:3])
            raise DataError(f"Column {forced!r} does not hold dates (e.g. {examples}).")
        return i, plan
    order = [i for i in range(len(layout.names)) if i not in skip]
    hinted = [i for i in order if _NAME_HINT.search(layout.names[i])]
    for i in hinted + [i for i in order if i not in hinted]:
        plan = _plan_for(columns[i], i in hinted, dayfirst)
        if plan is None:
            continue
        vals = [v for v in columns[i] if v]
        if vals and _parse_share(vals, plan) >= (0.5 if i in hinted else 0.8):
            return i, plan
    return None


# --------------------------------------------------------------------------- numbers


def _decimal_mark(columns: list[list[str]], sep: str) -> str:
    comma = point = 0
    for col in columns:
        for v in col:
            v = v.strip().lstrip("-+$€£")
            if re.fullmatch(r"\d+,(\d{1,2}|\d{4,})|\d{1,3}(\.\d{3})+,\d+|\d{4,},\d+", v):
                comma += 1
            elif re.fullmatch(r"\d+\.(\d{1,2}|\d{4,})|\d{1,3}(,\d{3})+\.\d+|\d{4,}\.\d+", v):
                point += 1
    return "," if comma > point else "."


_CURRENCY = "$€£¥₹₽₩"
_SUFFIX_EXP = {"K": "e3", "M": "e6", "B": "e9", "T": "e12"}


def _clean_numbers(values: pd.Series, decimal: str) -> tuple[pd.Series, set[str]]:
    """Numbers from strings plain parsing rejected; NaN where still not a number."""
    found: set[str] = set()
    t = values.astype("str").str.strip().str.replace("\u2212", "-", regex=False)
    spaced = t.str.contains(r"\d[\u00a0\u202f\u2009 ']\d", regex=True)
    if spaced.any():
        found.add("thousands: space")
    t = t.str.replace(r"(?<=\d)[\u00a0\u202f\u2009 '](?=\d)", "", regex=True)
    paren = t.str.fullmatch(r"\(.+\)")
    t = t.where(~paren, "-" + t.str.slice(1, -1))
    currency = t.str.extract(f"([{_CURRENCY}])", expand=False)
    for sym in currency.dropna().unique():
        found.add(f"currency {sym}")
    t = t.str.replace(f"\\s*[{_CURRENCY}]\\s*", "", regex=True)
    pct = t.str.fullmatch(r".*\d\s*%")
    if pct.any():
        found.add("%")
    t = t.where(~pct, t.str.replace(r"\s*%$", "", regex=True))
    parts = t.str.extract(r"^(.*\d)\s*([KkMmBbTt])$")
    has_suffix = parts[0].notna()
    if has_suffix.any():
        found.add("suffix")
    if decimal == ".":
        thou = t.str.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?")
        t = t.where(~thou, t.str.replace(",", "", regex=False))
        mantissa = parts[0].str.replace(",", "", regex=False)
    else:
        thou = t.str.fullmatch(r"[-+]?\d{1,3}(\.\d{3})+(,\d*)?")
        t = t.where(~thou, t.str.replace(".", "", regex=False)).str.replace(",", ".", regex=False)
        mantissa = parts[0].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    if thou.any():
        found.add("thousands: " + ("," if decimal == "." else "."))
    exp = parts[1].str.upper().map(_SUFFIX_EXP)
    t = t.where(~has_suffix, mantissa + exp)
    return pd.to_numeric(t, errors="coerce"), found


@dataclass
class _Column:
    values: np.ndarray | None  # float64, None when excluded
    junk: np.ndarray | None = None  # bool mask of cells that were not numbers
    units: set[str] = field(default_factory=set)
    excluded: str | None = None
    boolean: bool = False


def _numeric_column(s: pd.Series, decimal: str) -> _Column:
    kind = s.dtype.kind
    if kind in "fiu":
        values = np.array(s, dtype="float64")
        return _with_inf_as_junk(_Column(values))
    if kind == "b":
        return _Column(s.to_numpy(dtype="float64"), boolean=True)
    if decimal == ",":  # plain "12,5" here; "1.234,5" and "1.000" go through _clean_numbers
        plain = s.where(~s.str.contains(".", regex=False)).str.replace(",", ".", regex=False)
        num = pd.to_numeric(plain, errors="coerce")
    else:
        num = pd.to_numeric(s, errors="coerce")
    present = np.array(s.notna(), dtype=bool)  # writable copy
    failed = present & num.isna().to_numpy()
    units: set[str] = set()
    if failed.any():
        texts = s[failed].astype("str")
        blank = (texts.str.strip() == "").to_numpy()
        present[np.flatnonzero(failed)[blank]] = False
        uniques = pd.Series(pd.unique(texts[~blank]), dtype="str")
        if len(uniques):
            cleaned, units = _clean_numbers(uniques, decimal)
            lookup = pd.Series(cleaned.to_numpy(), index=uniques.to_numpy())
            fixed = texts[~blank].map(lookup).to_numpy(dtype="float64", na_value=np.nan)
            num = np.array(num, dtype="float64")  # writable copy
            num[np.flatnonzero(failed)[~blank]] = fixed
    values = np.array(num, dtype="float64")  # writable copy
    n_present = int(present.sum())
    if n_present == 0:
        return _Column(None, excluded="it has no values")
    good = present & ~np.isnan(values)
    if good.sum() < 0.5 * n_present:
        examples = _examples(s[present & ~good])
        return _Column(
            None,
            excluded=f"mostly text, not numbers ({int(good.sum()):,} of {n_present:,} filled "
            f"cells are numbers; e.g. {', '.join(repr(e) for e in examples)})",
        )
    column = _Column(values, junk=present & np.isnan(values), units=units)
    return _with_inf_as_junk(column)


def _with_inf_as_junk(column: _Column) -> _Column:
    assert column.values is not None
    inf = np.isinf(column.values)
    if inf.any():
        column.values[inf] = np.nan
        column.junk = inf if column.junk is None else (column.junk | inf)
    return column


def _examples(s: pd.Series) -> list[str]:
    out: list[str] = []
    for v in s:
        text = str(v).strip()[:30]
        if text not in out:
            out.append(text)
        if len(out) >= MAX_EXAMPLES:
            break
    return out


def _unit_text(units: set[str]) -> str | None:
    parts = []
    if "%" in units:
        parts.append("percent signs removed, numbers kept as written (3.4% -> 3.4)")
    parts += [f"{u} symbol removed" for u in sorted(units) if u.startswith("currency")]
    if "suffix" in units:
        parts.append("K/M/B/T suffixes multiplied out (65.59K -> 65590)")
    return "; ".join(parts) or None


# --------------------------------------------------------------------------- parsing


def _read_table(
    text: _Text,
    layout: _Layout,
    dtypes: dict[str, str],
    nrows: int,
    caught: list[warnings.WarningMessage],
) -> tuple[pd.DataFrame, list[tuple[int, int, int]]]:
    """One pass of pandas' C parser; also returns (line, expected, saw) of skipped bad lines."""
    start = len(caught)
    try:
        df = pd.read_csv(
            io.BytesIO(text.data),
            sep=layout.sep,
            header=None,
            names=layout.names,
            index_col=False,
            skiprows=layout.skip,
            dtype=dtypes,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            skipinitialspace=True,
            on_bad_lines="warn",
            engine="c",
            quotechar='"',
            encoding="utf-8",
            nrows=nrows,
        )
    except pd.errors.EmptyDataError:
        raise DataError("The file has a header but no data rows.") from None
    except pd.errors.ParserError as exc:
        raise DataError(
            f'The CSV structure is broken ({exc}). Look for an unclosed quote (") near that '
            "line, or re-export the file."
        ) from None
    return df, _bad_lines(caught[start:])


_BAD_LINE = re.compile(r"Skipping line (\d+): expected (\d+) fields?, saw (\d+)")


def _bad_lines(caught: Iterable[warnings.WarningMessage]) -> list[tuple[int, int, int]]:
    out = []
    for w in caught:
        for m in _BAD_LINE.finditer(str(w.message)):
            out.append((int(m.group(1)), int(m.group(2)), int(m.group(3))))
    return sorted(set(out))


def _row_lines(n: int, first: int, bad: list[int]) -> np.ndarray:
    lines = np.arange(first, first + n + len(bad), dtype=np.int64)
    if bad:
        lines = lines[~np.isin(lines, bad)]
    return lines[:n]


def _partial_last_line(text: _Text, sep: str, width: int) -> int | None:
    """Field count of a short last line (a row cut off mid-write), else None."""
    lines = [ln for ln in text.tail.splitlines() if ln.strip()]
    if len(lines) < 2:
        return None
    try:
        last, before = _csv_rows(lines[-1], sep), _csv_rows(lines[-2], sep)
    except csv.Error:
        return None
    if len(last) != 1 or len(before) != 1:
        return None
    n_last, n_before = len(last[0]), len(before[0])
    return n_last if n_last < width and n_before >= width else None


def _parse(
    source: Any,
    limits: _Limits,
    integer_index_ok: bool,
    dayfirst: bool | None,
    date_column: str | None,
    caught: list[warnings.WarningMessage],
) -> tuple[pd.DataFrame, ParseReport]:
    content, label = _read_source(source, limits.max_bytes)
    text = _decode(content, label)
    del content
    try:
        layout = _sniff_layout(text, limits.max_columns)
    except csv.Error as exc:
        raise DataError(f"{label}: the CSV structure is broken ({exc}).") from None
    report = ParseReport(
        source=label,
        encoding=text.encoding,
        separator=layout.sep,
        header_lines=len(layout.skip),
        notes=list(layout.notes),
    )
    columns = _sample_columns(layout)
    drop_cols: set[int] = set()
    if layout.blank_first and _is_counter(columns[0]):
        drop_cols.add(0)
        report.notes.append("Dropped the unnamed leading index column (0, 1, 2, ...).")
    elif (
        date_column is None
        and is_row_index(columns[0])
        and _choose_date_column(layout, columns, {0}, None, dayfirst) is not None
    ):  # df.reset_index().to_csv(): pandas' row numbers first, under any name
        drop_cols.add(0)
        report.notes.append(
            f"Dropped the first column '{layout.names[0]}': it holds row numbers "
            "(0, 1, 2, ...) written by pandas, not data; the dates come from another column."
        )
        layout.names = free_names(layout.names, drop_cols)
    chosen = _choose_date_column(layout, columns, drop_cols, date_column, dayfirst)
    if chosen is None and not integer_index_ok:
        raise DataError(
            f"No date or time column found in {label} (columns: "
            f"{', '.join(layout.names)}). Add a date column, or, if the rows are evenly "
            "spaced, number them 0, 1, 2, ... instead."
        )
    date_idx = chosen[0] if chosen else None
    value_cols = [i for i in range(len(layout.names)) if i not in drop_cols and i != date_idx]
    report.decimal = _decimal_mark([columns[i] for i in value_cols], layout.sep)
    if report.decimal == ",":  # pandas would read "1.000" as 1.0: numbers are parsed by us
        dtypes = dict.fromkeys(layout.names, "str")
    else:  # an explicit "str" dtype costs pandas 3 more than inferring it
        dtypes = {}
    df, bad = _read_table(text, layout, dtypes, limits.max_rows + 1, caught)
    if df.empty and not bad:
        raise DataError(f"{label} has a header but no data rows.")
    if len(df) > limits.max_rows:
        raise DataError(
            f"The file has more than {limits.max_rows:,} data rows; upload a shorter period or "
            "resample it to a coarser frequency first."
        )
    lines = _row_lines(len(df), layout.first_data_line, [b[0] for b in bad])
    for line, want, saw in bad:
        report.drop_row(line, f"{saw} fields, expected {want}")
    partial = _partial_last_line(text, layout.sep, len(layout.names))
    del text
    df, lines = _drop_blank(df, lines, report)
    report.rows_read = len(df) + len(bad)
    if partial is not None and len(df):
        report.drop_row(
            int(lines[-1]),
            f"incomplete last row ({partial} of {len(layout.names)} fields)",
        )
        df, lines = df.iloc[:-1], lines[:-1]
    if drop_cols:
        df = df.drop(columns=[layout.names[i] for i in drop_cols])
    if chosen is not None:
        df, lines, index = _apply_dates(df, lines, layout, chosen, report)
    else:
        index = None
        report.index_kind = "row"
    frame = _numeric_frame(df, lines, report, label)
    frame = _finish_index(frame, index, report)
    _check_rows(frame, limits, label, report)
    report.rows_kept = len(frame)
    report.columns = [str(c) for c in frame.columns]
    report.missing = {str(c): int(n) for c, n in frame.isna().sum().items()}
    return frame, report


def _drop_blank(
    df: pd.DataFrame, lines: np.ndarray, report: ParseReport
) -> tuple[pd.DataFrame, np.ndarray]:
    blank = np.array(df.iloc[:, 0].isna(), dtype=bool)  # a blank line has no first field
    if blank.any():
        blank[blank] = df.loc[blank].isna().all(axis=1).to_numpy()
    if blank.any():
        report.blank_lines = int(blank.sum())
        df, lines = df.loc[~blank], lines[~blank]
    return df.reset_index(drop=True), lines


def _apply_dates(
    df: pd.DataFrame,
    lines: np.ndarray,
    layout: _Layout,
    chosen: tuple[int, _DatePlan],
    report: ParseReport,
) -> tuple[pd.DataFrame, np.ndarray, pd.DatetimeIndex]:
    i, plan = chosen
    name = layout.names[i]
    raw = _as_text(df[name])
    parsed = _parse_dates(raw, plan)
    failed = int(parsed.isna().sum())
    if failed and plan.alternative is not None:
        other = _parse_dates(raw, plan.alternative)
        if int(other.isna().sum()) < failed:
            plan, parsed = plan.alternative, other
            plan.note = f"Dates read as {plan.label}: the other order fails on some rows."
    report.date_column = name if not name.startswith("column ") else "Date"
    report.date_format = plan.label
    report.date_note = plan.note
    local = local_midnights(raw, parsed) if plan.utc else None
    if local is not None:
        parsed = local
        report.notes.append(
            "Dates carried UTC offsets at local midnight: read as calendar days, offsets dropped."
        )
    elif plan.utc:
        report.notes.append("Timestamps carried UTC offsets: converted to UTC, offsets dropped.")
    bad = parsed.isna().to_numpy()
    if bad.any():
        for line, value in zip(lines[bad][:MAX_LISTED], raw[bad][:MAX_LISTED], strict=False):
            shown = "empty" if pd.isna(value) else repr(str(value)[:40])
            report.drop_row(int(line), f"date {shown} not understood as {plan.label}")
        report.dropped_count += max(0, int(bad.sum()) - MAX_LISTED)
    df = df.drop(columns=[name])
    if bad.any():
        keep = ~bad
        parsed, lines, df = parsed[keep], lines[keep], df.loc[keep].reset_index(drop=True)
    index = pd.DatetimeIndex(parsed).as_unit("us")
    index.name = report.date_column
    return df, lines, index


def _as_text(col: pd.Series) -> pd.Series:
    """The date column as strings (pandas may have read 20240105 or 1704412800 as numbers)."""
    if col.dtype == "str":
        return col
    if col.dtype.kind == "f" and bool((col.dropna() % 1 == 0).all()):
        col = col.astype("Int64")
    return col.astype("str").where(col.notna())


def _numeric_frame(
    df: pd.DataFrame, lines: np.ndarray, report: ParseReport, label: str
) -> pd.DataFrame:
    data: dict[str, np.ndarray] = {}
    thousands: set[str] = set()
    for name in df.columns:
        col = _numeric_column(df[name], report.decimal)
        if col.values is None:
            if not (name.startswith("column ") and col.excluded == "it has no values"):
                report.excluded_columns[str(name)] = col.excluded or "not numeric"
            continue
        data[str(name)] = col.values
        if col.boolean:
            report.units[str(name)] = "True/False read as 1/0"
        unit = _unit_text(col.units)
        if unit:
            report.units[str(name)] = unit
        thousands |= {u.split(": ")[1] for u in col.units if u.startswith("thousands")}
        if col.junk is not None and col.junk.any():
            where = np.flatnonzero(col.junk)
            report.junk[str(name)] = {
                "count": int(col.junk.sum()),
                "examples": _examples(df[name].iloc[where]),
                "rows": [int(r) for r in lines[where[:MAX_JUNK_ROWS]]],
            }
    if thousands:
        report.thousands = sorted(thousands)[0]
    if not data:
        what = "; ".join(f"'{c}': {why}" for c, why in report.excluded_columns.items())
        raise DataError(
            f"No numeric column found in {label}"
            f"{' (' + what + ')' if what else ''}. The file needs at least one column of numbers "
            "besides the date."
        )
    block = np.empty((len(df), len(data)), dtype="float64", order="F")  # one block, no restack
    for j, values in enumerate(data.values()):
        block[:, j] = values
    return pd.DataFrame(block, columns=list(data), index=pd.RangeIndex(len(df)), copy=False)


def _finish_index(
    frame: pd.DataFrame, index: pd.DatetimeIndex | None, report: ParseReport
) -> pd.DataFrame:
    if index is None:
        frame.index = pd.RangeIndex(len(frame), name="row")
        return frame
    frame.index = index
    if not index.is_monotonic_increasing:
        if index.is_monotonic_decreasing:
            report.newest_first = True
            report.sorted_note = "The file was sorted newest first; rows now run oldest first."
        else:
            report.sorted_note = "Rows were not in date order; they were sorted by date."
        order = np.argsort(index.asi8, kind="stable")
        frame = frame.iloc[order]
    dup = frame.index.duplicated(keep="last")
    if dup.any():
        report.duplicates_removed = int(dup.sum())
        frame = frame.loc[~dup]
    if len(frame):
        report.start, report.end = _stamp(frame.index[0]), _stamp(frame.index[-1])
    report.frequency, report.gaps, report.largest_gap = _frequency(frame.index)
    return frame


def _stamp(ts: pd.Timestamp) -> str:
    return ts.isoformat()[:10] if ts == ts.normalize() else ts.isoformat()


def _check_rows(frame: pd.DataFrame, limits: _Limits, label: str, report: ParseReport) -> None:
    n = len(frame)
    if n >= limits.min_rows:
        return
    why = f" for {limits.need_reason}" if limits.need_reason else ""
    dropped = f" ({report.dropped_count} row(s) were dropped)" if report.dropped_count else ""
    raise DataError(
        f"{label} has {n} usable row{'s' if n != 1 else ''}{dropped}; at least {limits.min_rows} "
        f"are needed{why}. Upload a longer series or reduce the lookback/horizon."
    )


# --------------------------------------------------------------------------- frequency


def _human(td: pd.Timedelta) -> str:
    secs = td.total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if secs >= size:
            n = secs / size
            text = f"{n:g}" if n == int(n) else f"{n:.1f}"
            return f"{text} {unit}{'s' if n != 1 else ''}"
    return str(td)


def _frequency(index: pd.DatetimeIndex) -> tuple[str | None, int, str | None]:
    """(pandas alias or None, number of gaps, largest gap as words) for a sorted index."""
    if len(index) < 3:
        return None, 0, None
    diffs = pd.TimedeltaIndex(index[1:] - index[:-1])
    values, counts = np.unique(diffs.asi8, return_counts=True)
    step = pd.Timedelta(int(values[np.argmax(counts)]), unit=diffs.unit)
    days = step / pd.Timedelta(days=1)
    steps = _calendar_steps(index, days)
    if steps is not None:
        alias, n = steps
    elif step == pd.Timedelta(days=1):
        alias, n = _daily(index)
    elif step == pd.Timedelta(days=7):
        alias = "W-" + index[0].day_name()[:3].upper()
        n = np.rint(diffs / step).astype(np.int64)
    else:
        if (diffs == step).mean() < 0.5:
            return None, 0, None
        alias = f"{int(days)}D" if days >= 1 and days == int(days) else to_offset(step).freqstr
        alias = "D" if alias == "1D" else alias
        n = np.rint(diffs / step).astype(np.int64)
    gap = np.asarray(n) > 1
    if not gap.any():
        return alias, 0, None
    return alias, int(gap.sum()), _human(diffs[gap].max())


def _calendar_steps(index: pd.DatetimeIndex, days: float) -> tuple[str, np.ndarray] | None:
    """Month/quarter/year spacing measured in calendar units."""
    months = np.asarray(index.year * 12 + index.month - 1, dtype=np.int64)
    for low, high, size, start, end in (
        (28, 31, 1, "MS", "ME"),
        (89, 92, 3, "QS", "QE"),
        (365, 366, 12, "YS", "YE"),
    ):
        if low <= days <= high:
            n = np.diff(months) / size
            if index.is_month_start.all() or not index.is_month_end.all():
                return start, n
            return end, n
    return None


def _daily(index: pd.DatetimeIndex) -> tuple[str, np.ndarray]:
    day = index.normalize().to_numpy().astype("datetime64[D]")
    if (index.dayofweek >= 5).any():
        return "D", np.diff(day).astype(np.int64)
    return "B", np.busday_count(day[:-1], day[1:])
