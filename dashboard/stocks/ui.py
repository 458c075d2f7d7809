"""Stocks page widget groups: the download form, the data picker and the model settings.

Session-state keys of the Stocks page live here; the page itself never reads them.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core.data import Dataset
from core.data.stocks import Request, StockDataError, fetch_prices, gaps, parse_tickers, to_dataset
from core.forecast.backtest import BacktestConfig
from core.forecast.stock_model import INPUTS, MODES, StockConfig
from dashboard.common import state
from dashboard.common.safe_text import md_escape
from dashboard.common.ui import chart_config
from dashboard.common.urlstate import ctl
from dashboard.stocks.figures import candlestick_figure, compare_figure, currency_of

SELECTED_KEY = "stocks_selected"  # name of the dataset the forecast uses
PROBLEMS_KEY = "stocks_problems"  # messages of the last download, shown until the next one
LOADED_KEY = "stocks_loaded"  # names of the datasets of the last download (for comparison)
CACHE_TTL_S = 3600
PERIODS = {"1 year": "1y", "2 years": "2y", "5 years": "5y", "10 years": "10y", "all": "max"}
MODE_LABELS = {
    "return": "returns (default, honest)",
    "window": "window-normalised prices",
    "level": "price levels (the common trap)",
}


@st.cache_data(ttl=CACHE_TTL_S, max_entries=64, show_spinner=False)
def download_dataset(ticker: str, period: str | None, start: str | None, end: str | None):
    """One ticker, cached for an hour; failures raise, so an empty result is never cached."""
    req = Request((ticker,), period=period, start=start, end=end)
    frames, errors = fetch_prices(req)
    if ticker in errors:
        raise errors[ticker]
    return to_dataset(frames[ticker], ticker, req)


def _price_datasets() -> dict[str, Dataset]:
    return {
        name: ds
        for name, ds in state.datasets().items()
        if isinstance(ds.frame.index, pd.DatetimeIndex) and "Close" in ds.frame.columns
    }


def _download(text: str, period: str, dates) -> None:
    try:
        tickers = parse_tickers(text)
    except ValueError as e:
        st.session_state[PROBLEMS_KEY] = [("error", f"{e}.")]
        return
    if period == "dates":
        if not isinstance(dates, tuple) or len(dates) != 2:
            st.session_state[PROBLEMS_KEY] = [("error", "Pick both a start and an end date.")]
            return
        start, end, period = str(dates[0]), str(dates[1] + dt.timedelta(days=1)), None
    else:
        start = end = None
    problems, loaded = [], []
    with st.spinner(f"Downloading {md_escape(', '.join(tickers))} from Yahoo Finance…"):
        for t in tickers:
            try:
                ds = download_dataset(t, period, start, end)
            except StockDataError as e:
                problems.append(("error", str(e), e.detail))
                continue
            state.add_dataset(ds)
            loaded.append(ds.name)
            note = gaps(ds.frame, Request((t,), period, start, end))
            if note:
                problems.append(("warning", f"{t}: partial data, {note}."))
    if not loaded:
        sample = state.offline_sample()
        problems.append(("info", f"Showing the bundled offline data instead: {sample.name}."))
        loaded = [sample.name]
    st.session_state[PROBLEMS_KEY] = problems
    st.session_state[LOADED_KEY] = loaded
    st.session_state[SELECTED_KEY] = loaded[0]


def download_form() -> None:
    """Tickers and a period or date range; downloads become session datasets."""
    with st.form("stocks-download", border=True):
        c1, c2, c3 = st.columns([3, 2, 3])
        text = c1.text_input(
            "Ticker symbols",
            value="MSFT",
            key="stocks-tickers",
            help="One or more Yahoo symbols separated by commas, e.g. MSFT, AAPL, BTC-USD.",
        )
        choice = c2.selectbox("Period", [*PERIODS, "date range"], index=2, key="stocks-period")
        today = dt.date.today()
        dates = c3.date_input(
            "Date range (used when Period is 'date range')",
            value=(today - dt.timedelta(days=5 * 365), today),
            max_value=today,
            key="stocks-dates",
        )
        go = st.form_submit_button(
            "Download daily prices", icon=":material/download:", key="stocks-download-go"
        )
    if go:
        _download(text, PERIODS.get(choice, "dates"), dates)
    for level, message, *detail in st.session_state.get(PROBLEMS_KEY, []):
        getattr(st, level)(md_escape(message))
        if detail and detail[0]:
            with st.expander("Details: what yfinance reported", icon=":material/info:"):
                st.code(detail[0], language=None, wrap_lines=True)


def provenance_line(ds: Dataset) -> str:
    p = ds.provenance
    when = p.get("downloaded") or "bundled with the app, no download (offline)"
    return (
        f"Source: {p.get('source', 'unknown')} · ticker {p.get('ticker', ds.name)} · "
        f"{ds.frame.index[0].date()} to {ds.frame.index[-1].date()} "
        f"({len(ds.frame):,} rows) · downloaded: {when} · prices: "
        f"{p.get('adjusted', 'unknown adjustment')}"
    )


def pick_dataset() -> Dataset:
    """The dataset the forecast uses, with its candlestick chart and provenance."""
    options = _price_datasets()
    if st.session_state.get(SELECTED_KEY) not in options:
        st.session_state[SELECTED_KEY] = state.offline_sample().name
    name = st.selectbox("Data for the forecast", list(options), key=SELECTED_KEY)
    ds = options[name]
    shown = ds.frame.iloc[-750:]
    title = f"{name}: daily prices, last {len(shown):,} rows"
    fig = candlestick_figure(shown, title, currency_of(ds.provenance))
    st.plotly_chart(fig, width="stretch", key="stocks-candles", config=chart_config())
    st.caption(md_escape(provenance_line(ds)))
    loaded = [n for n in st.session_state.get(LOADED_KEY, []) if n in options]
    if len(loaded) > 1:
        closes = {n: options[n].frame["Close"] for n in loaded}
        st.plotly_chart(
            compare_figure(closes), width="stretch", key="stocks-compare", config=chart_config()
        )
    return ds


def settings_form(ds: Dataset) -> tuple[StockConfig, BacktestConfig] | None:
    """Model and backtest settings; returns them when submitted and valid."""
    targets = [c for c in ("Close", "Adj Close") if c in ds.frame.columns]
    with st.form("stocks-settings"):
        c1, c2, c3 = st.columns(3)
        mode = c1.radio(
            "Forecasting mode",
            MODES,
            format_func=MODE_LABELS.get,
            **ctl("stocks-mode"),
            help="What the network sees: daily returns (default), prices divided by the "
            "window's last price, or raw price levels (shown to see why they fail).",
        )
        target = c1.selectbox("Target", targets, key="stocks-target")
        extras = c1.multiselect(
            "Extra inputs",
            [c for c in INPUTS if c != "Close" and c in ds.frame.columns],
            key="stocks-extras",
            help="Other columns the network reads (direct strategy only). In returns mode "
            "they become derived features: log(High / Close), log(Low / Close), "
            "log(Open / Close) and the daily log change of Volume.",
        )
        horizon = c2.slider("Horizon (trading days)", 1, 30, 1, **ctl("stocks-horizon"))
        strategy = c2.radio(
            "Multi-step strategy",
            ("direct", "recursive"),
            **ctl("stocks-strategy"),
            help="direct: one network predicts all H days at once; recursive: a one-step "
            "network is fed its own predictions H times.",
        )
        interval = c2.select_slider(
            "Prediction interval", [0.5, 0.8, 0.9, 0.95], 0.8, **ctl("stocks-interval"),
            format_func=lambda v: f"{v:.0%}",
        )  # fmt: skip
        origins = c3.slider("Backtest origins", 5, 60, 20, **ctl("stocks-origins"))
        refit = c3.slider("Refit the network every k origins", 1, 20, 5, **ctl("stocks-refit"))
        epochs = c3.slider("Epochs per fit", 2, 30, 6, **ctl("stocks-epochs"))
        lookback = c3.slider("Lookback (days)", 5, 120, 20, **ctl("stocks-lookback"))
        go = st.form_submit_button(
            "Run the walk-forward backtest",
            type="primary",
            icon=":material/play_arrow:",
            key="stocks-run",
        )
    if not go:
        return None
    try:
        cfg = StockConfig(
            mode=mode, target=target, extra_inputs=tuple(extras), horizon=horizon,
            strategy=strategy, interval=interval, epochs=epochs, lookback=lookback,
        )  # fmt: skip
        return cfg, BacktestConfig(origins=origins, refit_every=refit)
    except ValueError as e:
        st.error(f"Check the settings: {md_escape(e)}.", icon=":material/error:")
        return None
