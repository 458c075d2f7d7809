"""The forecasts a network has to beat: naive, seasonal naive, drift, AutoETS, AutoARIMA, AutoTheta.

Every baseline forecasts the K values after each forecast origin from the rows *before* it:
origin o (the row of the first target, as in :mod:`core.data.windows`) sees ``y[:o]`` only.

- naive: ``yhat_{o+k} = y_{o-1}``; seasonal naive: ``yhat_{o+k} = y_{o-1-m+((k-1) mod m)+1}``,
  the value one season before (same month last year for m = 12); drift: the line through
  the first and last values of the history.
- AutoETS, AutoARIMA, AutoTheta: Nixtla's ``statsforecast`` (imported lazily: without it
  these three are reported as unavailable and the simple ones still run). Two schemes:

  * ``refit=0`` (the Train page, the CLI): each model chooses its form and estimates its
    parameters **once**, on the last ``max_rows`` rows before ``fit_end`` (the end of the
    training rows, like the network's weights). At each origin statsforecast's ``forward``
    applies that fitted model to the last ``max_rows`` rows before the origin (the state is
    re-filtered on them, the parameters stay fixed) and forecasts K steps with intervals.
  * ``refit=k`` (the Stocks backtest, tens of origins): a new fit at every k-th origin on the
    last ``max_rows`` rows before it (k = 1: at every origin), ``forward`` in between, so
    the models follow the network's own refit schedule.

  ``max_rows`` bounds the cost: seasonal AutoARIMA took 73 s on 1,974 monthly rows here.

A model that cannot run on a series is reported with the reason (too short for its season,
constant, ...), never dropped silently; notes record what statsforecast adapted (additive
forms for non-positive data).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.forecast.evaluation import drift_forecast, naive_forecast

SIMPLE = ("naive", "seasonal naive", "drift")
STATS = ("AutoETS", "AutoARIMA", "AutoTheta")
METHODS = (*SIMPLE, *STATS)
MAX_ROWS = 480  # rows a statistical model is fitted / filtered on (the most recent ones)
MISSING = "statsforecast is not installed (pip install -r requirements-stats.txt)"

# pandas frequency alias prefix -> (season length, words)
SEASONS = (
    ("MS", 12, "monthly data"),
    ("ME", 12, "monthly data"),
    ("QS", 4, "quarterly data"),
    ("QE", 4, "quarterly data"),
    ("YS", 1, "yearly data"),
    ("YE", 1, "yearly data"),
    ("B", 5, "trading days, weekdays only"),
    ("D", 7, "daily calendar data"),
    ("W", 52, "weekly data"),
    ("h", 24, "hourly data"),
    ("H", 24, "hourly data"),
)


def season_length(index: pd.Index, override: int | None = None) -> tuple[int, str]:
    """(m, why): the season length for a series index and where it came from.

    monthly 12, quarterly 4, trading days 5, daily calendar 7, weekly 52, hourly 24; steps
    or an unknown frequency 1 (no season). ``override`` (>= 1) wins.
    """
    if override is not None:
        if int(override) < 1:
            raise ValueError(f"season length must be >= 1, got {override!r}")
        return int(override), "set by you"
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 3:
        return 1, "no dates, so no calendar season"
    from core.data.csv.frequency import frequency

    alias, _, _ = frequency(index)
    if alias is None:
        return 1, "irregular dates, so no calendar season"
    for prefix, m, words in SEASONS:
        if alias == prefix or (alias.startswith(prefix) and not alias[len(prefix) :].isalpha()):
            return m, words
    return 1, f"frequency {alias}: no standard season"


def seasonal_naive_forecast(history, horizon: int, m: int) -> np.ndarray:
    """yhat_{o+k} = the value m steps before o+k, repeated season after season."""
    h = np.asarray(history, np.float64)
    if len(h) < m:
        raise ValueError(f"needs {m} values before the origin, has {len(h)}")
    last = h[-m:]
    return last[np.arange(horizon) % m]


@dataclass
class BaselineForecasts:
    """Forecasts (M, K) per method at M origins, intervals per level, and what failed."""

    mean: dict[str, np.ndarray] = field(default_factory=dict)
    lower: dict[str, dict[int, np.ndarray]] = field(default_factory=dict)
    upper: dict[str, dict[int, np.ndarray]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, dict] = field(default_factory=dict)  # fit_s, forecast_s per method


def simple_forecasts(
    y: np.ndarray, origins: np.ndarray, horizon: int, m: int, out: BaselineForecasts
) -> BaselineForecasts:
    """naive, seasonal naive and drift at every origin (row of the first target)."""
    y = np.asarray(y, np.float64)
    funcs = {
        "naive": lambda h: naive_forecast(h, horizon),
        "seasonal naive": lambda h: seasonal_naive_forecast(h, horizon, m),
        "drift": lambda h: drift_forecast(h, horizon),
    }
    for name, fn in funcs.items():
        t0 = time.perf_counter()
        if name == "seasonal naive" and len(origins) and int(origins.min()) < m:
            out.failures[name] = (
                f"too short for season length {m}: the first origin has only "
                f"{int(origins.min())} values before it"
            )
            continue
        rows = [fn(y[:o]) for o in origins]
        out.mean[name] = np.asarray(rows, np.float64).reshape(len(origins), horizon)
        out.seconds[name] = {"fit_s": 0.0, "forecast_s": time.perf_counter() - t0}
    if m == 1:
        out.notes["seasonal naive"] = "season length 1: the same as naive"
    return out


def statsforecast_models() -> dict | None:
    """name -> model class, or None when statsforecast is not installed."""
    try:
        from statsforecast.models import AutoARIMA, AutoETS, AutoTheta
    except ImportError:
        return None
    return {"AutoETS": AutoETS, "AutoARIMA": AutoARIMA, "AutoTheta": AutoTheta}


def fit_problem(y_fit: np.ndarray, m: int) -> str | None:
    """Why a statistical model cannot be fitted on these rows, or None."""
    n = len(y_fit)
    need = max(2 * m, 8) if m > 1 else 8
    if n < need:
        season = f"season length {m} (two full seasons)" if m > 1 else "a model"
        return f"too short: {season} needs at least {need} rows before the first origin, has {n}"
    if np.ptp(y_fit) == 0:
        return f"the series is constant ({y_fit[0]:g}) on the fitting rows: nothing to estimate"
    return None


def positivity_note(name: str, y_fit: np.ndarray) -> str | None:
    if (y_fit > 0).all():
        return None
    if name == "AutoETS":
        return "values <= 0: only additive error, trend and season forms were considered"
    if name == "AutoTheta":
        return "values <= 0: additive seasonal decomposition instead of multiplicative"
    return None


def stats_forecasts(
    y: np.ndarray,
    origins: np.ndarray,
    horizon: int,
    m: int,
    fit_end: int | None,
    levels: tuple[int, ...] = (80, 95),
    out: BaselineForecasts | None = None,
    models: tuple[str, ...] = STATS,
    max_rows: int = MAX_ROWS,
    refit: int = 0,
) -> BaselineForecasts:
    """AutoETS / AutoARIMA / AutoTheta forecasts and intervals at every origin (see the
    module docstring for the two schemes). ``fit_end``: rows the one fit may use (refit=0)."""
    out = out if out is not None else BaselineForecasts()
    y = np.asarray(y, np.float64)
    classes = statsforecast_models()
    origins = np.asarray(origins, np.int64)
    for name in models:
        if classes is None:
            out.failures[name] = MISSING
            continue
        first = int(origins.min()) if len(origins) else 0
        fit_rows = y[
            max(0, (fit_end if not refit else first) - max_rows) : (fit_end if not refit else first)
        ]
        problem = fit_problem(fit_rows, m)
        if problem:
            out.failures[name] = problem
            continue
        note = positivity_note(name, fit_rows)
        if note:
            out.notes[name] = note
        try:
            _run_model(classes[name], name, y, origins, horizon, m, fit_end, levels, out,
                       max_rows, refit)  # fmt: skip
        except Exception as e:  # statsforecast's own refusal, reported with its words
            out.mean.pop(name, None)
            out.lower.pop(name, None)
            out.upper.pop(name, None)
            out.failures[name] = (
                f"statsforecast could not fit it: {str(e)[:200] or type(e).__name__}"
            )
    return out


def model_options(name: str, n: int, m: int) -> dict:
    """Constructor options: AutoARIMA selects its orders with the CSS approximation on long
    or long-season series (n > 150 or m > 12), R's ``auto.arima`` default rule: 6x faster
    on 480 monthly sunspots here, same orders chosen. The final fit is exact either way."""
    if name == "AutoARIMA":
        return {"season_length": m, "approximation": n > 150 or m > 12}
    return {"season_length": m}


def _run_model(cls, name, y, origins, horizon, m, fit_end, levels, out, max_rows, refit):
    means = np.full((len(origins), horizon), np.nan)
    lows = {lv: np.full_like(means, np.nan) for lv in levels}
    highs = {lv: np.full_like(means, np.nan) for lv in levels}
    fit_s = fc_s = 0.0
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        model = None
        if not refit:
            t0 = time.perf_counter()
            rows = y[max(0, fit_end - max_rows) : fit_end]
            model = cls(**model_options(name, len(rows), m)).fit(rows)
            fit_s += time.perf_counter() - t0
        for i, o in enumerate(origins):
            hist = y[max(0, o - max_rows) : o]
            t0 = time.perf_counter()
            if refit and i % refit == 0:
                model = cls(**model_options(name, len(hist), m)).fit(hist)
                t1 = time.perf_counter()
                fit_s += t1 - t0
                t0 = t1
            res = model.forward(hist, h=horizon, level=list(levels))
            fc_s += time.perf_counter() - t0
            means[i] = res["mean"]
            for lv in levels:
                lows[lv][i], highs[lv][i] = res[f"lo-{lv}"], res[f"hi-{lv}"]
    if not np.isfinite(means).all():
        raise ValueError("it returned missing or infinite forecasts")
    out.mean[name], out.lower[name], out.upper[name] = means, lows, highs
    out.seconds[name] = {"fit_s": fit_s, "forecast_s": fc_s}


def all_forecasts(
    y: np.ndarray,
    origins: np.ndarray,
    horizon: int,
    m: int,
    fit_end: int | None,
    levels: tuple[int, ...] = (80, 95),
    max_rows: int = MAX_ROWS,
    refit: int = 0,
) -> BaselineForecasts:
    """Every baseline of :data:`METHODS` at the same origins."""
    out = simple_forecasts(y, np.asarray(origins, np.int64), horizon, m, BaselineForecasts())
    return stats_forecasts(y, origins, horizon, m, fit_end, levels, out, STATS, max_rows, refit)


def warm_up() -> None:
    """Import statsforecast and run each model once on a tiny series (its first call pays
    for imports and library set-up; statsforecast 2.x has no numba code left to compile)."""
    classes = statsforecast_models()
    if classes is None:
        return
    y = 10 + np.sin(np.arange(48) * np.pi / 6) + np.arange(48) * 0.1
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for cls in classes.values():
            cls(season_length=12).fit(y).forward(y, h=2, level=[80])
