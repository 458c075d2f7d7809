"""Data: bundled samples, synthetic series, windowing (and CSV parsing)."""

from core.data.sources import (
    SYNTHETIC,
    Dataset,
    load_sample,
    synthetic,
)
from core.data.windows import Prepared, Scaler, Windows, make_windows, prepare, split_points

__all__ = [
    "SYNTHETIC",
    "Dataset",
    "Prepared",
    "Scaler",
    "Windows",
    "load_sample",
    "make_windows",
    "prepare",
    "split_points",
    "synthetic",
]
