"""From a parsed upload to a training-ready :class:`Dataset`: cleaning, checks, provenance.

The parser (:mod:`core.data.csv`) turns bytes into a float frame plus a ``ParseReport``. This
module holds the decisions the upload page lets the user make afterwards, as plain functions:

* :class:`CleanOptions` + :func:`clean`: resample to a regular frequency (optional), then handle
  missing values (``fill_missing``), recording what changed in sentences.
* :func:`rows_needed` / :func:`longest_lookback`: how many rows a window of lookback ``T`` and
  horizon ``K`` needs once the series is split chronologically into train/validation/test.
* :func:`check_trainable`: the exact reason the chosen columns cannot be trained on yet.
* :func:`column_table`: the per-column part of the quality report.
* :func:`make_dataset`: the session data source, with its provenance (file, sha256, report,
  cleaning, chosen target and inputs).

No Streamlit here: the page calls these and renders what they return.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import PurePath
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from core.config import DataConfig
from core.data.csv import FILL_METHODS, RESAMPLE_HOW, DataError, ParseReport, fill_missing
from core.data.csv import resample as resample_frame
from core.data.sources import Dataset
from core.data.windows import split_points

__all__ = [
    "FREQUENCIES",
    "MIN_LOOKBACK",
    "CleanOptions",
    "Cleaned",
    "check_trainable",
    "check_upload_size",
    "clean",
    "column_table",
    "dataset_name",
    "describe_frequency",
    "longest_lookback",
    "make_dataset",
    "rows_needed",
    "sha256",
]

_DEFAULTS = DataConfig()
VAL_FRACTION = _DEFAULTS.val_fraction  # the Train page's default split
TEST_FRACTION = _DEFAULTS.test_fraction
MIN_LOOKBACK = 5  # the shortest window worth training on: T = 5 steps, K = 1
MAX_NAME = 60  # characters of a data-source name taken from a file name

# resampling targets offered to users: pandas alias -> words
FREQUENCIES: dict[str, str] = {
    "min": "every minute",
    "h": "hourly",
    "D": "daily",
    "B": "business days (Mon-Fri)",
    "W": "weekly (weeks ending Sunday)",
    "ME": "monthly (month end)",
    "QE": "quarterly (quarter end)",
    "YE": "yearly (year end)",
}
_ALIAS_WORDS = {
    "s": "every second",
    "min": "every minute",
    "h": "hourly",
    "D": "daily",
    "B": "business days (Mon-Fri)",
    "C": "business days (Mon-Fri)",
    "W": "weekly",
    "MS": "monthly (month start)",
    "ME": "monthly (month end)",
    "BMS": "monthly (first business day)",
    "BME": "monthly (last business day)",
    "QS": "quarterly (quarter start)",
    "QE": "quarterly (quarter end)",
    "YS": "yearly (year start)",
    "YE": "yearly (year end)",
}


def sha256(raw: bytes) -> str:
    """Hex sha256 of the uploaded bytes: identifies the exact file a dataset came from."""
    return hashlib.sha256(raw).hexdigest()


def describe_frequency(alias: str | None) -> str:
    """Words for a pandas frequency alias: ``"B"`` -> business days, ``"5min"`` -> every 5 min."""
    if not alias:
        return "irregular"
    m = re.fullmatch(r"(\d*)([A-Za-z]+)(?:-([A-Z]+))?", alias)
    if not m:
        return alias
    mult, base, anchor = m.groups()
    words = _ALIAS_WORDS.get(base)
    if words is None:
        return alias
    if mult and mult != "1":
        return f"every {mult} {base} ({alias})"
    if base == "W" and anchor:
        return f"weekly (weeks ending {anchor.title()})"
    return words


# --------------------------------------------------------------------------- window arithmetic


def rows_needed(
    lookback: int,
    horizon: int = 1,
    val_fraction: float = VAL_FRACTION,
    test_fraction: float = TEST_FRACTION,
) -> int:
    """The fewest rows N for which ``prepare`` can build windows.

    With ``train_end, val_end = split_points(N, val, test)`` it needs
    ``train_end >= T + K + 1`` (at least two training windows) and, when a validation share is
    asked for, ``val_end - train_end >= K`` (at least one validation window).
    """
    DataConfig(
        lookback=lookback,
        horizon=horizon,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
    )  # validates the numbers with the config's own messages
    n = lookback + horizon + 1
    while longest_lookback(n, horizon, val_fraction, test_fraction) < lookback:
        n += 1
    return n


def longest_lookback(
    n: int,
    horizon: int = 1,
    val_fraction: float = VAL_FRACTION,
    test_fraction: float = TEST_FRACTION,
) -> int:
    """The longest lookback T that ``n`` rows support (0 when none): ``train_end - K - 1``."""
    train_end, val_end = split_points(n, val_fraction, test_fraction)
    if val_fraction > 0 and val_end - train_end < horizon:
        return 0
    return max(0, train_end - horizon - 1)


def min_rows_reason(lookback: int = MIN_LOOKBACK, horizon: int = 1) -> str:
    """Completes the parser's "at least N rows are needed for ..." message."""
    return (
        f"the shortest window (lookback {lookback} + horizon {horizon}) with "
        f"{VAL_FRACTION:.0%} validation and {TEST_FRACTION:.0%} test rows"
    )


# --------------------------------------------------------------------------- cleaning


@dataclass(frozen=True)
class CleanOptions:
    """What the user chose to do after parsing: resample first, then fill."""

    resample: str | None = None  # a FREQUENCIES alias, or None to keep the file's rows
    how: str = "last"  # "last" (prices, levels) or "mean" (rates, readings) per bin
    fill: str = "ffill"  # one of core.data.csv.FILL_METHODS

    def __post_init__(self) -> None:
        if self.resample is not None and self.resample not in FREQUENCIES:
            raise DataError(
                f"resample must be one of {', '.join(FREQUENCIES)} or None, got {self.resample!r}"
            )
        if self.how not in RESAMPLE_HOW:
            raise DataError(f"how must be one of {', '.join(RESAMPLE_HOW)}, got {self.how!r}")
        if self.fill not in FILL_METHODS:
            raise DataError(f"fill must be one of {', '.join(FILL_METHODS)}, got {self.fill!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_FILL_WORDS = {
    "ffill": "Forward-filled",
    "interpolate": "Interpolated",
    "drop": "Dropped the rows holding",
}


class Cleaned(NamedTuple):
    """The result of :func:`clean`."""

    frame: pd.DataFrame  # (N', C) resampled and filled
    steps: list[str]  # what was done, in sentences
    filled: pd.DataFrame  # (N', C) bool: True where a missing value (or empty bin) was filled


def clean(frame: pd.DataFrame, options: CleanOptions) -> Cleaned:
    """Resample (optional), then handle missing values; returns the frame and what was done.

    Raises ``DataError`` (resampling a row-numbered frame, too many bins).
    """
    steps: list[str] = []
    out = frame
    if options.resample is not None:
        before = len(out)
        out = resample_frame(out, options.resample, options.how)
        empty = int(out.isna().all(axis=1).sum())
        steps.append(
            f"Resampled {before:,} rows to {FREQUENCIES[options.resample]} bins "
            f"({'last value' if options.how == 'last' else 'mean'} per bin): {len(out):,} rows"
            + (f", {empty:,} bin(s) without data." if empty else ".")
        )
    gaps = out.isna()
    missing = int(gaps.to_numpy().sum())
    if options.fill == "none" or missing == 0:
        if missing:
            steps.append(f"Left {missing:,} missing value(s) as they are.")
        out = out.copy() if out is frame else out
        return Cleaned(out, steps, pd.DataFrame(False, index=out.index, columns=out.columns))
    rows_before = len(out)
    filled = fill_missing(out, options.fill)
    if options.fill == "drop":
        steps.append(
            f"Dropped {rows_before - len(filled):,} row(s) with missing values "
            f"({missing:,} missing value(s)); {len(filled):,} rows remain."
        )
    else:
        left = int(filled.isna().sum().sum())
        steps.append(
            f"{_FILL_WORDS[options.fill]} {missing - left:,} missing value(s)"
            + (f"; {left:,} remain in columns without any value." if left else ".")
        )
    return Cleaned(filled, steps, gaps.reindex(filled.index) & filled.notna())


def check_trainable(
    frame: pd.DataFrame,
    target: str,
    features: tuple[str, ...] | list[str] = (),
    lookback: int = MIN_LOOKBACK,
    horizon: int = 1,
) -> None:
    """Raise ``DataError`` saying why ``target`` + ``features`` cannot be trained on yet.

    Checks: the columns exist, hold no missing values, and there are enough rows for
    :func:`rows_needed` (lookback, horizon) with the default validation/test split.
    """
    columns = [str(c) for c in frame.columns]
    chosen = list(dict.fromkeys([target, *features]))
    unknown = [c for c in chosen if c not in columns]
    if unknown:
        raise DataError(
            f"Column(s) not in the data: {', '.join(unknown)}; available: {', '.join(columns)}."
        )
    for col in chosen:
        n_missing = int(frame[col].isna().sum())
        if n_missing == len(frame):
            raise DataError(f"Column '{col}' has no values at all; choose another column.")
        if n_missing:
            first = frame.index[int(np.argmax(frame[col].isna().to_numpy()))]
            raise DataError(
                f"Column '{col}' still has {n_missing:,} missing value(s) (first at {first}); "
                "choose how to handle missing values (forward fill, interpolate or drop rows)."
            )
    need = rows_needed(lookback, horizon)
    if len(frame) < need:
        raise DataError(
            f"Only {len(frame):,} rows after cleaning; at least {need:,} are needed for "
            f"{min_rows_reason(lookback, horizon)}. Use a finer resampling frequency, "
            "fill instead of dropping rows, or upload a longer series."
        )


# --------------------------------------------------------------------------- report + dataset


def column_table(parsed: pd.DataFrame, cleaned: pd.DataFrame, report: ParseReport) -> pd.DataFrame:
    """One row per numeric column: what the file held and what cleaning left.

    Columns: missing in file, not-a-number values (junk) with examples and line numbers, unit
    note, missing after cleaning, min, mean and max after cleaning.
    """
    rows = []
    for col in parsed.columns:
        name = str(col)
        junk = report.junk.get(name, {})
        after = cleaned[col] if col in cleaned.columns else pd.Series(dtype="float64")
        examples = ", ".join(repr(e) for e in junk.get("examples", [])[:3])
        lines = ", ".join(str(r) for r in junk.get("rows", [])[:3])
        rows.append(
            {
                "column": name,
                "missing in file": int(parsed[col].isna().sum()),
                "not numbers": int(junk.get("count", 0)),
                "examples (line)": f"{examples} ({lines})" if examples else "",
                "missing after cleaning": int(after.isna().sum()),
                "min": float(after.min()) if after.notna().any() else float("nan"),
                "mean": float(after.mean()) if after.notna().any() else float("nan"),
                "max": float(after.max()) if after.notna().any() else float("nan"),
                "note": report.units.get(name, ""),
            }
        )
    return pd.DataFrame(rows)


def dataset_name(file_name: str) -> str:
    """A data-source name from an upload's file name: ``"sales 2024.csv"`` -> ``"sales 2024"``."""
    stem = PurePath(str(file_name).replace("\\", "/")).stem
    stem = re.sub(r"[\x00-\x1f\x7f]+", " ", stem)
    stem = re.sub(r"\s+", " ", stem).strip()
    return (stem[:MAX_NAME].rstrip() or "upload") + " (upload)"


def make_dataset(
    frame: pd.DataFrame,
    *,
    file_name: str,
    raw_sha256: str,
    report: ParseReport,
    options: CleanOptions,
    target: str,
    features: tuple[str, ...] | list[str] = (),
    name: str | None = None,
) -> Dataset:
    """The session data source: the chosen columns (target first) of the cleaned frame.

    ``provenance`` records kind ``"upload"``, the file name, rows, range, the sha256 of the
    raw bytes, the parse report, the cleaning and the chosen ``target`` / ``features`` (so the
    Train page can preselect them). Raises ``DataError`` when :func:`check_trainable` fails.
    """
    features = list(features)
    check_trainable(frame, target, features)
    chosen = list(dict.fromkeys([target, *features]))
    data = frame[chosen].astype("float64").copy()
    data.attrs = {}
    is_dates = isinstance(data.index, pd.DatetimeIndex)
    first, last = data.index[0], data.index[-1]
    provenance = {
        "kind": "upload",
        "file": str(file_name),
        "title": f"{file_name} (uploaded CSV)",
        "rows": len(data),
        "columns": chosen,
        "index": "datetime" if is_dates else "row",
        "start": str(first.date() if is_dates and first == first.normalize() else first),
        "end": str(last.date() if is_dates and last == last.normalize() else last),
        "sha256": raw_sha256,
        "report": report.to_dict(),
        "cleaning": options.to_dict(),
        "target": target,
        "features": features,
        "offline": True,
    }
    return Dataset(data, name or dataset_name(file_name), provenance)


def check_upload_size(file_name: str, size: int, max_bytes: int) -> None:
    """Refuse an upload over ``max_bytes`` before reading it (the browser's cap is not a check)."""
    if size > max_bytes:
        raise DataError(
            f"{file_name} is {size / 2**20:.1f} MB; the upload limit is "
            f"{max_bytes / 2**20:.0f} MB. Upload fewer rows (a shorter period), fewer columns, "
            "or a coarser frequency."
        )
