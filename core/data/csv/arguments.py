"""Checks of the caller's arguments (limits, flags, frames)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.data.csv.report import DataError


@dataclass(frozen=True)
class Limits:
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


def check_flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise DataError(f"{name} must be True or False, got {value!r}")


def check_frame(df: Any, what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{what} needs a pandas DataFrame, got {type(df).__name__}")


def bins_estimate(index: pd.DatetimeIndex, offset: Any) -> float:
    span = index.max() - index.min()
    try:
        step = pd.Timedelta(offset.nanos, unit="ns")
    except (ValueError, TypeError, AttributeError):
        step = pd.Timedelta(days=1)  # calendar offsets (B, W, ME, ...) are at least a day
    return span / step + 1
