"""Point-forecast metrics (pure numpy; formulas in the docstrings)."""

from __future__ import annotations

import numpy as np


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    return a, b


def mae(y_true, y_pred) -> float:
    """mean |y - yhat|"""
    a, b = _pair(y_true, y_pred)
    return float(np.mean(np.abs(a - b))) if a.size else float("nan")


def rmse(y_true, y_pred) -> float:
    """sqrt(mean (y - yhat)^2)"""
    a, b = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((a - b) ** 2))) if a.size else float("nan")


def smape(y_true, y_pred) -> float:
    """Symmetric MAPE, in percent: 100 * mean 2 |y - yhat| / (|y| + |yhat|), 0/0 counted as 0."""
    a, b = _pair(y_true, y_pred)
    if a.size == 0:
        return float("nan")
    den = np.abs(a) + np.abs(b)
    ratio = np.divide(2 * np.abs(a - b), den, out=np.zeros_like(den), where=den > 0)
    return float(100 * np.mean(ratio))


def naive_scale(history, m: int = 1) -> float:
    """In-sample MAE of the (seasonal) naive forecast: mean_t |y_t - y_{t-m}| over the history."""
    h = np.asarray(history, np.float64)
    if len(h) <= m:
        raise ValueError(f"MASE needs more than {m} history value(s), got {len(h)}")
    return float(np.mean(np.abs(h[m:] - h[:-m])))


def mase(y_true, y_pred, history, m: int = 1) -> float:
    """Mean absolute scaled error: MAE(y, yhat) / mean_t |h_t - h_{t-m}| (Hyndman & Koehler).

    ``history`` is the in-sample series (data before the forecasts); ``m`` the season length
    of the naive forecast in the denominator (1: last value, m > 1: seasonal naive). Below 1:
    better than that naive forecast was in sample.
    """
    scale = naive_scale(history, m)
    return mae(y_true, y_pred) / scale if scale > 0 else float("nan")


def point_scores(y_true, y_pred, scale: float) -> dict:
    """MAE, RMSE, sMAPE (%) and MASE = MAE / ``scale`` (an in-sample naive MAE) of a forecast."""
    m = mae(y_true, y_pred)
    return {
        "mae": m,
        "rmse": rmse(y_true, y_pred),
        "smape": smape(y_true, y_pred),
        "mase": m / scale if scale and np.isfinite(scale) and scale > 0 else float("nan"),
    }


def coverage(y, lower, upper) -> float:
    """Empirical coverage of an interval: mean[lower <= y <= upper]."""
    a = np.asarray(y, np.float64)
    lo, hi = np.asarray(lower, np.float64), np.asarray(upper, np.float64)
    return float(np.mean((lo <= a) & (a <= hi))) if a.size else float("nan")
