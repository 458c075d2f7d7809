"""core.data.stocks: the one yf.download call, its cleaning, failure messages, cache, calendar."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yfinance as yf
from stock_fakes import INDEX_DTYPE, combine, fake_download, history
from yfinance.exceptions import YFRateLimitError

from core.data import read_series_csv, stocks
from core.data.stocks import Request, StockDataError, fetch_prices, parse_tickers

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "stocks"
OFFLINE_HINT = "use the bundled offline sample"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    """Every test gets its own cache folder; record where yfinance was pointed."""
    monkeypatch.setenv("LSTMLAB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(stocks, "_cache_set", None)
    seen: list[str] = []
    real = yf.set_tz_cache_location

    def record(path: str) -> None:  # and really move it: tests never write to ~/.cache
        seen.append(path)
        real(path)

    monkeypatch.setattr(yf, "set_tz_cache_location", record)
    return seen


def test_fake_matches_yfinance_17_layout():
    raw = combine({"MSFT": history("MSFT")})
    assert list(raw.columns.names) == ["Price", "Ticker"]
    assert [c for c, _ in raw.columns] == ["Close", "High", "Low", "Open", "Volume"]
    assert raw.index.name == "Date" and str(raw.index.dtype) == INDEX_DTYPE
    assert raw[("Volume", "MSFT")].dtype == np.int64


def test_one_ticker_is_downloaded_adjusted_and_cleaned(monkeypatch, _own_cache, tmp_path):
    src = history("MSFT")
    fake = fake_download({"MSFT": src})
    monkeypatch.setattr(yf, "download", fake)
    frames, errors = fetch_prices(Request(("MSFT",), period="2y"))
    assert errors == {}
    call = fake.calls[0]
    assert call["tickers"] == "MSFT" and call["period"] == "2y"
    assert call["auto_adjust"] is True and call["progress"] is False and call["interval"] == "1d"
    got = frames["MSFT"]
    assert list(got.columns) == ["Open", "High", "Low", "Close", "Volume"]
    assert isinstance(got.index, pd.DatetimeIndex) and got.index.name == "Date"
    assert (got.dtypes == "float64").all()
    np.testing.assert_allclose(got["Close"].to_numpy(), src["Close"].to_numpy())
    # the cache went to a folder the app owns, before the fetch
    assert _own_cache == [str(tmp_path / "cache" / "yfinance")]


def test_stock_next_to_crypto_loses_the_weekend_rows_it_never_traded(monkeypatch):
    fake = fake_download({"MSFT": history("MSFT"), "BTC-USD": history("BTC-USD")})
    monkeypatch.setattr(yf, "download", fake)
    frames, errors = fetch_prices(Request(("MSFT", "BTC-USD"), start="2023-01-01"))
    assert errors == {} and fake.calls[0]["tickers"] == ["MSFT", "BTC-USD"]
    assert fake.calls[0]["start"] == "2023-01-01" and "period" not in fake.calls[0]
    assert (frames["MSFT"].index.day_of_week < 5).all()
    assert (frames["BTC-USD"].index.day_of_week >= 5).any()
    assert frames["MSFT"].notna().all().all() and len(frames["MSFT"]) == 400


def test_bad_ticker_among_good_ones_is_reported_and_the_good_ones_kept(monkeypatch):
    monkeypatch.setattr(yf, "download", fake_download({"MSFT": history("MSFT")}))
    frames, errors = fetch_prices(Request(("MSFT", "NOPE")))
    assert list(frames) == ["MSFT"]
    assert errors["NOPE"].kind == "all_nan"
    assert errors["NOPE"].ticker == "NOPE"
    assert str(errors["NOPE"]).startswith("Yahoo returned only empty prices for NOPE")


def test_unknown_ticker_empty_frame(monkeypatch):
    log = "YFPricesMissingError('possibly delisted; no price data found  (period=5y)')"
    monkeypatch.setattr(yf, "download", fake_download(log=log))
    frames, errors = fetch_prices(Request(("XXXX",)))
    assert frames == {}
    err = errors["XXXX"]
    assert err.kind == "empty"
    assert str(err).startswith("No data for XXXX: the symbol may be wrong or delisted")
    assert "possibly delisted" in err.detail and OFFLINE_HINT in str(err)
    assert "possibly delisted" not in str(err)  # one sentence; the raw text is the detail


def test_rate_limit_only_logged_is_recognised(monkeypatch):
    log = "YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')"
    monkeypatch.setattr(yf, "download", fake_download(log=log))
    _, errors = fetch_prices(Request(("AAPL",)))
    assert errors["AAPL"].kind == "rate_limit"


def test_rate_limit_raised(monkeypatch):
    monkeypatch.setattr(yf, "download", fake_download(raises=YFRateLimitError()))
    _, errors = fetch_prices(Request(("AAPL", "MSFT")))
    assert set(errors) == {"AAPL", "MSFT"}
    assert str(errors["AAPL"]) == (
        "Yahoo Finance is rate-limiting requests, so no data came for AAPL: "
        "wait a minute and try again, or use the bundled offline sample."
    )


def test_no_network_raised(monkeypatch):
    monkeypatch.setattr(yf, "download", fake_download(raises=OSError("Could not resolve host")))
    _, errors = fetch_prices(Request(("MSFT",)))
    assert errors["MSFT"].kind == "network"
    assert str(errors["MSFT"]) == (
        "Could not reach Yahoo Finance to download MSFT (no network connection): check the "
        "connection, or use the bundled offline sample."
    )
    assert errors["MSFT"].detail == "Could not resolve host"


def test_no_network_only_logged(monkeypatch):
    log = (
        "DNSError('Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com."
        " See https://curl.se/libcurl/c/libcurl-errors.html first for more details.')"
    )
    monkeypatch.setattr(yf, "download", fake_download(log=log))
    _, errors = fetch_prices(Request(("MSFT",)))
    assert errors["MSFT"].kind == "network"
    assert "curl" not in str(errors["MSFT"])  # the sentence says what failed, in words
    assert errors["MSFT"].detail.endswith(f"{log}")  # the raw text kept whole, not cut


def test_real_yfinance_without_network_fails_fast_and_clearly():
    """No fake: the real yf.download meets the test's blocked network and must not hang."""
    frames, errors = fetch_prices(Request(("MSFT",), period="1mo"))
    assert frames == {}
    assert isinstance(errors["MSFT"], StockDataError)
    assert "MSFT" in str(errors["MSFT"]) and OFFLINE_HINT in str(errors["MSFT"])


def test_partial_history_is_flagged():
    frame = history("MSFT", days=50, end="2024-06-28")
    assert "later than the requested" in stocks.gaps(frame, Request(("MSFT",), start="2020-01-01"))
    assert stocks.gaps(frame, Request(("MSFT",), start=str(frame.index[0].date()))) is None


def test_dataset_provenance():
    frame = stocks.clean_download(combine({"SPY": history("SPY")}), "SPY")
    ds = stocks.to_dataset(frame, "SPY", Request(("SPY",), start="2023-01-01", end="2024-01-01"))
    p = ds.provenance
    assert ds.name == "SPY (yfinance)"
    assert p["source"].startswith("yfinance") and p["ticker"] == "SPY"
    assert p["requested"] == "2023-01-01 to 2024-01-01" and p["offline"] is False
    assert p["adjusted"].startswith("auto_adjust=True") and p["downloaded"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("msft", ["MSFT"]), (" aapl, msft;BTC-USD  ^gspc", ["AAPL", "MSFT", "BTC-USD", "^GSPC"]),
     ("brk-b, BRK-B", ["BRK-B"])],
)  # fmt: skip
def test_parse_tickers(text, expected):
    assert parse_tickers(text) == expected


def test_parse_tickers_rejects_bad_input_with_exact_messages():
    with pytest.raises(ValueError, match=r"^enter at least one ticker symbol, e\.g\. MSFT$"):
        parse_tickers("  , ")
    with pytest.raises(ValueError) as e:
        parse_tickers("MSFT, <script>, AAPL")
    assert str(e.value) == (
        "not a ticker symbol: <SCRIPT>; use letters, digits and . - = ^ "
        "(e.g. MSFT, BRK-B, BTC-USD, ^GSPC)"
    )
    with pytest.raises(ValueError, match=r"^at most 5 tickers at once, got 6$"):
        parse_tickers("A B C D E F")


@pytest.mark.parametrize(
    "name",
    ["MSFT.csv", "MSFT_yf_multiindex_header.csv", "SPY_yf1x_flat_CHLOV.csv",
     "MSFT_leading_index_col.csv"],
)  # fmt: skip
def test_price_file_layouts_read_by_the_lab_reader(name):
    frame = read_series_csv(FIX / name)
    assert frame.index.name == "Date" and frame.index.is_monotonic_increasing
    assert {"Open", "High", "Low", "Close", "Volume"} <= set(frame.columns)
    assert np.isfinite(frame["Close"]).all() and len(frame) >= 699


def test_price_file_multiindex_values():
    frame = read_series_csv(FIX / "MSFT_yf_multiindex_header.csv")
    assert frame.index[0] == pd.Timestamp("2020-05-22")
    assert frame["Close"].iloc[0] == pytest.approx(183.50999450683594)


def test_trading_calendar():
    friday = pd.Timestamp("2024-06-28")
    assert list(stocks.trading_dates(friday, 3).strftime("%a %d")) == ["Mon 01", "Tue 02", "Wed 03"]
    assert list(stocks.trading_dates(friday, 2, "daily").strftime("%a")) == ["Sat", "Sun"]
    btc = read_series_csv(FIX / "BTC-USD.csv")
    assert stocks.infer_calendar(btc.index) == "daily"
    assert stocks.infer_calendar(read_series_csv(FIX / "SPY.csv").index) == "weekdays"
    with pytest.raises(ValueError, match=r"^calendar must be weekdays or daily, got 'hourly'$"):
        stocks.trading_dates(friday, 2, "hourly")
