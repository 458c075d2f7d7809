"""Upload page in AppTest: issue 13 item 10 (awkward exports, names, titles, report wording)."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
from conftest import errors_of, run_page, shown
from stock_fakes import combine, history
from test_upload_page import AIRLINE, upload


def _title(at) -> str:
    return json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]


def _report(at) -> str:
    return "\n".join(shown(m.value) for m in at.markdown)


def test_number_the_rows_keeps_the_name_and_says_no_date_column_once(app):
    at = upload(run_page(app, "upload.py"), "air.csv", AIRLINE)
    assert at.text_input(key="upload-name").value == "air (upload)"
    rows = b"".join(b"%d-%02d,%d.5\n" % (1 + i // 12, 1 + i % 12, 100 + i) for i in range(36))
    at = upload(at, "shampoo.csv", b"Month,Sales\n" + rows)
    assert "integer\\_index\\_ok" not in at.error[0].value
    assert "number them 0, 1, 2, ... instead" in shown(at.error[0].value)
    at.button(key="upload-use-rows").click().run()
    assert not errors_of(at)
    assert at.text_input(key="upload-name").value == "shampoo (upload)"
    assert _report(at).count("No date column") == 1


def test_reset_index_yfinance_export_on_the_page(app):
    frame = combine({"MSFT": history("MSFT", days=300)}).reset_index()
    at = upload(run_page(app, "upload.py"), "msft.csv", frame.to_csv().encode())
    assert not errors_of(at)
    assert "Date" not in at.selectbox(key="upload-target").options
    assert at.selectbox(key="upload-target").value == "Close"
    assert "Dates from column 'Date'" in _report(at) and "Date (2)" not in _report(at)


def test_tz_aware_daily_dates_show_as_dates(app):
    h = history("SPY", days=120)
    h.index = h.index.tz_localize("America/New_York")
    at = upload(run_page(app, "upload.py"), "spy.csv", h.to_csv().encode())
    text = _report(at)
    assert "2024-06-28" in text and "T04" not in text and "04:00" not in text


def test_thinned_chart_title_uses_ordinals(app):
    days = pd.date_range("2000-01-01", periods=6000, freq="D")
    raw = pd.DataFrame({"v": np.arange(6000.0)}, index=days.rename("Date")).to_csv().encode()
    at = upload(run_page(app, "upload.py"), "long.csv", raw)
    assert "every 2nd of 6,000 rows drawn" in _title(at)


def test_quality_table_note_column_is_wide_and_fill_advice_is_not_contradicted(app):
    buf = io.StringIO()
    buf.write("Date,Vol.\n")
    for i in range(40):
        buf.write(f"2024-01-{1 + i % 28:02d}," if i < 28 else f"2024-02-{i - 27:02d},")
        buf.write("\n" if i == 5 else f'"{1 + i},{i % 10}00K"\n')
    at = upload(run_page(app, "upload.py"), "vol.csv", buf.getvalue().encode())
    assert not errors_of(at)
    config = json.loads(at.dataframe[0].proto.columns)
    assert config["note"]["width"] == "large"
    assert at.dataframe[0].proto.row_height > 0  # taller rows: the note wraps
    text = _report(at)
    assert "Forward-filled 1 missing value(s)" in text
    assert "choose a fill method" not in text
