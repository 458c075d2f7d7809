"""Dates: choose the date column and a reading of its values (a :class:`DatePlan`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from core.data.csv.report import DataError

_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?"
_TZ = r"(?:\s?(?:Z|[+-]\d{2}:?\d{2}))?"
_ISO = re.compile(rf"\d{{4}}-\d{{1,2}}-\d{{1,2}}{_TIME}{_TZ}")
_YM = re.compile(r"\d{4}[-/]\d{1,2}")
_YMD_OTHER = re.compile(rf"\d{{4}}[/.]\d{{1,2}}[/.]\d{{1,2}}{_TIME}{_TZ}")
_NUM = re.compile(rf"(\d{{1,2}})([/.-])(\d{{1,2}})\2(\d{{4}}|\d{{2}}){_TIME}{_TZ}")
_NAMED = re.compile(r"(?=.*\d)(?=.*[A-Za-z]{3}).{5,40}")
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
DATE_SHAPE = re.compile(
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
class DatePlan:
    label: str  # the format as told to the user
    fmt: str | None = None  # passed to pd.to_datetime
    rewrite: tuple[tuple[str, str], ...] = ()  # regex rewrites to ISO before parsing
    unit: str | None = None  # epoch numbers
    utc: bool = False
    note: str | None = None
    alternative: DatePlan | None = None  # the other reading of ambiguous numeric dates


def _century(pattern: str) -> tuple[tuple[str, str], ...]:
    """Rewrites that turn a 2-digit year at group 4 of ``_NUM`` into 4 digits (like %y)."""
    return (
        (pattern.replace("(\\d{4}|\\d{2})", "([0-6]\\d)(?!\\d)"), r"\1\g<2>\g<3>\g<2>20\4"),
        (pattern.replace("(\\d{4}|\\d{2})", "([7-9]\\d)(?!\\d)"), r"\1\g<2>\g<3>\g<2>19\4"),
    )


def _numeric_plan(values: list[str], dayfirst: bool | None) -> DatePlan:
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
    day_plan = DatePlan(f"%d{sep}%m{sep}{y}", "ISO8601", (*prefix, (iso, r"\3-\2-\1")))
    month_plan = DatePlan(f"%m{sep}%d{sep}{y}", "ISO8601", (*prefix, (iso, r"\3-\1-\2")))
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


def _plan_for(values: list[str], hinted: bool, dayfirst: bool | None) -> DatePlan | None:
    """Pick a date reading for a sample column, or None when it does not look like dates."""
    vals = [v for v in values if v]
    if not vals:
        return None

    def share(rx: re.Pattern[str]) -> float:
        return sum(bool(rx.fullmatch(v)) for v in vals) / len(vals)

    offsets = any(_OFFSET.search(v) for v in vals)
    if share(_ISO) >= 0.5:
        return DatePlan("ISO 8601 (YYYY-MM-DD)", "ISO8601", utc=offsets)
    if share(_YMD_OTHER) >= 0.5:
        rewrite = ((r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})", r"\1-\2-\3"),)
        return DatePlan("YYYY/MM/DD", "ISO8601", rewrite, utc=offsets)
    if share(_YM) >= 0.5:
        return DatePlan("YYYY-MM", "ISO8601", ((r"^(\d{4})/(\d{1,2})$", r"\1-\2"),))
    if share(_NUM) >= 0.5:
        plan = _numeric_plan(vals, dayfirst)
        plan.utc = offsets
        return plan
    if share(_NAMED) >= 0.5:
        for fmt in _NAMED_FORMATS:
            if _parse_share(vals, DatePlan(fmt, fmt)) >= 0.5:
                return DatePlan(fmt, fmt)
    if not hinted:
        return None
    if share(re.compile(r"(19|20)\d{6}")) >= 0.5:
        return DatePlan("YYYYMMDD", "%Y%m%d")
    if share(re.compile(r"1\d{9}")) >= 0.5:
        return DatePlan("Unix seconds", unit="s")
    if share(re.compile(r"1\d{12}")) >= 0.5:
        return DatePlan("Unix milliseconds", unit="ms")
    if share(re.compile(r"[12]\d{3}")) >= 0.5:
        return DatePlan("YYYY", "%Y")
    if share(re.compile(r".*\D.*")) >= 0.5:
        return DatePlan("mixed formats", "mixed", utc=offsets)
    return None


def _parse_share(values: list[str], plan: DatePlan) -> float:
    parsed = parse_dates(pd.Series(values, dtype="str"), plan)
    return float(parsed.notna().mean()) if len(parsed) else 0.0


def parse_dates(s: pd.Series, plan: DatePlan) -> pd.Series:
    """Parse a string Series with ``plan``; failures are NaT; result is tz-naive (UTC).

    Values are parsed as they are first (fast); only failures are retried stripped of spaces.
    """
    out = _parse_dates_once(s, plan)
    retry = out.isna() & s.notna()
    if retry.any():
        out[retry] = _parse_dates_once(s[retry].str.strip(), plan)
    return out


def _parse_dates_once(s: pd.Series, plan: DatePlan) -> pd.Series:
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


def choose_date_column(
    names: list[str],
    columns: list[list[str]],
    skip: set[int],
    forced: str | None,
    dayfirst: bool | None,
) -> tuple[int, DatePlan] | None:
    if forced is not None:
        lookup = {n.strip().lower(): i for i, n in enumerate(names)}
        i = lookup.get(forced.strip().lower())
        if i is None:
            raise DataError(f"No column named {forced!r}; the columns are: {', '.join(names)}.")
        plan = _plan_for(columns[i], True, dayfirst)
        if plan is None or _parse_share([v for v in columns[i] if v], plan) < 0.5:
            examples = ", ".join(repr(v) for v in columns[i][:3])
            raise DataError(f"Column {forced!r} does not hold dates (e.g. {examples}).")
        return i, plan
    order = [i for i in range(len(names)) if i not in skip]
    hinted = [i for i in order if _NAME_HINT.search(names[i])]
    for i in hinted + [i for i in order if i not in hinted]:
        plan = _plan_for(columns[i], i in hinted, dayfirst)
        if plan is None:
            continue
        vals = [v for v in columns[i] if v]
        if vals and _parse_share(vals, plan) >= (0.5 if i in hinted else 0.8):
            return i, plan
    return None
