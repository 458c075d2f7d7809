"""Daily stock prices from yfinance: the one function that calls ``yf.download``.

yfinance rarely raises: an unknown ticker, a rate limit or a dead network mostly come back
as an empty (or all-NaN) frame with the reason only logged. :func:`fetch_prices` turns all of
them into a :class:`StockDataError` naming the ticker, what happened and what to try, and
returns a clean frame otherwise: columns Open, High, Low, Close, Volume (float64) over a
tz-naive ``DatetimeIndex`` named Date.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.data import Dataset

OHLCV = ("Open", "High", "Low", "Close", "Volume")
TICKER_RE = re.compile(r"^\^?[A-Z0-9][A-Z0-9.\-=]{0,14}$")
MAX_TICKERS = 5
ROOT = Path(__file__).resolve().parent.parent
_cache_lock = threading.Lock()
_cache_set: Path | None = None


class StockDataError(ValueError):
    """No usable data for a ticker; ``kind`` is empty, all_nan, rate_limit or network.

    The message says in one sentence what failed and what to try; ``detail`` keeps what
    yfinance raised or logged, whole (for a "details" box, never cut mid-word).
    """

    def __init__(self, ticker: str, kind: str, message: str, detail: str = ""):
        super().__init__(message)
        self.ticker, self.kind, self.detail = ticker, kind, detail


def parse_tickers(text: str) -> list[str]:
    """'msft, aapl' -> ['MSFT', 'AAPL']; raises ValueError with the exact problem."""
    items = [t.strip().upper() for t in re.split(r"[,\s;]+", text or "") if t.strip()]
    if not items:
        raise ValueError("enter at least one ticker symbol, e.g. MSFT")
    bad = [t for t in items if not TICKER_RE.match(t)]
    if bad:
        raise ValueError(
            f"not a ticker symbol: {', '.join(bad)}; use letters, digits and . - = ^ "
            "(e.g. MSFT, BRK-B, BTC-USD, ^GSPC)"
        )
    unique = list(dict.fromkeys(items))
    if len(unique) > MAX_TICKERS:
        raise ValueError(f"at most {MAX_TICKERS} tickers at once, got {len(unique)}")
    return unique


def cache_dir() -> Path:
    """Where yfinance keeps its SQLite caches: $LSTMLAB_CACHE_DIR/yfinance or .cache/yfinance."""
    base = os.environ.get("LSTMLAB_CACHE_DIR")
    return (Path(base) if base else ROOT / ".cache") / "yfinance"


def configure_cache() -> Path:
    """Point yfinance's caches at a folder the app owns (must run before the first fetch)."""
    global _cache_set
    with _cache_lock:
        if _cache_set is None:
            import yfinance as yf

            path = cache_dir()
            path.mkdir(parents=True, exist_ok=True)
            yf.set_tz_cache_location(str(path))
            _cache_set = path
        return _cache_set


class _Captured(logging.Handler):
    """Collects what yfinance logs during one download (its only error channel)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.lines.append(record.getMessage())


def _advice(ticker: str, kind: str, detail: str = "") -> StockDataError:
    text = {
        "rate_limit": f"Yahoo Finance is rate-limiting requests, so no data came for {ticker}: "
        "wait a minute and try again, or use the bundled offline sample.",
        "network": f"Could not reach Yahoo Finance to download {ticker} (no network "
        "connection): check the connection, or use the bundled offline sample.",
        "empty": f"No data for {ticker}: the symbol may be wrong or delisted, or the date range "
        "holds no trading days; check the symbol on finance.yahoo.com, widen the range, or use "
        "the bundled offline sample.",
        "all_nan": f"Yahoo returned only empty prices for {ticker}: the symbol may be wrong or "
        "have no trades in this range; try another range or the bundled offline sample.",
    }[kind]
    return StockDataError(ticker, kind, text, detail.strip())


def _classify(ticker: str, logged: list[str]) -> str:
    joined = " ".join(logged).lower()
    if "rate limit" in joined or "too many requests" in joined or "429" in joined:
        return "rate_limit"
    if any(w in joined for w in ("resolve", "dns", "connection", "timed out", "network")):
        return "network"
    return "empty"


def clean_download(raw: pd.DataFrame, ticker: str, logged: list[str] = ()) -> pd.DataFrame:
    """One ticker's OHLCV out of a ``yf.download`` frame (MultiIndex or flat columns).

    Rows without a Close (e.g. weekend rows added next to a crypto ticker) are dropped.
    Raises StockDataError when nothing usable is left.
    """
    if raw is None or raw.empty:
        raise _advice(ticker, _classify(ticker, list(logged)), " ".join(logged))
    if isinstance(raw.columns, pd.MultiIndex):
        tickers = raw.columns.get_level_values(-1)
        if ticker not in set(tickers):
            raise _advice(ticker, "empty", " ".join(logged))
        frame = raw.xs(ticker, axis=1, level=-1)
    else:
        frame = raw
    missing = [c for c in OHLCV if c not in frame.columns]
    if missing:
        raise _advice(ticker, "empty", f"columns missing: {', '.join(missing)}")
    frame = frame[list(OHLCV)].astype("float64")
    frame = frame[frame["Close"].notna()]
    if frame.empty:
        raise _advice(ticker, "all_nan", " ".join(logged))
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:
        index = index.tz_localize(None)
    frame.index = index.normalize().rename("Date")
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    return frame.ffill()


@dataclass(frozen=True)
class Request:
    """What to download: tickers and either a period ('1y', '5y', 'max') or start/end dates."""

    tickers: tuple[str, ...]
    period: str | None = "5y"
    start: str | None = None  # ISO date, inclusive
    end: str | None = None  # ISO date, exclusive (yfinance's convention)


def fetch_prices(request: Request) -> tuple[dict[str, pd.DataFrame], dict[str, StockDataError]]:
    """Download daily, split-and-dividend adjusted prices for every ticker of ``request``.

    Returns (frames by ticker, errors by ticker): a bad ticker among good ones does not
    sink the others. Raises nothing for data problems; every failure lands in ``errors``.
    """
    import yfinance as yf
    from yfinance.exceptions import YFException

    configure_cache()
    tickers = list(request.tickers)
    kwargs = (
        {"start": request.start, "end": request.end}
        if request.start
        else {"period": request.period}
    )
    handler = _Captured()
    log = logging.getLogger("yfinance")
    log.addHandler(handler)
    try:
        raw = yf.download(
            tickers if len(tickers) > 1 else tickers[0],
            interval="1d",
            auto_adjust=True,
            progress=False,
            threads=False,
            multi_level_index=True,
            **kwargs,
        )
    except YFException as e:
        kind = "rate_limit" if "rate" in type(e).__name__.lower() else "empty"
        return {}, {t: _advice(t, kind, str(e)) for t in tickers}
    except OSError as e:
        return {}, {t: _advice(t, "network", str(e)) for t in tickers}
    finally:
        log.removeHandler(handler)
    frames, errors = {}, {}
    for t in tickers:
        try:
            frames[t] = clean_download(raw, t, handler.lines)
        except StockDataError as e:
            errors[t] = e
    return frames, errors


def to_dataset(frame: pd.DataFrame, ticker: str, request: Request) -> Dataset:
    """A downloaded frame with its provenance, ready for every page of the session."""
    asked = (
        f"{request.start} to {request.end or 'today'}"
        if request.start
        else f"period {request.period}"
    )
    return Dataset(
        frame,
        name=f"{ticker} (yfinance)",
        provenance={
            "kind": "download",
            "source": "yfinance (Yahoo Finance)",
            "ticker": ticker,
            "requested": asked,
            "start": str(frame.index[0].date()),
            "end": str(frame.index[-1].date()),
            "rows": len(frame),
            "downloaded": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "adjusted": "auto_adjust=True: splits and dividends folded into OHLC",
            "interval": "1d",
            "offline": False,
        },
    )


def gaps(frame: pd.DataFrame, request: Request) -> str | None:
    """A warning when the data starts well after the requested start (partial history)."""
    if request.start:
        asked = pd.Timestamp(request.start)
        if frame.index[0] - asked > pd.Timedelta(days=10):
            return (
                f"data starts on {frame.index[0].date()}, later than the requested "
                f"{asked.date()}: the ticker may be younger than the range"
            )
    return None


def trading_dates(last: pd.Timestamp, steps: int, calendar: str = "weekdays") -> pd.DatetimeIndex:
    """The next ``steps`` trading dates after ``last``: weekdays (stocks) or every day (crypto).

    Exchange holidays are not known offline, so a weekday holiday is counted as a trading day.
    """
    if calendar not in ("weekdays", "daily"):
        raise ValueError(f"calendar must be weekdays or daily, got {calendar!r}")
    freq = "B" if calendar == "weekdays" else "D"
    first = pd.Timestamp(last).normalize() + pd.Timedelta(days=1)
    return pd.date_range(first, periods=steps, freq=freq).rename("Date")


def infer_calendar(index: pd.Index) -> str:
    """'daily' when the history trades on weekends (crypto), else 'weekdays'."""
    if isinstance(index, pd.DatetimeIndex) and len(index):
        return "daily" if (index.day_of_week >= 5).mean() > 0.1 else "weekdays"
    return "weekdays"
