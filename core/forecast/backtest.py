"""Walk-forward backtest of the stock forecaster against naive, drift and moving average, and
(``BacktestConfig.baselines``) seasonal naive, AutoETS, AutoARIMA and AutoTheta refitted at
every origin on the rows up to it (:mod:`core.forecast.baselines`, ``refit=True``).

Origins o_1 < ... < o_N are spread over the last ``test_rows`` rows. At origin o_j the
forecast of rows o_j+1 .. o_j+H reads rows <= o_j only: the scalers are refitted there, the
network is refitted every ``refit_every`` origins (on rows <= that origin), and the
baselines see the same history. Every forecaster is scored on the same (origin, step) pairs.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from core.data.stocks import infer_calendar, trading_dates
from core.forecast import evaluation as ev
from core.forecast.baselines import STATS, all_forecasts, season_length
from core.forecast.stock_model import (
    StockConfig,
    fit_at,
    forecast_at,
    free_run,
    one_step_path,
    scalers_at,
)

METHODS = ("model", "naive", "drift", "moving_average")
LEAK_RATIO = 0.85  # far below 1: on daily prices a leak is likelier than skill
RARE_RATIO = 0.95  # below this, even a significant win deserves a second look


@dataclass(frozen=True)
class BacktestConfig:
    """Where the forecast origins go and how often the network is refitted."""

    origins: int = 20  # N forecast origins in the test period
    refit_every: int = 5  # refit the network at every k-th origin (scalers: at every origin)
    test_rows: int = 250  # the test period: the last rows of the series
    ma_window: int = 20  # moving-average baseline window
    baselines: bool = True  # also seasonal naive, AutoETS, AutoARIMA, AutoTheta
    season: int | None = None  # their season length (None: from the dates, 5 for trading days)
    stat_rows: int = 250  # rows before each origin the statistical models are fitted on
    stat_refit_every: int | None = None  # refit them every k origins (None: as the network)

    def __post_init__(self) -> None:
        checks = (("origins", 3), ("refit_every", 1), ("test_rows", 10), ("ma_window", 1),
                  ("stat_rows", 10), ("stat_refit_every", 1), ("season", 1))  # fmt: skip
        for name, low in checks:
            value = getattr(self, name)
            if value is None and name in ("stat_refit_every", "season"):
                continue
            if not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


@dataclass
class Backtest:
    table: pd.DataFrame  # one row per (origin, step): truth and every method's forecast
    summary: dict  # metrics per method, mae_ratio, dm test, coverage, verdict
    config: dict
    fits: int = 0
    seconds: float = 0.0
    stopped: bool = False
    extras: dict = field(default_factory=dict)


def price_matrix(frame: pd.DataFrame, cfg: StockConfig) -> np.ndarray:
    """(N, C) float64 of the model's columns, target first; clear errors for bad data."""
    missing = [c for c in cfg.columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"column(s) not in the data: {', '.join(missing)}; "
            f"available: {', '.join(map(str, frame.columns))}"
        )
    raw = frame[cfg.columns].to_numpy(np.float64)
    if not np.isfinite(raw).all():
        raise ValueError("the prices have missing values: fill or drop them before a backtest")
    if (raw[:, 0] <= 0).any() and cfg.mode != "level":
        raise ValueError(f"{cfg.target} has values <= 0: use the level mode for such a series")
    return raw


def origin_rows(n: int, cfg: StockConfig, bt: BacktestConfig) -> np.ndarray:
    """N origins evenly spread over the test period, each leaving H rows of truth after it."""
    last = n - 1 - cfg.horizon
    first = max(n - bt.test_rows - 1, cfg.lookback + cfg.steps + 60)
    if last - first + 1 < bt.origins:
        raise ValueError(
            f"the series has {n} rows: too short for {bt.origins} origins with horizon "
            f"{cfg.horizon}; use fewer origins, a shorter horizon or more data"
        )
    return np.unique(np.linspace(first, last, bt.origins).round().astype(int))


def walk_forward(
    frame: pd.DataFrame,
    cfg: StockConfig,
    bt: BacktestConfig = BacktestConfig(),
    stop_event: threading.Event | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Backtest:
    """Run the backtest; on stop, returns what was scored so far (``stopped=True``)."""
    t0 = time.perf_counter()
    raw = price_matrix(frame, cfg)
    price, dates = raw[:, 0], frame.index
    origins = origin_rows(len(raw), cfg, bt)
    n_fits = math.ceil(len(origins) / bt.refit_every)
    rows, fitted, fits, stopped = [], None, 0, False
    for j, o in enumerate(origins):
        if stop_event is not None and stop_event.is_set():
            stopped = True
            break
        if j % bt.refit_every == 0:
            if progress:
                when = f"{dates[o]:%Y-%m-%d}" if hasattr(dates[o], "year") else str(dates[o])
                progress(fits, n_fits, f"fitting network {fits + 1} of {n_fits} (origin {when})")
            fitted = fit_at(raw[: o + 1], cfg, o, stop_event)
            fits += 1
            if fitted.stopped:
                stopped = True
                break
        fc = forecast_at(fitted, raw[: o + 1], o)  # (H, 3)
        hist = price[max(0, o - cfg.train_rows + 1) : o + 1]
        base = {
            "naive": ev.naive_forecast(hist, cfg.horizon),
            "drift": ev.drift_forecast(hist, cfg.horizon),
            "moving_average": ev.moving_average_forecast(hist, cfg.horizon, bt.ma_window),
        }
        for k in range(cfg.horizon):
            rows.append(
                {
                    "origin": dates[o],
                    "target_date": dates[o + k + 1],
                    "step": k + 1,
                    "last": price[o],
                    "truth": price[o + k + 1],
                    "model": fc[k, 1],
                    "lower": fc[k, 0],
                    "upper": fc[k, 2],
                    **{name: f[k] for name, f in base.items()},
                    "refit": j % bt.refit_every == 0 and k == 0,
                }
            )
    table = pd.DataFrame(rows)
    extra = {}
    if bt.baselines and len(table):
        if progress:
            progress(fits, n_fits, "refitting AutoETS, AutoARIMA and AutoTheta at every origin")
        done = origins[: table["origin"].nunique()]
        extra = add_baselines(table, price, dates, done, cfg, bt)
    if progress:
        progress(fits, n_fits, "scoring")
    history = price[: origins[0] + 1]
    stride = int(np.diff(origins).min()) if len(origins) > 1 else cfg.horizon
    overlap = math.ceil(cfg.horizon / max(stride, 1))  # forecasts sharing target days
    summary = summarize(table, history, cfg, overlap) if len(table) else {}
    if extra:
        summary["baselines"] = baseline_scores(table, history, cfg, extra)
    return Backtest(
        table,
        summary,
        {"stock": cfg.to_dict(), "backtest": asdict(bt)},
        fits,
        time.perf_counter() - t0,
        stopped,
    )


def add_baselines(table, price, dates, origins, cfg: StockConfig, bt: BacktestConfig) -> dict:
    """Columns of seasonal naive and the statistical models, their interval at the model's
    level; failures kept. The models are refitted on the ``bt.stat_rows`` rows up to an origin
    every ``stat_refit_every`` origins (by default when the network is), and in between
    applied with their last fit to the rows up to each origin (statsforecast ``forward``)."""
    m, why = season_length(dates, bt.season)
    level = round(cfg.interval * 100)
    every = bt.stat_refit_every or bt.refit_every
    bf = all_forecasts(price, origins + 1, cfg.horizon, m, None, (level,), bt.stat_rows, every)
    names = [n for n in ("seasonal naive", *STATS) if n in bf.mean]
    for name in names:
        table[name] = bf.mean[name].reshape(-1)  # rows: origin by origin, steps in order
        if name in bf.lower:
            table[f"{name} lower"] = bf.lower[name][level].reshape(-1)
            table[f"{name} upper"] = bf.upper[name][level].reshape(-1)
    failures = {n: r for n, r in bf.failures.items() if n not in ("naive", "drift")}
    notes = {n: r for n, r in bf.notes.items() if n not in ("naive", "drift")}
    return {"methods": names, "season_length": m, "season_source": why, "failures": failures,
            "notes": notes, "seconds": bf.seconds, "stat_rows": bt.stat_rows,
            "refit_every": every}  # fmt: skip


def baseline_scores(table: pd.DataFrame, history: np.ndarray, cfg: StockConfig, extra: dict):
    """Metrics of the extra baselines, their interval coverage, and the best method overall."""
    y, last = table["truth"].to_numpy(), table["last"].to_numpy()
    scores = {n: ev.summarize(y, table[n].to_numpy(), last, history) for n in extra["methods"]}
    cov = {
        n: ev.coverage(y, table[f"{n} lower"], table[f"{n} upper"])
        for n in extra["methods"]
        if f"{n} lower" in table
    }
    maes = {m: ev.mae(y, table[m]) for m in (*METHODS, *extra["methods"])}
    maes = {k: v for k, v in maes.items() if math.isfinite(v)}
    best = min(maes, key=maes.get) if maes else None
    return {**extra, "scores": scores, "coverage": cov, "interval": cfg.interval, "best": best,
            "best_mae": maes.get(best)}  # fmt: skip


def summarize(table: pd.DataFrame, history: np.ndarray, cfg: StockConfig, overlap: int = 1):
    """Metrics of every method on the same rows, the MAE ratio, DM test, coverage, verdict."""
    y, last = table["truth"].to_numpy(), table["last"].to_numpy()
    out: dict = {m: ev.summarize(y, table[m].to_numpy(), last, history) for m in METHODS}
    out["always_up_accuracy"] = ev.up_share(y, last)
    out["mae_ratio"] = out["model"]["mae"] / out["naive"]["mae"] if out["naive"]["mae"] else None
    per_origin = (
        table.assign(
            e_model=(table.truth - table.model).abs(), e_naive=(table.truth - table.naive).abs()
        )
        .groupby("origin")[["e_model", "e_naive"]]
        .mean()
    )
    origins = table["origin"].drop_duplicates()
    dm = ev.diebold_mariano(per_origin.e_model, per_origin.e_naive, h=overlap)
    out["dm"] = dm
    out["dm_pvalue"] = dm["pvalue"]
    out["coverage"] = ev.coverage(y, table["lower"], table["upper"])
    out["interval"] = cfg.interval
    out["n_origins"] = len(origins)
    out["n_forecasts"] = len(table)
    out["per_step"] = [
        {
            "step": int(k),
            "model_mae": ev.mae(g.truth, g.model),
            "naive_mae": ev.mae(g.truth, g.naive),
            "coverage": ev.coverage(g.truth, g.lower, g.upper),
        }
        for k, g in table.groupby("step")
    ]
    out["verdict"] = verdict(out)
    return out


def verdict(summary: dict) -> dict:
    """A plain-words judgement: level (success, info or warning) and a sentence."""
    ratio, p = summary.get("mae_ratio"), summary["dm"].get("pvalue_better")
    m, n = summary["model"]["mae"], summary["naive"]["mae"]
    maes = f"model MAE {m:.3f} vs naive MAE {n:.3f} (ratio {ratio:.2f})"
    if ratio is None or not math.isfinite(ratio):
        return {"level": "info", "text": "Not enough forecasts to compare with naive."}
    if ratio < LEAK_RATIO:
        return {
            "level": "warning",
            "text": f"Suspiciously good: {maes}. On daily prices an honest ratio is about "
            "1.00, so a ratio this far below 1 is more likely a leak (future values in the "
            "inputs, the scaler or the split) than skill. Check the data before trusting it.",
        }
    pv = f"Diebold-Mariano p = {p:.2f}" if p == p else "too few origins for a test"
    if ratio < 1 and p == p and p < 0.05:
        rare = (
            " Ratios this low are rare on daily prices: confirm with more origins first."
            if ratio < RARE_RATIO
            else ""
        )
        return {
            "level": "success",
            "text": f"The model beat the naive forecast: {maes}, significant ({pv}).{rare}",
        }
    if ratio < 1:
        return {
            "level": "info",
            "text": f"The model was slightly better than the naive forecast: {maes}, but "
            f"not significantly better ({pv}): on this evidence it is no better than "
            "repeating the last price.",
        }
    return {
        "level": "warning",
        "text": f"The model did not beat the naive forecast: {maes}. Repeating the last "
        "price was at least as accurate, as is usual for daily prices.",
    }


def teacher_forcing_demo(frame: pd.DataFrame, cfg: StockConfig, origin: int, steps: int = 60):
    """One-step predictions fed the true past vs one free-running forecast, from ``origin``.

    Uses a one-step network on the target alone, fitted on rows <= origin. Returns a frame
    indexed by date: truth, one_step, free_run, naive (the price at the origin).
    """
    one = cfg.replace(strategy="recursive", horizon=1, extra_inputs=())
    raw = price_matrix(frame, one)
    steps = min(steps, len(raw) - 1 - origin)
    fitted = fit_at(raw[: origin + 1], one, origin)
    xs, ys = scalers_at(raw[: origin + 1], one, origin)
    free = free_run(fitted, raw[: origin + 1], xs, ys, steps)[:, 1]
    teacher = one_step_path(fitted, raw, origin, steps)
    idx = frame.index[origin + 1 : origin + 1 + steps]
    return pd.DataFrame(
        {
            "truth": raw[origin + 1 : origin + 1 + steps, 0],
            "one_step": teacher,
            "free_run": free,
            "naive": raw[origin, 0],
        },
        index=idx,
    )


def future_forecast(frame: pd.DataFrame, cfg: StockConfig, calendar: str | None = None):
    """Fit on the whole history and forecast the next H trading days (lower, median, upper)."""
    raw = price_matrix(frame, cfg)
    o = len(raw) - 1
    fc = forecast_at(fit_at(raw, cfg, o), raw, o)
    dates = trading_dates(frame.index[-1], cfg.horizon, calendar or infer_calendar(frame.index))
    return pd.DataFrame({"lower": fc[:, 0], "median": fc[:, 1], "upper": fc[:, 2]}, index=dates)
