"""Data: bundled samples, synthetic series, windowing (and CSV parsing)."""

from core.data.csv import (
    DataError,
    ParseReport,
    fill_missing,
    read_series_csv,
    read_series_csv_with_report,
    resample,
    to_csv_bytes,
)
from core.data.sources import (
    SYNTHETIC,
    Dataset,
    load_sample,
    synthetic,
)
from core.data.windows import Prepared, Scaler, Windows, make_windows, prepare, split_points

__all__ = [
    "SYNTHETIC",
    "DataError",
    "Dataset",
    "ParseReport",
    "Prepared",
    "Scaler",
    "Windows",
    "fill_missing",
    "load_sample",
    "make_windows",
    "prepare",
    "read_series_csv",
    "read_series_csv_with_report",
    "resample",
    "split_points",
    "synthetic",
    "to_csv_bytes",
]
