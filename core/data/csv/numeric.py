"""Numbers: decimal mark, thousands, currency, percent and K/M/B/T suffixes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.data.csv.report import MAX_EXAMPLES


def decimal_mark(columns: list[list[str]], sep: str) -> str:
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


def numeric_column(s: pd.Series, decimal: str) -> _Column:
    kind = s.dtype.kind
    if kind in "fiu":
        values = np.array(s, dtype="float64")
        return _with_inf_as_junk(_Column(values))
    if kind == "b":
        return _Column(s.to_numpy(dtype="float64"), boolean=True)
    if decimal == ",":  # plain "12,5" here; "1.234,5" and "1.000" go through _clean_numbers
        plain = s.where(~s.str.contains(".", regex=False, na=False)).str.replace(
            ",", ".", regex=False
        )
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
        shown = examples(s[present & ~good])
        return _Column(
            None,
            excluded=f"mostly text, not numbers ({int(good.sum()):,} of {n_present:,} filled "
            f"cells are numbers; e.g. {', '.join(repr(e) for e in shown)})",
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


def examples(s: pd.Series) -> list[str]:
    out: list[str] = []
    for v in s:
        text = str(v).strip()[:30]
        if text not in out:
            out.append(text)
        if len(out) >= MAX_EXAMPLES:
            break
    return out


def unit_text(units: set[str]) -> str | None:
    parts = []
    if "%" in units:
        parts.append("percent signs removed, numbers kept as written (3.4% -> 3.4)")
    parts += [f"{u} symbol removed" for u in sorted(units) if u.startswith("currency")]
    if "suffix" in units:
        parts.append("K/M/B/T suffixes multiplied out (65.59K -> 65590)")
    return "; ".join(parts) or None
