"""The public functions: read a CSV, fill gaps, resample, write CSV bytes for a download."""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
from pandas.tseries.frequencies import to_offset

from core.data.csv.arguments import Limits, bins_estimate, check_flag, check_frame
from core.data.csv.fixes import safe_header
from core.data.csv.parsing import parse
from core.data.csv.report import FILL_METHODS, RESAMPLE_HOW, DataError, ParseReport


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
    limits = Limits(max_rows, max_columns, max_bytes, min_rows, need_reason)
    try:
        limits.validate()
        check_flag("integer_index_ok", integer_index_ok)
        if dayfirst is not None:
            check_flag("dayfirst", dayfirst)
        if date_column is not None and not isinstance(date_column, str):
            raise DataError(f"date_column must be a column name (str), got {date_column!r}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            df, report = parse(source, limits, integer_index_ok, dayfirst, date_column, caught)
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
    check_frame(df, "fill_missing")
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
    check_frame(df, "resample")
    if not isinstance(df.index, pd.DatetimeIndex):
        raise DataError("resample needs a frame indexed by dates; this one is numbered by row.")
    if how not in RESAMPLE_HOW:
        raise DataError(f"resample how must be one of {', '.join(RESAMPLE_HOW)}; got {how!r}")
    if not isinstance(rule, str) or not rule.strip():
        raise DataError(
            f"resample rule must be a frequency alias such as 'D', 'W', 'ME'; got {rule!r}"
        )
    try:
        with warnings.catch_warnings():  # pandas 2 only warns on the aliases pandas 3 refuses
            warnings.simplefilter("error", FutureWarning)
            offset = to_offset(rule.strip())
    except (ValueError, TypeError, FutureWarning) as exc:
        raise DataError(
            f"Unknown frequency {rule!r} ({exc}); use an alias such as 'h', 'D', 'B', 'W', 'ME'."
        ) from None
    if len(df) and bins_estimate(df.index, offset) > max_rows:
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
    check_frame(df, "to_csv_bytes")
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
