"""Forecast evaluation: point metrics, baselines and the Diebold-Mariano test (pure numpy).

Every metric takes the truth ``y`` and a forecast ``yhat`` of the same shape. Errors are
``e = y - yhat``. Baselines forecast the next K values from a history that ends at the
forecast origin, so they see exactly what the model sees.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from core.forecast.metrics import _pair as _arrays
from core.forecast.metrics import coverage, mae, mase, naive_scale, rmse, smape

__all__ = [
    "BASELINES",
    "coverage",
    "diebold_mariano",
    "directional_accuracy",
    "drift_forecast",
    "mae",
    "mape",
    "mase",
    "moving_average_forecast",
    "naive_forecast",
    "naive_scale",
    "rmse",
    "smape",
    "summarize",
    "up_share",
]


def mape(y, yhat) -> float:
    """Mean absolute percentage error, in percent: 100 * mean |y - yhat| / |y|.

    Rows with y == 0 are left out (the ratio is undefined there).
    """
    a, b = _arrays(y, yhat)
    ok = a != 0
    return float(100 * np.mean(np.abs(a[ok] - b[ok]) / np.abs(a[ok]))) if ok.any() else math.nan


def directional_accuracy(y, yhat, last) -> float:
    """Share of correct up/down calls: mean[sign(yhat - last) == sign(y - last)].

    ``last`` is the value observed at each forecast's origin. Rows where the truth did not
    move, or the forecast predicts no move (the naive forecast), are left out; NaN if none
    is left (the naive forecast has no direction to score).
    """
    a, b = _arrays(y, yhat)
    base = np.broadcast_to(np.asarray(last, np.float64), a.shape)
    move, call = np.sign(a - base), np.sign(b - base)
    ok = (move != 0) & (call != 0)
    return float(np.mean(move[ok] == call[ok])) if ok.any() else math.nan


def up_share(y, last) -> float:
    """Accuracy of always calling "up": the share of forecasts whose truth rose above ``last``."""
    a = np.asarray(y, np.float64)
    move = np.sign(a - np.broadcast_to(np.asarray(last, np.float64), a.shape))
    ok = move != 0
    return float(np.mean(move[ok] > 0)) if ok.any() else math.nan


def diebold_mariano(e_model, e_base, h: int = 1, power: int = 1) -> dict:
    """Diebold-Mariano test of equal accuracy, with the Harvey-Leybourne-Newbold correction.

    Loss differential d_t = |e_model_t|^p - |e_base_t|^p (p = ``power``), n values.
    DM = mean(d) / sqrt(V / n), V = gamma_0 + 2 sum_{k=1}^{h-1} gamma_k (autocovariances of d).
    HLN: DM* = DM * sqrt((n + 1 - 2h + h(h - 1) / n) / n), compared with Student t(n - 1).
    Negative DM: the model's losses are smaller. Returns stat, two-sided p-value and the
    one-sided p-value of "the model is more accurate" (small = significantly better).
    """
    d = (
        np.abs(np.asarray(e_model, np.float64)) ** power
        - np.abs(np.asarray(e_base, np.float64)) ** power
    )
    n = d.size
    if n < 3:
        return {"stat": math.nan, "pvalue": math.nan, "pvalue_better": math.nan, "n": n}
    dc = d - d.mean()
    gamma = [float(np.dot(dc[k:], dc[: n - k]) / n) for k in range(h)]
    v = gamma[0] + 2 * sum(gamma[1:])
    if v <= 0:  # identical forecasts (or a degenerate variance): no evidence either way
        return {"stat": math.nan, "pvalue": 1.0, "pvalue_better": 1.0, "n": n}
    dm = d.mean() / math.sqrt(v / n)
    dm *= math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    return {
        "stat": float(dm),
        "pvalue": float(2 * stats.t.sf(abs(dm), df=n - 1)),
        "pvalue_better": float(stats.t.cdf(dm, df=n - 1)),
        "n": n,
    }


# -- baselines: history (N,) up to and including the origin -> forecasts (K,) ------------------


def naive_forecast(history, horizon: int) -> np.ndarray:
    """yhat_{o+k} = y_o: the last observed value, repeated."""
    h = np.asarray(history, np.float64)
    return np.full(horizon, h[-1])


def drift_forecast(history, horizon: int) -> np.ndarray:
    """yhat_{o+k} = y_o + k (y_o - y_1) / (n - 1): the line through the first and last values."""
    h = np.asarray(history, np.float64)
    slope = (h[-1] - h[0]) / (len(h) - 1) if len(h) > 1 else 0.0
    return h[-1] + slope * np.arange(1, horizon + 1)


def moving_average_forecast(history, horizon: int, window: int = 20) -> np.ndarray:
    """yhat_{o+k} = mean(y_{o-w+1..o}): the mean of the last ``window`` values."""
    h = np.asarray(history, np.float64)
    return np.full(horizon, h[-window:].mean())


BASELINES = {
    "naive": naive_forecast,
    "drift": drift_forecast,
    "moving_average": moving_average_forecast,
}


def summarize(y, yhat, last, history) -> dict:
    """All point metrics of one forecaster: MAE, RMSE, MAPE, sMAPE, MASE, directional accuracy."""
    return {
        "mae": mae(y, yhat),
        "rmse": rmse(y, yhat),
        "mape": mape(y, yhat),
        "smape": smape(y, yhat),
        "mase": mase(y, yhat, history),
        "directional_accuracy": directional_accuracy(y, yhat, last),
    }
