"""``python -m core backtest``: walk-forward backtest of a daily price file against baselines."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from core.data import DataError, read_series_csv
from core.forecast.stock_model import MODES, STRATEGIES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "backtest",
        help="walk-forward backtest of the stock forecaster vs naive, drift, moving average, "
        "seasonal naive, AutoETS, AutoARIMA and AutoTheta",
    )
    p.add_argument("--csv", required=True, help="daily price file (Yahoo / yfinance layouts)")
    p.add_argument("--target", default="Close", help="column to forecast (default Close)")
    p.add_argument("--horizon", type=int, default=1, help="trading days ahead, 1 to 30")
    p.add_argument("--origins", type=int, default=20, help="forecast origins in the test period")
    p.add_argument("--refit-every", type=int, default=5, help="refit the network every k origins")
    p.add_argument("--test-rows", type=int, default=250, help="length of the test period")
    p.add_argument("--mode", choices=MODES, default="return", help="input/target encoding")
    p.add_argument("--strategy", choices=STRATEGIES, default="direct")
    p.add_argument("--lookback", type=int, default=20)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--season", type=int, default=None, help="season length of the baselines "
                   "(default: from the dates, 5 for trading days)")  # fmt: skip
    p.add_argument("--stat-refit-every", type=int, default=None,
                   help="refit AutoETS/ARIMA/Theta every k origins (default: with the network; "
                   "1: at every origin)")  # fmt: skip
    p.add_argument("--no-baselines", action="store_true",
                   help="skip seasonal naive, AutoETS, AutoARIMA and AutoTheta")  # fmt: skip
    p.add_argument("--table", default=None, help="also write the forecast table to this CSV")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def read_prices(path: str) -> pd.DataFrame:
    """A daily price file through the lab's CSV reader (:func:`core.data.read_series_csv`)."""
    if not Path(path).is_file():
        raise ValueError(f"no such file: {path}")
    try:
        return read_series_csv(path)
    except DataError as e:  # shown as a clean "error: ..." line
        raise ValueError(str(e)) from e


def run(args: argparse.Namespace) -> int:
    from core.cli import emit
    from core.forecast.backtest import BacktestConfig, walk_forward
    from core.forecast.stock_model import StockConfig

    frame = read_prices(args.csv)
    cfg = StockConfig(
        mode=args.mode,
        target=args.target,
        horizon=args.horizon,
        strategy=args.strategy,
        lookback=args.lookback,
        epochs=args.epochs,
        seed=args.seed,
    )
    bt = BacktestConfig(
        origins=args.origins,
        refit_every=args.refit_every,
        test_rows=args.test_rows,
        baselines=not args.no_baselines,
        season=args.season,
        stat_refit_every=args.stat_refit_every,
    )
    result = walk_forward(frame, cfg, bt)
    if args.table:
        result.table.to_csv(args.table, index=False)
    s = result.summary
    emit(
        {
            "file": str(args.csv),
            "rows": len(frame),
            "target": args.target,
            "horizon": args.horizon,
            "origins": s["n_origins"],
            "forecasts": s["n_forecasts"],
            "model": s["model"],
            "naive": s["naive"],
            "drift": s["drift"],
            "moving_average": s["moving_average"],
            "always_up_accuracy": s["always_up_accuracy"],
            "mae_ratio": s["mae_ratio"],
            "dm_stat": s["dm"]["stat"],
            "dm_pvalue": s["dm_pvalue"],
            "dm_pvalue_model_better": s["dm"]["pvalue_better"],
            "interval": s["interval"],
            "coverage": s["coverage"],
            "verdict": s["verdict"]["text"],
            "baselines": s.get("baselines"),
            "fits": result.fits,
            "seconds": round(result.seconds, 3),
            "config": result.config,
        },
        args.json,
    )
    return 0
