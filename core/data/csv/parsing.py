"""Parsing: one pass of pandas' C parser, then dates, numbers, order and row checks."""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from core.data.csv.arguments import Limits
from core.data.csv.dates import DatePlan, choose_date_column, parse_dates
from core.data.csv.fixes import free_names, is_row_index, local_midnights
from core.data.csv.frequency import frequency
from core.data.csv.layout import Layout, csv_rows, is_counter, sample_columns, sniff_layout
from core.data.csv.numeric import decimal_mark, examples, numeric_column, unit_text
from core.data.csv.report import MAX_JUNK_ROWS, MAX_LISTED, DataError, ParseReport
from core.data.csv.source import Text, decode, read_source


def _read_table(
    text: Text,
    layout: Layout,
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


def _partial_last_line(text: Text, sep: str, width: int) -> int | None:
    """Field count of a short last line (a row cut off mid-write), else None."""
    lines = [ln for ln in text.tail.splitlines() if ln.strip()]
    if len(lines) < 2:
        return None
    try:
        last, before = csv_rows(lines[-1], sep), csv_rows(lines[-2], sep)
    except csv.Error:
        return None
    if len(last) != 1 or len(before) != 1:
        return None
    n_last, n_before = len(last[0]), len(before[0])
    return n_last if n_last < width and n_before >= width else None


def parse(
    source: Any,
    limits: Limits,
    integer_index_ok: bool,
    dayfirst: bool | None,
    date_column: str | None,
    caught: list[warnings.WarningMessage],
) -> tuple[pd.DataFrame, ParseReport]:
    content, label = read_source(source, limits.max_bytes)
    text = decode(content, label)
    del content
    try:
        layout = sniff_layout(text, limits.max_columns)
    except csv.Error as exc:
        raise DataError(f"{label}: the CSV structure is broken ({exc}).") from None
    report = ParseReport(
        source=label,
        encoding=text.encoding,
        separator=layout.sep,
        header_lines=len(layout.skip),
        notes=list(layout.notes),
    )
    columns = sample_columns(layout)
    drop_cols: set[int] = set()
    if layout.blank_first and is_counter(columns[0]):
        drop_cols.add(0)
        report.notes.append("Dropped the unnamed leading index column (0, 1, 2, ...).")
    elif (
        date_column is None
        and is_row_index(columns[0])
        and choose_date_column(layout.names, columns, {0}, None, dayfirst) is not None
    ):  # df.reset_index().to_csv(): pandas' row numbers first, under any name
        drop_cols.add(0)
        report.notes.append(
            f"Dropped the first column '{layout.names[0]}': it holds row numbers "
            "(0, 1, 2, ...) written by pandas, not data; the dates come from another column."
        )
        layout.names = free_names(layout.names, drop_cols)
    chosen = choose_date_column(layout.names, columns, drop_cols, date_column, dayfirst)
    if chosen is None and not integer_index_ok:
        raise DataError(
            f"No date or time column found in {label} (columns: "
            f"{', '.join(layout.names)}). Add a date column, or, if the rows are evenly "
            "spaced, number them 0, 1, 2, ... instead."
        )
    date_idx = chosen[0] if chosen else None
    value_cols = [i for i in range(len(layout.names)) if i not in drop_cols and i != date_idx]
    report.decimal = decimal_mark([columns[i] for i in value_cols], layout.sep)
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
    layout: Layout,
    chosen: tuple[int, DatePlan],
    report: ParseReport,
) -> tuple[pd.DataFrame, np.ndarray, pd.DatetimeIndex]:
    i, plan = chosen
    name = layout.names[i]
    raw = _as_text(df[name])
    parsed = parse_dates(raw, plan)
    failed = int(parsed.isna().sum())
    if failed and plan.alternative is not None:
        other = parse_dates(raw, plan.alternative)
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
    whole = col.dropna()
    if col.dtype.kind == "f" and bool(((whole % 1 == 0) & (whole.abs() < 2.0**53)).all()):
        col = col.astype("Int64")  # whole numbers a float holds exactly (beyond: left as is)
    return col.astype("str").where(col.notna())


def _numeric_frame(
    df: pd.DataFrame, lines: np.ndarray, report: ParseReport, label: str
) -> pd.DataFrame:
    data: dict[str, np.ndarray] = {}
    thousands: set[str] = set()
    for name in df.columns:
        col = numeric_column(df[name], report.decimal)
        if col.values is None:
            if not (name.startswith("column ") and col.excluded == "it has no values"):
                report.excluded_columns[str(name)] = col.excluded or "not numeric"
            continue
        data[str(name)] = col.values
        if col.boolean:
            report.units[str(name)] = "True/False read as 1/0"
        unit = unit_text(col.units)
        if unit:
            report.units[str(name)] = unit
        thousands |= {u.split(": ")[1] for u in col.units if u.startswith("thousands")}
        if col.junk is not None and col.junk.any():
            where = np.flatnonzero(col.junk)
            report.junk[str(name)] = {
                "count": int(col.junk.sum()),
                "examples": examples(df[name].iloc[where]),
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
    report.frequency, report.gaps, report.largest_gap = frequency(frame.index)
    return frame


def _stamp(ts: pd.Timestamp) -> str:
    return ts.isoformat()[:10] if ts == ts.normalize() else ts.isoformat()


def _check_rows(frame: pd.DataFrame, limits: Limits, label: str, report: ParseReport) -> None:
    n = len(frame)
    if n >= limits.min_rows:
        return
    why = f" for {limits.need_reason}" if limits.need_reason else ""
    dropped = f" ({report.dropped_count} row(s) were dropped)" if report.dropped_count else ""
    raise DataError(
        f"{label} has {n} usable row{'s' if n != 1 else ''}{dropped}; at least {limits.min_rows} "
        f"are needed{why}. Upload a longer series or reduce the lookback/horizon."
    )
