"""The Stocks page in AppTest (yf.download faked), plus a real-browser screenshot."""

from __future__ import annotations

import json

import pytest
import yfinance as yf
from conftest import ARTIFACTS, errors_of, poll, run_page, screenshot, shown, wait_ready
from stock_fakes import fake_download, history

from core.data import stocks
from dashboard.common.state import STOCK_REPORT_KEY as REPORT_KEY
from dashboard.stocks.report import MASE_NOTE, metrics_display
from dashboard.stocks.ui import SELECTED_KEY

OFFLINE = "MSFT (offline sample)"


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTMLAB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(stocks, "_cache_set", None)  # the app points yfinance at tmp_path


def _download(at, text: str):
    at.text_input(key="stocks-tickers").set_value(text)
    return at.button(key="stocks-download-go").click().run()


def _titles(at) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def test_page_opens_on_the_labelled_offline_sample(app):
    at = run_page(app, "stocks.py")
    assert not errors_of(at)
    assert at.selectbox(key=SELECTED_KEY).value == OFFLINE
    assert _titles(at)[0] == f"{OFFLINE}: daily prices, last 750 rows"
    layout = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]
    assert layout["yaxis"]["title"]["text"] == "price (USD)"
    assert layout["yaxis2"]["title"]["text"] == "volume (shares)"
    assert any("bundled with the app, no download (offline)" in shown(c.value) for c in at.caption)


def test_download_of_two_tickers_adds_datasets_and_a_comparison(app, monkeypatch):
    fake = fake_download({"MSFT": history("MSFT"), "AAPL": history("AAPL")})
    monkeypatch.setattr(yf, "download", fake)
    at = _download(run_page(app, "stocks.py"), "msft, aapl")
    assert not errors_of(at)
    assert [c["tickers"] for c in fake.calls] == ["MSFT", "AAPL"]
    assert at.selectbox(key=SELECTED_KEY).value == "MSFT (yfinance)"
    assert {"MSFT (yfinance)", "AAPL (yfinance)", OFFLINE} <= set(at.session_state["datasets"])
    assert "Tickers compared (rebased to 100)" in _titles(at)
    line = next(shown(c.value) for c in at.caption if shown(c.value).startswith("Source:"))
    assert "yfinance (Yahoo Finance) · ticker MSFT" in line and "auto_adjust=True" in line
    # a second download of the same ticker comes from the cache, not from Yahoo
    _download(at, "MSFT")
    assert len(fake.calls) == 2


def test_failed_download_says_why_and_offers_the_offline_sample(app, monkeypatch):
    monkeypatch.setattr(yf, "download", fake_download({"SPY": history("SPY")}))
    at = _download(run_page(app, "stocks.py"), "SPY")
    assert at.selectbox(key=SELECTED_KEY).value == "SPY (yfinance)"
    monkeypatch.setattr(yf, "download", fake_download(raises=OSError("DNS failure")))
    at = _download(at, "NVDA")
    assert [shown(e.value) for e in at.error] == [
        "Could not reach Yahoo Finance to download NVDA (no network connection): check the "
        "connection, or use the bundled offline sample."
    ]
    assert [x.label for x in at.expander if x.label.startswith("Details")] == [
        "Details: what yfinance reported"
    ]
    assert at.code[0].value == "DNS failure"
    assert shown(at.info[0].value) == f"Showing the bundled offline data instead: {OFFLINE}."
    assert at.selectbox(key=SELECTED_KEY).value == OFFLINE
    assert "SPY (yfinance)" in at.session_state["datasets"]  # earlier work survives
    assert not at.exception


def test_empty_results_are_not_cached(app, monkeypatch):
    monkeypatch.setattr(yf, "download", fake_download())  # unknown: empty frame
    at = _download(run_page(app, "stocks.py"), "AAPL")
    assert shown(at.error[0].value).startswith("No data for AAPL: the symbol may be wrong")
    monkeypatch.setattr(yf, "download", fake_download({"AAPL": history("AAPL")}))
    at = _download(at, "AAPL")
    assert not at.error and at.selectbox(key=SELECTED_KEY).value == "AAPL (yfinance)"


def test_bad_ticker_text_is_rejected_with_a_clear_message(app):
    at = _download(run_page(app, "stocks.py"), "MSFT; <b>x</b>")
    assert shown(at.error[0].value).startswith("not a ticker symbol: <B>X</B>")
    assert not at.exception


def test_backtest_runs_in_the_background_and_reports_honestly(app):
    at = run_page(app, "stocks.py")
    at.slider(key="stocks-origins").set_value(5)
    at.slider(key="stocks-epochs").set_value(2)
    at.slider(key="stocks-horizon").set_value(3)
    at.button(key="stocks-run").click().run()
    assert not errors_of(at)
    at = poll(at, lambda a: REPORT_KEY in a.session_state, timeout=300)
    at.run()
    report = at.session_state[REPORT_KEY]
    assert report.dataset_name == OFFLINE and report.config.horizon == 3
    verdict = report.backtest.summary["verdict"]["text"]
    said = [
        shown(m.value)
        for kind in ("success", "info", "warning", "error")
        for m in getattr(at, kind)
    ]
    assert verdict in said
    titles = _titles(at)
    assert f"Forecasts from each origin · {OFFLINE}" in titles
    assert f"One-step vs free-running · {OFFLINE}" in titles
    assert f"Forecast of the next 3 trading days · {OFFLINE}" in titles
    labels = {m.label for m in at.metric}
    assert {"Model / naive", "DM p (model better)", "80% interval covered"} <= labels
    assert "Direction right (always up)" in labels
    table = at.dataframe[0].value  # the metrics, as shown
    assert table.loc["naive (last value)", "direction right"] == "n/a"
    assert "None" not in table.to_numpy().ravel().tolist()
    for col in ("MAE", "RMSE", "MAPE %", "sMAPE %", "MASE"):
        places = {v.split(".")[1].__len__() for v in table[col] if v != "n/a"}
        assert len(places) == 1, (col, table[col].tolist())
    assert MASE_NOTE in [shown(c.value) for c in at.caption]
    # the statistical baselines, refitted on the backtest's own origins, beside the network
    extra = report.backtest.summary["baselines"]
    assert extra["season_length"] == 5 and not extra["failures"]
    for name in ("seasonal naive", "AutoETS", "AutoARIMA", "AutoTheta"):
        assert table.loc[name, "MAE"] != "n/a"
    assert any("Best on these backtest days" in shown(m.value) for m in at.markdown)
    assert not errors_of(at)


def test_metrics_table_formats_each_column_once():
    row = {"rmse": 4.0, "mape": 1.0, "smape": 1.0, "mase": 1.0, "directional_accuracy": 0.5}
    summary = {
        "model": {**row, "mae": 3.5008, "mase": 5.888},
        "naive": {**row, "mae": 3.59, "mase": 5.9, "directional_accuracy": None},
        "drift": {**row, "mae": 5.888, "mase": 0.97},
        "moving_average": {**row, "mae": float("nan"), "mase": 12.25},
    }
    table = metrics_display(summary)
    assert table["MAE"].tolist() == ["3.50", "3.59", "5.89", "n/a"]
    assert table["MASE"].tolist() == ["5.888", "5.900", "0.970", "12.250"]
    assert table["direction right"].tolist() == ["50%", "n/a", "50%", "50%"]


@pytest.mark.browser
def test_stocks_page_in_a_real_browser(page, server_url):
    page.goto(f"{server_url}/stocks")
    wait_ready(page)
    page.get_by_text("Data for the forecast").wait_for()
    page.locator("[data-testid='stPlotlyChart']").first.wait_for()
    for label in ("Backtest origins", "Epochs per fit"):  # the smallest backtest: fast
        slider = page.locator("[data-testid='stSlider']").filter(has_text=label)
        slider.get_by_role("slider").press("Home")
    page.get_by_role("button", name="Run the walk-forward backtest").click()
    page.get_by_role("button", name="Backtest table (CSV)").wait_for(timeout=300_000)
    wait_ready(page)
    page.add_style_tag(content="header { display: none !important; }")  # no overlay on shots
    charts = page.locator("[data-testid='stPlotlyChart']")
    assert charts.count() == 4  # candles, backtest, one-step vs free-running, forecast
    for i, name in enumerate(["candles", "backtest", "one-step", "forecast"]):
        charts.nth(i).locator(".main-svg").first.wait_for()
        charts.nth(i).screenshot(path=str(ARTIFACTS / f"stocks-{name}.png"))
    assert page.get_by_text("Model / naive").count() == 1
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    screenshot(page, "stocks-page")


def test_stop_ends_the_backtest_and_keeps_the_page_alive(app):
    at = run_page(app, "stocks.py")
    at.button(key="stocks-run").click().run()
    at.button(key="stocks-stop").click().run()
    at = poll(at, lambda a: REPORT_KEY in a.session_state, timeout=300)
    at.run()
    report = at.session_state[REPORT_KEY]
    assert report.stopped and report.future is None
    assert any(w.value.startswith("Stopped before the end") for w in at.warning)
    assert not at.exception
