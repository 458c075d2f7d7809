"""Fakes of ``yf.download`` in exactly yfinance 1.7's layouts (see shared docs/yfinance.md).

- one or several tickers: MultiIndex columns named ['Price', 'Ticker'], alphabetical
  (Close, High, Low, Open, Volume; 'Adj Close' first when auto_adjust=False);
- index: DatetimeIndex named Date, tz-naive, dtype datetime64[s] under pandas 3 (datetime64[ns]
  under pandas 2, which statsforecast keeps); prices float64, Volume int64;
- several tickers: the union of all dates (a stock next to BTC-USD gets NaN weekend rows and
  its Volume turns float64); an invalid ticker: an empty frame whose columns include
  'Adj Close', the error only logged; a bad ticker among good ones: all-NaN columns.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

FIELDS = ["Open", "High", "Low", "Close", "Volume"]
# yfinance turns epoch seconds into dates: pandas 3 keeps seconds, pandas 2 makes nanoseconds
INDEX_DTYPE = "datetime64[s]" if int(pd.__version__.split(".")[0]) >= 3 else "datetime64[ns]"


def history(ticker: str, days: int = 400, end: str = "2024-06-28", seed: int = 0) -> pd.DataFrame:
    """One ticker's flat OHLCV as yfinance builds it internally (before the concat)."""
    freq = "D" if ticker.endswith("-USD") else "B"
    idx = pd.date_range(end=end, periods=days, freq=freq, name="Date").astype(INDEX_DTYPE)
    rng = np.random.default_rng(seed + sum(map(ord, ticker)))
    close = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.015, days)))
    open_ = close * np.exp(rng.normal(0, 0.004, days))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, days))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, days))
    vol = rng.integers(1_000_000, 5_000_000, days).astype("int64")
    return pd.DataFrame(
        {"Open": open_, "High": high, "Low": low, "Close": close, "Volume": vol}, index=idx
    )


def _empty() -> pd.DataFrame:
    """yfinance.utils.empty_df(): all NaN columns, 'Adj Close' included."""
    e = pd.DataFrame(
        index=pd.DatetimeIndex([], dtype=INDEX_DTYPE),
        data={c: np.nan for c in ["Open", "High", "Low", "Close", "Adj Close", "Volume"]},
    )
    e.index.name = "Date"
    return e


def combine(dfs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """multi.py: reindex every frame to the union of dates, concat, swap to (Price, Ticker)."""
    idx = None
    for df in dfs.values():
        if not df.empty:
            idx = df.index if idx is None else idx.union(df.index)
    if idx is None:
        idx = pd.DatetimeIndex([], dtype=INDEX_DTYPE, name="Date")
    dfs = {k: v.reindex(idx) for k, v in dfs.items()}
    data = pd.concat(dfs.values(), axis=1, sort=True, keys=dfs.keys(), names=["Ticker", "Price"])
    data.columns = data.columns.swaplevel(0, 1)
    data = data.sort_index(level=0, axis=1)  # yfinance sorts in place
    return data


def fake_download(good: dict[str, pd.DataFrame] | None = None, log: str | None = None, raises=None):
    """A stand-in for yf.download: known tickers get data, others the empty frame."""
    calls: list[dict] = []

    def download(tickers, **kwargs):
        calls.append({"tickers": tickers, **kwargs})
        if raises is not None:
            raise raises
        names = [tickers] if isinstance(tickers, str) else list(tickers)
        if log:
            logging.getLogger("yfinance").error(f"{names}: {log}")
        dfs = {t: (good or {}).get(t, _empty()) for t in names}
        return combine(dfs)

    download.calls = calls
    return download
