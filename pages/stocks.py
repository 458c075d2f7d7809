"""Stocks: download daily prices, backtest a forecaster honestly, forecast the next days."""

from __future__ import annotations

import streamlit as st

from core.forecast.stock_report import report_task
from dashboard.common import jobs, state
from dashboard.stocks import link as stock_link
from dashboard.stocks import report as stock_report_ui
from dashboard.stocks import ui as stock_ui

st.title("Stocks")
st.markdown(
    "Forecast daily prices **honestly**: the model is judged by a walk-forward backtest "
    "against the naive forecast (*tomorrow = today*), which is very hard to beat on daily "
    "prices. Every forecast only uses data up to its own day."
)

stock_link.bind()  # the link's settings, before the widgets
st.subheader("1 · Data", anchor=False)
stock_ui.download_form()
dataset = stock_ui.pick_dataset()

st.subheader("2 · Model and backtest", anchor=False)
with st.expander("Why the forecasting mode matters", icon=":material/lightbulb:"):
    st.markdown(
        "- **Price levels**: a network trained on the price *levels* of past years meets "
        "test prices it has never seen (a stock that doubled). Scaled with the training "
        "years' statistics, its inputs leave the range it learned and its forecasts lag "
        "or flatten: on the last 2,500 MSFT closes its error was about 4 times the naive "
        "one.\n"
        "- **Returns** (default): the network sees daily log returns, which look alike at "
        "any price level, and predicts the change from the last price. Its error stays "
        "close to the naive forecast's, which is the honest result for daily prices.\n"
        "- **Window-normalised**: each window divided by its last price; similar to returns.\n\n"
        "A model/naive MAE ratio far below 1 on daily prices is more often a leak (future "
        "data in the inputs or in the scaler) than skill: the page warns when it sees one."
    )
settings = stock_ui.settings_form(dataset)
if settings is not None:
    cfg, bt = settings
    jobs.start_job(
        stock_report_ui.KIND,
        report_task(dataset, cfg, bt),
        name=f"backtest · {dataset.name} {cfg.target}",
        result_key=state.STOCK_REPORT_KEY,
        meta={"dataset": dataset.name},
    )
stock_report_ui.job_progress()

report = state.stock_report()
if report is None:
    st.info(
        "Press **Run the walk-forward backtest** to train the network at each origin and "
        "compare it with the naive, drift and moving-average forecasts.",
        icon=":material/info:",
    )
else:
    stock_report_ui.render_report(report)
