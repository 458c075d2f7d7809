"""Frequency: the pandas alias of a sorted date index, and its gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset


def _human(td: pd.Timedelta) -> str:
    secs = td.total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if secs >= size:
            n = secs / size
            text = f"{n:g}" if n == int(n) else f"{n:.1f}"
            return f"{text} {unit}{'s' if n != 1 else ''}"
    return str(td)


def frequency(index: pd.DatetimeIndex) -> tuple[str | None, int, str | None]:
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
