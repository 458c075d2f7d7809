"""Layout sniffing on the first 64 KiB: separator, preamble, header lines, column names."""

from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass

import numpy as np

from core.data.csv.dates import DATE_SHAPE
from core.data.csv.fixes import is_ticker_row
from core.data.csv.report import SAMPLE_ROWS, SEPARATORS, DataError
from core.data.csv.source import Text


@dataclass
class Layout:
    sep: str
    names: list[str]
    skip: list[int]  # 0-based physical line indices that are not data (preamble, header)
    first_data_line: int  # 1-based line number of the first data row
    header: bool
    rows: list[list[str]]  # sample data rows
    notes: list[str]
    blank_first: bool  # the first header cell was empty


def csv_rows(text: str, sep: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=sep, quotechar='"', skipinitialspace=True)
    return [row for row in reader]


def _sniff_separator(head: str) -> str:
    lines = head.splitlines()[:200]
    sample = "\n".join(lines)
    best, best_score = ",", (-1.0, 0)
    for sep in SEPARATORS:
        counts = [len(r) for r in csv_rows(sample, sep) if any(c.strip() for c in r)]
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


def sniff_layout(text: Text, max_columns: int) -> Layout:
    sep = _sniff_separator(text.head)
    physical = csv_rows(text.head, sep)
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
    return Layout(sep, names, skip, first_index + 1, has_header, data_rows, notes, blank_first)


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
    dates = sum(bool(DATE_SHAPE.fullmatch(c)) for c in cells)
    numbers = sum(_looks_numeric(c) for c in cells)
    return (dates >= 1 and dates + numbers == len(cells)) or numbers == len(cells)


_NUMBER_SHAPE = re.compile(
    r"[-+\u2212(]?\s*[$€£¥₹]?\s*[-+]?(\d[\d,.' \u00a0]*\d|\d)(\s*[KkMmBbTt%])?\)?|"
    r"[-+]?(\d+)?[.,]\d+([eE][-+]?\d+)?"
)


def _looks_numeric(cell: str) -> bool:
    return bool(_NUMBER_SHAPE.fullmatch(cell.strip()))


def sample_columns(layout: Layout) -> list[list[str]]:
    rows = layout.rows[:SAMPLE_ROWS]
    return [[r[i].strip() if i < len(r) else "" for r in rows] for i in range(len(layout.names))]


def is_counter(values: list[str]) -> bool:
    vals = [v for v in values if v]
    if len(vals) < 2 or not all(re.fullmatch(r"\d+", v) for v in vals):
        return False
    ints = [int(v) for v in vals]
    return all(b - a == 1 for a, b in itertools.pairwise(ints))
