"""Contract: the real yfinance 1.7 code, fed by a fake transport, builds what our fakes build.

A curl_cffi ``Session`` subclass answers Yahoo's endpoints offline (chart JSON for
``/v8/finance/chart/<SYM>``, a crumb, empty cookie pages), so ``yf.download`` runs its own
parsing, and failures (HTTP 429, an unknown symbol) take its own logging paths.
"""

from __future__ import annotations

import functools
import json

import numpy as np
import pandas as pd
import pytest
import yfinance as yf
from curl_cffi import requests as creq
from stock_fakes import INDEX_DTYPE, combine, history
from yfinance.data import YfData

from core.data import stocks
from core.data.stocks import Request, fetch_prices


class FakeResponse:
    def __init__(self, status: int, body: str, url: str):
        self.status_code, self.text, self.url, self.content = status, body, url, body.encode()
        self.headers, self.cookies, self.reason, self.ok = {}, {}, "", status < 400

    def json(self):
        return json.loads(self.text)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise creq.exceptions.HTTPError(str(self.status_code))


def chart_json(sym: str, frame: pd.DataFrame) -> dict:
    """Yahoo's chart payload for daily bars at 09:30 New York time (13:30 UTC in summer)."""
    ts = [int((d + pd.Timedelta(hours=13, minutes=30)).timestamp()) for d in frame.index]
    quote = {c.lower(): frame[c].tolist() for c in ("Open", "High", "Low", "Close", "Volume")}
    meta = {
        "currency": "USD", "symbol": sym, "exchangeName": "NMS", "instrumentType": "EQUITY",
        "firstTradeDate": 511108200, "regularMarketTime": ts[-1], "gmtoffset": -14400,
        "timezone": "EDT", "exchangeTimezoneName": "America/New_York",
        "regularMarketPrice": quote["close"][-1], "priceHint": 2, "dataGranularity": "1d",
        "range": "", "validRanges": ["1d", "5d", "1mo", "1y", "5y", "max"],
    }  # fmt: skip
    adj = {"adjclose": quote["close"]}
    result = {"meta": meta, "timestamp": ts, "indicators": {"quote": [quote], "adjclose": [adj]}}
    return {"chart": {"result": [result], "error": None}}


NOT_FOUND = {"chart": {"result": None, "error": {"code": "Not Found", "description": "No data"}}}


class FakeYahoo(creq.Session):
    """Serves known symbols; ``status`` forces every chart answer (e.g. 429)."""

    def __init__(self, frames: dict[str, pd.DataFrame], status: int = 200):
        super().__init__()
        self.frames, self.status, self.urls = frames, status, []

    def request(self, method, url, *args, **kwargs):
        self.urls.append(url)
        if "/v8/finance/chart/" not in url:
            return FakeResponse(200, "crumb" if "getcrumb" in url else "", url)
        if self.status != 200:
            return FakeResponse(self.status, "Too Many Requests", url)
        sym = url.split("/v8/finance/chart/")[1].split("?")[0]
        if sym not in self.frames:
            return FakeResponse(404, json.dumps(NOT_FOUND), url)
        return FakeResponse(200, json.dumps(chart_json(sym, self.frames[sym])), url)

    def get(self, url, *args, **kwargs):
        return self.request("GET", url, *args, **kwargs)

    def post(self, url, *args, **kwargs):
        return self.request("POST", url, *args, **kwargs)


@pytest.fixture(autouse=True)
def _isolated_yfinance(monkeypatch, tmp_path):
    """Keep yfinance's process-wide session, crumb and cache state as they were."""
    data = YfData()
    for attr in ("_session", "_crumb", "_cookie"):
        monkeypatch.setattr(data, attr, getattr(data, attr))
    monkeypatch.setenv("LSTMLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(stocks, "_cache_set", None)
    stocks.configure_cache()  # yfinance's SQLite caches go to this test's folder


def _via(monkeypatch, session: FakeYahoo) -> None:
    real = yf.download.func if isinstance(yf.download, functools.partial) else yf.download
    monkeypatch.setattr(yf, "download", functools.partial(real, session=session))


def test_real_yfinance_builds_the_layout_our_fakes_build(monkeypatch):
    src = history("MSFT", days=30)
    session = FakeYahoo({"MSFT": src})
    real = yf.download("MSFT", period="1mo", auto_adjust=True, progress=False, session=session)
    fake = combine({"MSFT": src})
    assert any("/v8/finance/chart/MSFT" in u for u in session.urls)
    assert list(real.columns) == list(fake.columns)
    assert list(real.columns.names) == list(fake.columns.names) == ["Price", "Ticker"]
    assert real.index.name == fake.index.name == "Date"
    assert str(real.index.dtype) == str(fake.index.dtype) == INDEX_DTYPE
    assert list(real.dtypes) == list(fake.dtypes)
    np.testing.assert_allclose(real[("Close", "MSFT")], src["Close"])


def test_real_yfinance_output_is_cleaned_by_fetch_prices(monkeypatch):
    src = history("AAPL", days=40)
    _via(monkeypatch, FakeYahoo({"AAPL": src}))
    frames, errors = fetch_prices(Request(("AAPL", "NOPE"), period="1y"))
    assert list(frames) == ["AAPL"] and set(errors) == {"NOPE"}
    np.testing.assert_allclose(frames["AAPL"]["Close"], src["Close"])
    assert errors["NOPE"].kind in ("empty", "all_nan") and "NOPE" in str(errors["NOPE"])


def test_real_yfinance_rate_limit_is_recognised_from_its_log(monkeypatch):
    _via(monkeypatch, FakeYahoo({}, status=429))
    frames, errors = fetch_prices(Request(("MSFT",), period="1y"))
    assert frames == {}
    assert errors["MSFT"].kind == "rate_limit"
    assert str(errors["MSFT"]).startswith("Yahoo Finance is rate-limiting requests")
