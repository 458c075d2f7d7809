"""CSV upload parsing (issue 6): real files, an awkward-but-valid corpus, a malformed corpus,
property-based fuzzing, and the fill/resample/download helpers."""

from __future__ import annotations

import codecs
import gzip
import io
import json
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data import (
    DataError,
    ParseReport,
    fill_missing,
    read_series_csv,
    read_series_csv_with_report,
    resample,
    to_csv_bytes,
)

DATA = Path(__file__).resolve().parents[1] / "fixtures" / "data"
OHLCV = ["Open", "High", "Low", "Close", "Adj Close", "Volume"]


def parse(content: str | bytes, **kwargs) -> tuple[pd.DataFrame, ParseReport]:
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return read_series_csv_with_report(raw, **kwargs)


def dates(*values: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(list(values)))


def assert_valid(df: pd.DataFrame, min_rows: int = 2) -> None:
    """The output contract: sorted unique index, float64 columns only, enough rows."""
    assert len(df) >= min_rows
    assert len(df.columns) >= 1
    assert all(dtype == np.float64 for dtype in df.dtypes)
    if isinstance(df.index, pd.DatetimeIndex):
        assert df.index.tz is None
        assert df.index.is_monotonic_increasing and df.index.is_unique
    else:
        assert isinstance(df.index, pd.RangeIndex) and df.index.name == "row"
    assert isinstance(df.attrs["report"], ParseReport)
    json.dumps(df.attrs["report"].to_dict())


# --------------------------------------------------------------------------- real files


REAL = [
    ("yahoo/MSFT.csv", 8761, "1986-03-13", "2020-12-11", OHLCV, "B"),
    ("yahoo/AAPL.csv", 1258, "2019-07-01", "2024-06-28", OHLCV, "B"),
    ("yahoo/SPY.csv", 1259, "2019-06-26", "2024-06-26", OHLCV, "B"),
    ("yahoo/BTC-USD.csv", 3504, "2014-09-17", "2024-04-20", OHLCV, "D"),
    ("univariate/airline-passengers.csv", 144, "1949-01-01", "1960-12-01", ["Passengers"], "MS"),
    ("univariate/monthly-sunspots.csv", 2820, "1749-01-01", "1983-12-01", ["Sunspots"], "MS"),
    (
        "formats/SPY_yf1x_flat_CHLOV.csv",
        3977,
        "2010-01-04",
        "2025-10-23",
        ["Close", "High", "Low", "Open", "Volume"],
        "B",
    ),
    (
        "formats/MSFT_yf_multiindex_header_autoadjust_false.csv",
        3314,
        "2010-01-04",
        "2023-03-03",
        ["Adj Close", "Close", "High", "Low", "Open", "Volume"],
        "B",
    ),
    ("formats/MSFT_leading_index_col.csv", 1383, "2015-01-02", "2020-06-30", OHLCV, "B"),
]


@pytest.mark.parametrize(("name", "rows", "first", "last", "columns", "freq"), REAL)
def test_real_files(name, rows, first, last, columns, freq):
    df, report = read_series_csv_with_report(DATA / name)
    assert_valid(df)
    assert len(df) == rows and report.rows_read == rows and report.rows_kept == rows
    assert df.index[0] == pd.Timestamp(first) and df.index[-1] == pd.Timestamp(last)
    assert list(df.columns) == columns
    assert df.index.name == report.date_column
    assert report.frequency == freq
    assert report.dropped_count == 0 and report.junk == {} and report.duplicates_removed == 0


def test_real_values_match_a_plain_pandas_read():
    df = read_series_csv(DATA / "yahoo/MSFT.csv")
    plain = pd.read_csv(DATA / "yahoo/MSFT.csv", index_col="Date", parse_dates=True)
    np.testing.assert_array_equal(df.to_numpy(), plain.to_numpy(dtype="float64"))
    assert df.loc["2020-12-11", "Close"] == 213.259995


def test_yfinance_three_line_header_is_folded_and_reported():
    df, report = read_series_csv_with_report(
        DATA / "formats/MSFT_yf_multiindex_header_autoadjust_false.csv"
    )
    assert df.index.name == "Date" and report.header_lines == 3
    assert df.loc["2010-01-04", "Volume"] == 38409100.0
    assert any("yfinance" in n and "MSFT" in n for n in report.notes)


def test_leading_index_column_is_dropped_and_noted():
    df, report = read_series_csv_with_report(DATA / "formats/MSFT_leading_index_col.csv")
    assert "column 1" not in df.columns and df.index.name == "Date"
    assert any("index column" in n for n in report.notes)


def test_airline_file_is_crlf_quoted_year_month():
    raw = (DATA / "univariate/airline-passengers.csv").read_bytes()
    assert b"\r\n" in raw  # the fixture really is CRLF
    df, report = read_series_csv_with_report(raw)
    assert df["Passengers"].iloc[:3].tolist() == [112.0, 118.0, 132.0]
    assert report.date_format == "YYYY-MM" and report.gaps == 0


def test_sources_path_str_bytes_and_streams_agree():
    path = DATA / "univariate/airline-passengers.csv"
    raw = path.read_bytes()

    class Uploaded(io.BytesIO):  # like Streamlit's UploadedFile
        name = "airline.csv"
        size = len(raw)

    used = Uploaded(raw)
    used.read()  # a previous rerun consumed it: the parser reads from the start
    frames = [
        read_series_csv(path),
        read_series_csv(str(path)),
        read_series_csv(raw),
        read_series_csv(bytearray(raw)),
        read_series_csv(used),
        read_series_csv(io.StringIO(raw.decode("utf-8"))),
    ]
    for df in frames[1:]:
        pd.testing.assert_frame_equal(df, frames[0])
    assert frames[4].attrs["report"].source == "airline.csv"


# --------------------------------------------------------------------------- awkward but valid


def test_semicolon_decimal_comma_thousands_dot_day_first_dots():
    text = "Datum;Schluss;Volumen\n02.01.2024;1.234,56;1.000\n03.01.2024;1.240,10;2.500\n"
    text += "04.01.2024;1250,5;3.000\n"
    df, report = parse(text)
    assert report.separator == ";" and report.decimal == "," and report.thousands == "."
    assert list(df.index) == list(dates("2024-01-02", "2024-01-03", "2024-01-04"))
    assert df["Schluss"].tolist() == [1234.56, 1240.10, 1250.5]
    assert df["Volumen"].tolist() == [1000.0, 2500.0, 3000.0]
    assert "day first" in report.date_note


@pytest.mark.parametrize(("sep", "name"), [("\t", "tab"), ("|", "pipe"), (",", "comma")])
def test_other_separators(sep, name):
    text = sep.join(["Date", "A", "B"]) + "\n"
    text += "".join(sep.join([f"2024-01-0{i}", str(i), f"{i}.5"]) + "\n" for i in range(1, 5))
    df, report = parse(text)
    assert report.separator == sep and name in report.summary_lines()[0]
    assert df["A"].tolist() == [1.0, 2.0, 3.0, 4.0] and df["B"].tolist() == [1.5, 2.5, 3.5, 4.5]


SMALL = "Date,Close\n2024-01-01,1.5\n2024-01-02,2.5\n2024-01-03,3.5\n"


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        (SMALL.encode("utf-8"), "UTF-8"),
        (codecs.BOM_UTF8 + SMALL.encode("utf-8"), "UTF-8 with BOM"),
        (codecs.BOM_UTF16_LE + SMALL.encode("utf-16-le"), "UTF-16 LE (BOM)"),
        (codecs.BOM_UTF16_BE + SMALL.encode("utf-16-be"), "UTF-16 BE (BOM)"),
        (SMALL.encode("utf-16-le"), "UTF-16 LE (no BOM)"),
        (SMALL.replace("\n", "\r\n").encode("utf-8"), "UTF-8"),
    ],
)
def test_encodings_boms_and_crlf(raw, encoding):
    df, report = parse(raw)
    assert report.encoding == encoding
    assert df.index.name == "Date" and list(df.columns) == ["Close"]
    assert df["Close"].tolist() == [1.5, 2.5, 3.5]


def test_latin1_and_cp1252_headers():
    text = "Date,Prix élevé,Coût €\n2024-01-01,1,2\n2024-01-02,3,4\n"
    df, report = parse(text.encode("cp1252"))
    assert list(df.columns) == ["Prix élevé", "Coût €"] and report.encoding.startswith("cp1252")
    df, report = parse(text.replace(" €", "").encode("latin-1"))
    assert list(df.columns) == ["Prix élevé", "Coût"]
    assert df["Coût"].tolist() == [2.0, 4.0]


def test_investing_com_style_export():
    text = (
        '"Date","Price","Open","High","Low","Vol.","Change %"\n'
        '"Jan 08, 2024","4,763.54","4,703.70","4,764.54","4,699.82","2.87B","1.41%"\n'
        '"Jan 05, 2024","4,697.24","4,690.57","4,721.49","4,682.11","65.59K","0.18%"\n'
        '"Jan 04, 2024","4,688.68","4,697.42","4,726.78","4,687.53","1.2M","-0.34%"\n'
    )
    df, report = parse(text)
    assert list(df.index) == list(dates("2024-01-04", "2024-01-05", "2024-01-08"))
    assert df["Price"].tolist() == [4688.68, 4697.24, 4763.54]
    assert df["Vol."].tolist() == [1.2e6, 65590.0, 2.87e9]
    assert df["Change %"].tolist() == [-0.34, 0.18, 1.41]  # percent kept as written
    assert report.newest_first and "newest first" in report.sorted_note
    assert "%" in report.units["Change %"] and "K/M/B" in report.units["Vol."]
    assert report.thousands == "," and report.date_format == "%b %d, %Y"


def test_currency_parentheses_and_unicode_minus():
    text = "Date,Amount\n2024-01-01,$12.50\n2024-01-02,($3.25)\n2024-01-03,\u22124\n"
    text += "2024-01-04,€1 234.5\n"
    df, report = parse(text)
    assert df["Amount"].tolist() == [12.5, -3.25, -4.0, 1234.5]
    assert "$" in report.units["Amount"] and report.junk == {}


def test_newest_first_duplicates_keep_last_in_file():
    text = "Date,V\n2024-01-03,3\n2024-01-02,2\n2024-01-02,22\n2024-01-01,1\n"
    df, report = parse(text)
    assert list(df.index) == list(dates("2024-01-01", "2024-01-02", "2024-01-03"))
    assert df["V"].tolist() == [1.0, 22.0, 3.0]
    assert report.duplicates_removed == 1 and report.newest_first


def test_unsorted_rows_are_sorted_and_noted():
    df, report = parse("Date,V\n2024-01-02,2\n2024-01-03,3\n2024-01-01,1\n")
    assert df["V"].tolist() == [1.0, 2.0, 3.0]
    assert not report.newest_first and "sorted by date" in report.sorted_note


def test_trailing_partial_row_is_dropped_and_reported():
    text = "Date,Open,Close\n2024-01-01,1,2\n2024-01-02,3,4\n2024-01-03,5"
    df, report = parse(text)
    assert len(df) == 2 and report.rows_read == 3
    assert report.dropped_rows == [{"row": 4, "reason": "incomplete last row (2 of 3 fields)"}]


def test_junk_values_become_nan_and_are_reported_with_rows():
    text = "Date,A,B\n"
    text += "2024-01-01,1,10\n2024-01-02,n/a,11\n2024-01-03,3,-\n2024-01-04,null,#N/A\n"
    text += "2024-01-05,5,abc\n2024-01-06,6,15\n2024-01-07,,16\n"
    df, report = parse(text)
    assert len(df) == 7  # nothing silently dropped
    assert df["A"].isna().tolist() == [False, True, False, True, False, False, True]
    assert df["B"].iloc[[0, 5, 6]].tolist() == [10.0, 15.0, 16.0]
    assert report.junk["A"] == {"count": 2, "examples": ["n/a", "null"], "rows": [3, 5]}
    assert report.junk["B"] == {"count": 3, "examples": ["-", "#N/A", "abc"], "rows": [4, 5, 6]}
    assert report.missing == {"A": 3, "B": 3}  # the empty cell is missing, not junk
    assert any("'A'" in line and "n/a" in line for line in report.summary_lines())


def test_text_column_is_excluded_and_reported():
    text = "Date,Ticker,Close\n2024-01-01,MSFT,1\n2024-01-02,MSFT,2\n2024-01-03,MSFT,3\n"
    df, report = parse(text)
    assert list(df.columns) == ["Close"]
    assert "mostly text" in report.excluded_columns["Ticker"]
    assert "MSFT" in report.excluded_columns["Ticker"]


@pytest.mark.parametrize(
    ("values", "expected", "note"),
    [
        (["13/01/2024", "14/01/2024"], ["2024-01-13", "2024-01-14"], "day first"),
        (["01/13/2024", "01/14/2024"], ["2024-01-13", "2024-01-14"], "month first"),
        (["01/02/2024", "03/04/2024"], ["2024-01-02", "2024-03-04"], "Ambiguous"),
        (["05-02-24", "06-02-24"], ["2024-05-02", "2024-06-02"], "Ambiguous"),
    ],
)
def test_numeric_day_month_order(values, expected, note):
    text = "Date,V\n" + "".join(f"{v},{i}\n" for i, v in enumerate(values))
    df, report = parse(text)
    assert list(df.index) == list(dates(*expected))
    assert note in report.date_note


def test_ambiguity_decided_later_in_the_file_and_override():
    rows = [f"{d:02d}/01/2024,{d}" for d in range(1, 20)]  # 13/01 only after 12 rows
    df, _ = parse("Date,V\n" + "\n".join(rows))
    assert df.index[0] == pd.Timestamp("2024-01-01") and df.index[-1] == pd.Timestamp("2024-01-19")
    df, report = parse("Date,V\n01/02/2024,1\n03/04/2024,2\n", dayfirst=True)
    assert list(df.index) == list(dates("2024-02-01", "2024-04-03"))
    assert "as asked" in report.date_note


def test_ambiguous_sample_resolved_by_the_whole_column():
    # Minute bars: the 64 KiB sample only sees 01/01 and 02/01, which fit both orders.
    stamps = pd.date_range("2024-01-01", "2024-01-13 00:59", freq="min")
    text = "Time,V\n" + "".join(f"{t:%d/%m/%Y %H:%M},1\n" for t in stamps)
    df, report = parse(text)
    assert len(df) == len(stamps) and df.index[-1] == stamps[-1]
    assert report.date_format == "%d/%m/%Y" and "other order" in report.date_note
    assert report.frequency == "min" and report.gaps == 0


def test_iso_with_times_and_mixed_utc_offsets():
    text = (
        "timestamp,v\n2024-03-01T10:00:00+02:00,1\n2024-03-01T10:00:00+05:00,2\n"
        "2024-03-01 09:30:00Z,3\n"
    )
    df, report = parse(text)
    assert df.index.tz is None
    assert list(df.index) == list(dates("2024-03-01 05:00", "2024-03-01 08:00", "2024-03-01 09:30"))
    assert df["v"].tolist() == [2.0, 1.0, 3.0]
    assert any("UTC" in n for n in report.notes)


def test_intraday_frequency_and_gaps():
    index = pd.date_range("2024-01-01 09:00", periods=10, freq="15min").delete([4, 5])
    text = "Time,P\n" + "".join(f"{t},{i}\n" for i, t in enumerate(index))
    _, report = parse(text)
    assert report.frequency == "15min" and report.gaps == 1 and report.largest_gap == "45 minutes"


def test_yfinance_two_line_header_variant():
    text = "Price,Close,Volume\nTicker,AAPL,AAPL\n2024-01-02,185.5,100\n2024-01-03,184.25,200\n"
    df, report = parse(text)
    assert df.index.name == "Date" and list(df.columns) == ["Close", "Volume"]
    assert df["Close"].tolist() == [185.5, 184.25] and report.header_lines == 2


def test_preamble_blank_lines_and_bad_lines_keep_true_row_numbers():
    text = "Exported 2024-02-01\nDate,A,B\n2024-01-01,1,2\n\n2024-01-02,3,4,5\n2024-01-03,x,6\n"
    text += "2024-01-04,7,8\n"
    df, report = parse(text)
    assert df["A"].tolist()[0] == 1.0 and len(df) == 3
    assert report.dropped_rows == [{"row": 5, "reason": "4 fields, expected 3"}]
    assert report.junk["A"]["rows"] == [6] and report.blank_lines == 1
    assert any("before the header" in n for n in report.notes)


def test_unparseable_dates_are_dropped_with_row_numbers():
    text = "Date,V\n2024-01-01,1\n2024-01-02,2\nTotal,3\n2024-01-04,4\n"
    df, report = parse(text)
    assert len(df) == 3
    assert report.dropped_rows == [
        {"row": 4, "reason": "date 'Total' not understood as ISO 8601 (YYYY-MM-DD)"}
    ]


def test_padded_cells_and_dates_are_trimmed():
    df, report = parse('Date , V\n 2024-01-01 , 1 \n2024-01-02  ,  2\n"2024-01-03 ",3\n')
    assert list(df.index) == list(dates("2024-01-01", "2024-01-02", "2024-01-03"))
    assert df.index.name == "Date" and df["V"].tolist() == [1.0, 2.0, 3.0]
    assert report.dropped_count == 0 and report.junk == {}


def test_headerless_file_gets_named_columns():
    df, report = parse("2024-01-01,1.5,7\n2024-01-02,2.5,8\n")
    assert list(df.columns) == ["column 2", "column 3"] and df.index.name == "Date"
    assert df["column 2"].tolist() == [1.5, 2.5] and report.header_lines == 0


def test_integer_index_mode():
    text = "value,other\n3.5,1\n4.5,2\n5.5,3\n"
    df, report = parse(text, integer_index_ok=True)
    assert isinstance(df.index, pd.RangeIndex) and df.index.name == "row"
    assert df["value"].tolist() == [3.5, 4.5, 5.5] and report.index_kind == "row"
    assert any("numbered" in line for line in report.summary_lines())


def test_named_and_numeric_date_shapes():
    cases = {
        "05-Jan-2024,1\n06-Jan-2024,2\n": "2024-01-05",
        "2024/01/05,1\n2024/01/06,2\n": "2024-01-05",
        "20240105,1\n20240106,2\n": "2024-01-05",
        "1704412800,1\n1704499200,2\n": "2024-01-05",
        "2024-01-05 13:45,1\n2024-01-06 13:45,2\n": "2024-01-05 13:45",
    }
    for body, first in cases.items():
        df = read_series_csv(("Date,V\n" + body).encode())
        assert df.index[0] == pd.Timestamp(first), body
        assert df["V"].tolist() == [1.0, 2.0]


def test_explicit_date_column_and_boolean_column():
    text = "id,when,flag,v\n7,2024-01-02,True,1\n8,2024-01-01,False,2\n"
    df, report = parse(text, date_column="When")
    assert df.index.name == "when" and df["flag"].tolist() == [0.0, 1.0]
    assert df["id"].tolist() == [8.0, 7.0] and "1/0" in report.units["flag"]


def test_report_is_json_and_summary_is_sentences():
    text = "Date,A\n2024-01-03,3\n2024-01-02,x\n2024-01-01,1\n2024-01-01,1\n"
    _, report = parse(text)
    back = json.loads(json.dumps(report.to_dict()))
    assert back["duplicates_removed"] == 1 and back["junk"]["A"]["rows"] == [3]
    lines = report.summary_lines()
    assert all(isinstance(s, str) and s.endswith(".") for s in lines) and len(lines) >= 4


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", ["empty"]),
        (b"  \n\t\r\n   ", ["whitespace"]),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), ["PNG", "not a CSV"]),
        (b"PK\x03\x04" + b"\x00" * 50, ["ZIP", "xlsx", "CSV"]),
        (gzip.compress(SMALL.encode()), ["gzip", "decompress"]),
        (b"Date,V\n2024-01-01,1\x00\x00\x01\x02\n", ["NUL", "binary"]),
        (bytes(range(1, 32)) * 40, ["binary"]),
        (b"name,value\na,1\nb,2\nc,3\n", ["No date", "number them 0, 1, 2"]),
        (b"Date,Name\n2024-01-01,x\n2024-01-02,y\n", ["No numeric column", "Name"]),
        (b"Date,V\n", ["no data rows"]),
        (b'Date,V\n2024-01-01,"1\n2024-01-02,2\n', ["unclosed quote"]),
    ],
)
def test_refusals_say_what_is_wrong(raw, words):
    with pytest.raises(DataError) as err:
        read_series_csv(raw)
    for word in words:
        assert word in str(err.value)


def test_too_few_rows_message_names_the_need():
    with pytest.raises(
        DataError, match=r"has 3 usable rows; at least 36 are needed for one window"
    ):
        read_series_csv(SMALL.encode(), min_rows=36, need_reason="one window of lookback 30 + 5")


def test_limits_rows_columns_bytes():
    big = "Date,V\n" + "".join(f"2024-01-{d:02d},{d}\n" for d in range(1, 29))
    with pytest.raises(DataError, match="more than 10 data rows"):
        read_series_csv(big.encode(), max_rows=10)
    wide = "Date," + ",".join(f"c{i}" for i in range(30)) + "\n2024-01-01" + ",1" * 30 + "\n"
    with pytest.raises(DataError, match="31 columns; the limit is 20"):
        read_series_csv(wide.encode(), max_columns=20)
    with pytest.raises(DataError, match="limit is"):
        read_series_csv(big.encode(), max_bytes=100)


def test_size_is_checked_before_reading():
    class Huge(io.RawIOBase):
        size = 10 * 2**30
        name = "huge.csv"

        def read(self, n=-1):  # pragma: no cover - must not be called
            raise AssertionError("read before the size check")

    with pytest.raises(DataError, match=r"huge\.csv is 10240\.0 MB"):
        read_series_csv(Huge())


def test_bad_arguments_and_sources():
    with pytest.raises(DataError, match="min_rows"):
        read_series_csv(SMALL.encode(), min_rows=0)
    with pytest.raises(DataError, match="File not found"):
        read_series_csv("/no/such/file.csv")
    with pytest.raises(DataError, match="Cannot read a int"):
        read_series_csv(42)
    with pytest.raises(DataError, match="No column named 'Nope'"):
        read_series_csv(SMALL.encode(), date_column="Nope")


# --------------------------------------------------------------------------- property-based


def valid_or_refused(raw: bytes, **kwargs) -> None:
    try:
        df = read_series_csv(raw, **kwargs)
    except DataError as err:
        assert str(err)
        # Only the catch-all wrapper chains the original exception: none expected here.
        assert err.__cause__ is None, f"unexpected internal error: {err}"
        return
    assert_valid(df, kwargs.get("min_rows", 2))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash(raw):
    valid_or_refused(raw)
    valid_or_refused(raw, integer_index_ok=True)


CELLS = st.one_of(
    st.sampled_from(["", " ", "n/a", "-", "null", "#N/A", "abc", "inf", '"', '""', "1,5"]),
    st.sampled_from(["2024-01-05", "05/01/2024", "13/02/2024", "Jan 05, 2024", "1949-01"]),
    st.sampled_from(["65.59K", "3.4%", "$12.50", "(1.5)", "1.234,56", "1,234.56", "1e400"]),
    st.dates().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.text(string.printable, max_size=8),
)


@st.composite
def csvish(draw) -> bytes:
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    width = draw(st.integers(1, 5))
    n = draw(st.integers(0, 12))
    header = [draw(st.sampled_from(["Date", "time", "", "V", "x y", '"q"'])) for _ in range(width)]
    rows = [header] + [
        [draw(CELLS) for _ in range(draw(st.integers(1, width + 1)))] for _ in range(n)
    ]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(sep.join(r) for r in rows) + draw(st.sampled_from(["", newline]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return text.encode(encoding, errors="replace")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csvish(), st.booleans(), st.integers(1, 5))
def test_random_csvish_text_gives_a_valid_frame_or_data_error(raw, integer_ok, min_rows):
    valid_or_refused(raw, integer_index_ok=integer_ok, min_rows=min_rows)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.floats(min_value=-1e12, max_value=1e12, allow_nan=False) | st.none(),
        min_size=2,
        max_size=30,
    )
)
def test_round_trip_property(values):
    index = pd.date_range("2020-01-01", periods=len(values), freq="D", name="Date")
    df = pd.DataFrame({"v": [np.nan if v is None else v for v in values]}, index=index)
    if df["v"].isna().all():
        return
    back = read_series_csv(to_csv_bytes(df))
    pd.testing.assert_frame_equal(back, df, check_freq=False, check_index_type=False)


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def gappy() -> pd.DataFrame:
    index = pd.DatetimeIndex(
        pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05", "2024-01-06"]),
        name="Date",
    )
    return pd.DataFrame({"a": [np.nan, 1.0, np.nan, 4.0, np.nan]}, index=index)


def test_fill_missing_methods(gappy):
    assert fill_missing(gappy, "ffill")["a"].tolist() == [1.0, 1.0, 1.0, 4.0, 4.0]
    assert fill_missing(gappy, "interpolate")["a"].tolist() == [1.0, 1.0, 3.0, 4.0, 4.0]
    assert fill_missing(gappy, "drop")["a"].tolist() == [1.0, 4.0]
    kept = fill_missing(gappy, "none")
    assert kept["a"].isna().sum() == 3 and kept is not gappy
    rows = gappy.reset_index(drop=True).rename_axis("row")
    assert fill_missing(rows, "interpolate")["a"].tolist() == [1.0, 1.0, 2.5, 4.0, 4.0]
    with pytest.raises(DataError, match="fill method must be one of"):
        fill_missing(gappy, "mean")
    with pytest.raises(DataError, match="DataFrame"):
        fill_missing([1, 2], "ffill")


def test_resample_last_and_mean():
    index = pd.date_range("2024-01-01", periods=14, freq="D", name="Date")  # Monday start
    df = pd.DataFrame({"v": np.arange(14, dtype=float)}, index=index)
    weekly = resample(df, "W")
    assert weekly["v"].tolist() == [6.0, 13.0]
    assert resample(df, "W", how="mean")["v"].tolist() == [3.0, 10.0]
    assert list(weekly.index) == list(dates("2024-01-07", "2024-01-14"))
    with pytest.raises(DataError, match="Unknown frequency 'M'"):
        resample(df, "M")
    with pytest.raises(DataError, match="how must be"):
        resample(df, "W", how="sum")
    with pytest.raises(DataError, match="more than"):
        resample(df, "s", max_rows=1000)
    with pytest.raises(DataError, match="numbered by row"):
        resample(df.reset_index(drop=True), "W")


def test_to_csv_bytes_round_trips_real_and_messy_frames():
    for name in ("yahoo/BTC-USD.csv", "univariate/airline-passengers.csv"):
        df = read_series_csv(DATA / name)
        back = read_series_csv(to_csv_bytes(df))
        pd.testing.assert_frame_equal(back, df, check_freq=False)
    messy, _ = parse("Date,A,B\n2024-01-01 10:00,1e-300,x\n2024-01-01 11:30,0.1,2\n")
    raw = to_csv_bytes(messy)
    assert raw.startswith(b"Date,A,B\n2024-01-01 10:00:00,1e-300,\n")
    pd.testing.assert_frame_equal(read_series_csv(raw), messy, check_freq=False)
    rows = read_series_csv(b"a\n1\n2\n3\n", integer_index_ok=True)
    pd.testing.assert_frame_equal(read_series_csv(to_csv_bytes(rows), integer_index_ok=True), rows)
    with pytest.raises(DataError, match="numeric columns"):
        to_csv_bytes(pd.DataFrame({"s": ["a"]}))
