"""Everything the Stocks page shows after one background job: backtest, demo, forecast."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.data import Dataset
from core.data.stocks import infer_calendar
from core.forecast.backtest import (
    Backtest,
    BacktestConfig,
    future_forecast,
    teacher_forcing_demo,
    walk_forward,
)
from core.forecast.stock_model import StockConfig

DEMO_STEPS = 60  # trading days of the one-step vs free-running comparison


@dataclass
class StockReport:
    dataset_name: str
    provenance: dict
    config: StockConfig
    backtest: Backtest
    demo: pd.DataFrame | None  # truth, one_step, free_run, naive after the first origin
    future: pd.DataFrame | None  # lower, median, upper over the next trading dates
    calendar: str  # weekdays or daily

    @property
    def stopped(self) -> bool:
        return self.backtest.stopped


def build_report(
    dataset: Dataset,
    cfg: StockConfig,
    bt: BacktestConfig,
    stop_event=None,
    progress=None,
) -> StockReport:
    """Backtest, then the teaching demo, then the forecast from the last day (fitted on all)."""
    frame = dataset.frame
    calendar = infer_calendar(frame.index)
    result = walk_forward(frame, cfg, bt, stop_event, progress)
    demo = future = None
    stopped = result.stopped or (stop_event is not None and stop_event.is_set())
    if not stopped and len(result.table):
        if progress:
            progress(result.fits, result.fits, "one-step vs free-running demo")
        first = frame.index.get_loc(result.table["origin"].iloc[0])
        demo = teacher_forcing_demo(frame, cfg, first, DEMO_STEPS)
        if progress:
            progress(result.fits + 1, result.fits, "forecast from the last day")
        future = future_forecast(frame, cfg, calendar)
    result.stopped = stopped
    return StockReport(dataset.name, dict(dataset.provenance), cfg, result, demo, future, calendar)


def report_task(dataset: Dataset, cfg: StockConfig, bt: BacktestConfig):
    """A function for ``core.jobs.Job``: publishes fits done / total and what it is doing."""

    def task(ctx) -> StockReport:
        def progress(done: int, total: int, message: str) -> None:
            ctx.publish(epoch=done, epochs=total + 2, message=message)

        return build_report(dataset, cfg, bt, ctx.stop_event, progress)

    return task
