"""Small rules of the CSV reader and writer for awkward real-world exports.

It imports nothing from the rest of :mod:`core.data.csv`.

* :func:`is_row_index` / :func:`free_names`: the pandas row index that ``df.reset_index()``
  followed by ``to_csv()`` writes as the first column (``0, 1, 2, ...``), even when a
  yfinance header names it (``Price,Date,Close,...``) and pushes the real dates to
  ``Date (2)``; :func:`is_ticker_row`: the ticker line of the same export without an index.
* :func:`local_midnights`: tz-aware daily stamps (``2025-05-20 00:00:00-04:00``, what
  ``yf.Ticker.history`` writes) are calendar days, not 04:00 UTC.
* :func:`safe_header`: a column name that a spreadsheet would run as a formula is written
  with a leading apostrophe, the rule already applied to cells.
"""

from __future__ import annotations

import itertools
import re

import pandas as pd

INDEX_NAMES = ("", "unnamed: 0", "index", "price")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_OFFSET = re.compile(r"(Z|([+-])(\d{2}):?(\d{2}))$")


def is_row_index(values: list[str]) -> bool:
    """True for a sample of consecutive integers starting at 0 or 1 (a written row index)."""
    vals = [v.strip() for v in values if v.strip()]
    if len(vals) < 2 or not all(v.isdigit() for v in vals):
        return False
    ints = [int(v) for v in vals]
    return ints[0] in (0, 1) and all(b - a == 1 for a, b in itertools.pairwise(ints))


def free_names(names: list[str], dropped: set[int]) -> list[str]:
    """Names with ``"X (2)"`` turned back into ``"X"`` where the dropped column held ``X``.

    ``["Date", "Date (2)", "Close"]`` without column 0 -> ``[..., "Date", "Close"]``.
    """
    taken = {n for i, n in enumerate(names) if i not in dropped}
    out = list(names)
    for i, name in enumerate(names):
        m = re.fullmatch(r"(.+) \((\d+)\)", name)
        if i in dropped or not m or m.group(1) in taken:
            continue
        if any(names[j] == m.group(1) for j in dropped):
            out[i] = m.group(1)
            taken.add(m.group(1))
    for j in dropped:  # still read (then dropped): pandas needs unique names
        out[j] = f"{names[j]} (row numbers)"
    return out


def is_ticker_row(row: list[str]) -> bool:
    """yfinance's second header line without its "Ticker" label: ``,MSFT,MSFT,MSFT``."""
    cells = [c.strip() for c in row]
    if len(cells) < 2 or cells[0]:
        return False
    rest = set(cells[1:]) - {""}
    return len(rest) == 1 and bool(re.fullmatch(r"\^?[A-Z][A-Z0-9.\-=]{0,14}", rest.pop()))


def local_midnights(raw: pd.Series, utc: pd.Series) -> pd.Series | None:
    """The local calendar days of stamps that all fall on local midnight, else None.

    ``raw`` holds the text (``2025-05-20 00:00:00-04:00``), ``utc`` the same stamps parsed
    and converted to UTC (``2025-05-20 04:00``). Stamps without an offset count as UTC.
    """
    text = raw.astype("str").str.strip()
    parts = text.str.extract(_OFFSET)
    sign = parts[1].map({"+": 1, "-": -1}).fillna(0)
    minutes = parts[2].astype("float").fillna(0) * 60 + parts[3].astype("float").fillna(0)
    local = utc + pd.to_timedelta(sign * minutes, unit="min")
    ok = local.notna()
    if not ok.any() or not bool((local[ok] == local[ok].dt.normalize()).all()):
        return None
    return local


def safe_header(name: object) -> str:
    """A column name as text, prefixed with ``'`` when a spreadsheet would run it."""
    text = str(name)
    return "'" + text if text.startswith(FORMULA_START) else text
