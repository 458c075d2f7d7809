"""AppTest of the upload page ("Your data"): upload, report, cleaning, columns, use, train,
download, and every refusal keeping the session's earlier datasets."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import errors_of, run_page, shown
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit import config as st_config
from streamlit.runtime.media_file_manager import MediaFileManager

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import DataError, read_series_csv, read_series_csv_with_report
from core.data.upload import CleanOptions, clean, min_rows_reason, rows_needed
from core.forecast.run import fit_forecaster
from dashboard.upload.ui import md

DATA = Path(__file__).resolve().parents[1] / "fixtures" / "data"
AIRLINE = (DATA / "univariate" / "airline-passengers.csv").read_bytes()
AAPL = (DATA / "yahoo" / "AAPL.csv").read_bytes()
SAMPLE = "MSFT (offline sample)"
# every session starts with the bundled samples, MSFT first (the upload tests add to these)
BUILT_IN = [SAMPLE, "Airline passengers (monthly sample)", "Sunspots (monthly sample)"]
REFUSED = "**This file cannot be used as it is.** "


def upload(at, name: str, data: bytes):
    at.file_uploader(key="upload-file").set_value((name, data, "text/csv"))
    return at.run()


def sources(at) -> dict:
    return at.session_state["datasets"]


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture
def upage(app):
    at = run_page(app, "upload.py")
    assert not errors_of(at)
    assert at.title[0].value == "Your data"
    return at


def test_no_file_shows_how_to_start_and_the_sources(upage):
    assert "No file yet" in upage.info[0].value
    assert upage.subheader[-1].value == "Data sources in this session"
    assert list(sources(upage)) == BUILT_IN


def test_upload_report_choose_use_and_train(upage):
    at = upload(upage, "AAPL.csv", AAPL)
    assert not errors_of(at)
    assert metrics(at) == {
        "Rows kept": "1,258",
        "Missing values": "0",
        "Rows dropped": "0",
        "Gaps in the dates": str(read_series_csv_with_report(AAPL)[1].gaps),
    }
    text = "\n".join(m.value for m in at.markdown)
    assert "2019-07-01 to 2024-06-28" in text and "business days (Mon-Fri)" in text
    assert at.selectbox(key="upload-target").value == "Close"  # the usual target preselected
    assert at.text_input(key="upload-name").value == "AAPL (upload)"
    spec = at.get("plotly_chart")[0].proto.spec
    assert '"title"' in spec and "Preview of AAPL.csv after cleaning" in spec
    at.selectbox(key="upload-target").set_value("Open")
    at.multiselect(key="upload-extras").set_value(["Volume", "High"]).run()
    at.selectbox(key="upload-target").set_value("High").run()  # a target is not its own extra
    assert at.multiselect(key="upload-extras").value == ["Volume"]
    assert "High" not in at.multiselect(key="upload-extras").options
    at.selectbox(key="upload-target").set_value("Open").run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    panels = [(t["name"], t["yaxis"]) for t in spec["data"]]
    assert panels == [("Open (target)", "y"), ("Volume", "y2")]
    assert spec["layout"]["xaxis2"]["title"]["text"] == "date"
    at.button(key="upload-use").click().run()
    assert not errors_of(at)
    assert "AAPL \\(upload\\) is a data source now" in at.success[0].value
    ds = sources(at)["AAPL (upload)"]
    assert list(sources(at)) == [*BUILT_IN, "AAPL (upload)"]
    assert ds.columns == ["Open", "Volume"]
    assert ds.provenance["sha256"] == hashlib.sha256(AAPL).hexdigest()
    assert ds.provenance["target"] == "Open" and ds.provenance["features"] == ["Open", "Volume"]
    assert ds.provenance["report"]["rows_kept"] == 1258
    assert at.button(key="upload-use").label == "Replace this dataset"
    # train a tiny model on what the session now holds
    run = fit_forecaster(
        ds.tail(200),
        DataConfig(target="Open", features=("Open", "Volume"), lookback=8),
        ModelConfig(hidden_size=8),
        TrainConfig(epochs=2, batch_size=32),
    )
    losses = [(h["train_loss"], h["val_loss"]) for h in run.fit.history]
    assert len(losses) == 2 and np.isfinite(losses).all()


def test_missing_values_must_be_handled_before_use(upage):
    raw = AIRLINE.replace(b'"1949-03",132', b'"1949-03",n/a').replace(
        b'"1950-07",170', b'"1950-07",'
    )
    at = upload(upage, "gappy.csv", raw)
    assert metrics(at)["Missing values"] == "2"
    assert "'n/a'" in "\n".join(shown(m.value) for m in at.markdown)
    at.radio(key="upload-fill").set_value("none").run()
    at.button(key="upload-use").click().run()
    assert at.error[0].value == md(
        "Column 'Passengers' still has 2 missing value(s) (first at 1949-03-01 00:00:00); "
        "choose how to handle missing values (forward fill, interpolate or drop rows)."
    )
    assert list(sources(at)) == BUILT_IN
    at.radio(key="upload-fill").set_value("interpolate").run()
    at.button(key="upload-use").click().run()
    assert not errors_of(at)
    values = sources(at)["gappy (upload)"].frame["Passengers"]
    assert values["1949-03-01"] == pytest.approx(118 + 11 * 28 / 59)  # Feb 1 to Apr 1, by time
    assert values.notna().all() and len(values) == 144


def test_resample_changes_rows_and_is_recorded(upage):
    at = upload(upage, "AAPL.csv", AAPL)
    at.selectbox(key="upload-resample").set_value("W").run()
    assert not errors_of(at)
    frame = read_series_csv(AAPL)
    expected = clean(frame, CleanOptions(resample="W", fill="ffill")).frame
    at.button(key="upload-use").click().run()
    ds = sources(at)["AAPL (upload)"]
    assert len(ds.frame) == len(frame.resample("W").last())
    pd.testing.assert_series_equal(ds.frame["Close"], expected["Close"], check_freq=False)
    assert ds.provenance["cleaning"] == {"resample": "W", "how": "last", "fill": "ffill"}


def test_download_gives_the_cleaned_csv(upage, monkeypatch):
    made = []
    real = MediaFileManager.add_deferred

    def spy(self, data_callable, *args, **kwargs):
        made.append(data_callable)
        return real(self, data_callable, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    raw = AIRLINE.replace(b'"1949-03",132', b'"1949-03",').replace(b"\r\n", b"\n")
    at = upload(upage, "air.csv", raw)
    at.radio(key="upload-fill").set_value("interpolate").run()
    button = at.download_button(key="upload-download")
    assert button.label == "Download cleaned CSV"
    downloaded = read_series_csv(made[-1]())
    expected = clean(read_series_csv(raw), CleanOptions(fill="interpolate")).frame
    pd.testing.assert_frame_equal(downloaded, expected, check_freq=False, check_names=False)
    assert downloaded["Passengers"].notna().all()


@pytest.mark.parametrize(
    "name,raw",
    [
        ("empty.csv", b""),
        ("photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256))),
        ("book.csv", b"PK\x03\x04" + b"\x00" * 64),
        ("words.csv", b"Date,Name\n2024-01-01,a\n2024-01-02,b\n2024-01-03,c\n"),
        ("short.csv", b"Date,v\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n"),
        ("junk.txt", "Ünïcödé ☃ nonsense\nwithout, any, dates, 1\n".encode("utf-16")),
    ],
)
def test_refusals_show_the_parser_message_and_keep_earlier_uploads(upage, name, raw):
    at = upload(upage, "air.csv", AIRLINE)
    at.button(key="upload-use").click().run()
    assert "air (upload)" in sources(at)
    source = io.BytesIO(raw)
    source.name = name
    with pytest.raises(DataError) as info:  # what the parser says, with the page's limits
        read_series_csv(source, min_rows=rows_needed(5), need_reason=min_rows_reason())
    at = upload(at, name, raw)
    assert at.error[0].value == REFUSED + md(info.value)
    assert name in str(info.value) or "header" in str(info.value)
    assert not at.exception
    assert list(sources(at)) == [*BUILT_IN, "air (upload)"]
    assert "data sources already in this session are kept" in at.info[0].value


def test_too_few_rows_names_the_window(upage):
    raw = b"Date,v\n" + b"".join(b"2024-01-%02d,%d\n" % (d, d) for d in range(1, 9))
    at = upload(upage, "eight.csv", raw)
    need = rows_needed(5)
    assert at.error[0].value == REFUSED + md(
        f"eight.csv has 8 usable rows; at least {need} are needed for the shortest window "
        "(lookback 5 + horizon 1) with 15% validation and 15% test rows. Upload a longer "
        "series or reduce the lookback/horizon."
    )


def test_no_date_column_offers_row_numbers(upage):
    raw = b"temp,humidity\n" + b"".join(b"%d.5,%d\n" % (20 + i % 5, 40 + i) for i in range(40))
    at = upload(upage, "sensor.csv", raw)
    assert "No date or time column found in sensor\\.csv" in at.error[0].value
    at.button(key="upload-use-rows").click().run()
    assert not errors_of(at)
    assert at.checkbox(key="upload-rows").value is True
    assert at.selectbox(key="upload-resample").disabled
    at.button(key="upload-use").click().run()
    ds = sources(at)["sensor (upload)"]
    assert isinstance(ds.frame.index, pd.RangeIndex) and len(ds.frame) == 40
    assert ds.provenance["index"] == "row" and ds.columns == ["temp"]


def test_ambiguous_dates_can_be_read_day_first(upage):
    rows = b"".join(
        b"%02d/%02d/2024,%d\n" % (m, d, m * 10 + d) for m in (1, 2, 3) for d in (2, 5, 9, 12)
    )
    at = upload(upage, "amb.csv", b"Date,v\n" + rows)
    assert "Ambiguous dates" in at.warning[0].value
    assert "2024-01-02 to 2024-03-12" in "\n".join(m.value for m in at.markdown)
    at.button(key="upload-use-dayfirst").click().run()
    assert at.radio(key="upload-dayfirst").value == "day first (DD/MM)"
    assert not at.warning
    assert "2024-02-01 to 2024-12-03" in "\n".join(m.value for m in at.markdown)


def test_upload_cap_is_checked_on_the_server(upage):
    old = st_config.get_option("server.maxUploadSize")
    st_config.set_option("server.maxUploadSize", 1)
    try:
        big = b"Date,v\n" + b"2024-01-01,1.000000\n" * 60_000  # 1.1 MiB
        at = upload(upage, "big.csv", big)
    finally:
        st_config.set_option("server.maxUploadSize", old)
    assert at.error[0].value == REFUSED + md(
        "big.csv is 1.1 MB; the upload limit is 1 MB. Upload fewer rows (a shorter period), "
        "fewer columns, or a coarser frequency."
    )


def test_hostile_names_are_escaped_and_builtin_names_protected(upage):
    raw = b"Date,<img src=x onerror=alert(1)>,**v**\n" + b"".join(
        b"2024-01-%02d,%d,%d\n" % (d, d, 2 * d) for d in range(1, 29)
    )
    at = upload(upage, "<script>.csv", raw)
    assert not errors_of(at)
    report = next(m.value for m in at.markdown if m.value.startswith("- Read "))
    assert md("<img src=x onerror=alert(1)>") in report and "\\*\\*v\\*\\*" in report
    assert not re.search(r"(?<!\\)[<*]", report)  # every < and * escaped
    spec = at.get("plotly_chart")[0].proto.spec
    assert "<img" not in spec and "&lt;img src=x onerror=alert(1)&gt;" in spec
    at.text_input(key="upload-name").set_value(SAMPLE).run()
    at.button(key="upload-use").click().run()
    assert at.error[0].value == md(SAMPLE) + " is a built-in source; choose another name."
    assert sources(at)[SAMPLE].provenance["kind"] == "sample"


def test_remove_an_uploaded_source(upage):
    at = upload(upage, "air.csv", AIRLINE)
    at.button(key="upload-use").click().run()
    assert "air (upload)" in sources(at)
    at.button(key="upload-remove-0").click().run()
    assert list(sources(at)) == BUILT_IN


def test_a_session_holds_a_bounded_number_of_uploads(upage, monkeypatch):
    monkeypatch.setattr("dashboard.upload.ui.MAX_UPLOADS", 2)
    at = upage
    for i in range(3):
        at = upload(at, f"air{i}.csv", AIRLINE.replace(b"Passengers", b"P%d" % i))
        at.button(key="upload-use").click().run()
    assert list(sources(at)) == [*BUILT_IN, "air0 (upload)", "air1 (upload)"]
    assert at.error[0].value == (
        "This session already holds 2 uploaded data sources; remove one under *Data sources "
        "in this session* or reuse a name to replace it."
    )
    at.text_input(key="upload-name").set_value("air0 (upload)").run()
    assert at.button(key="upload-use").label == "Replace this dataset"
    at.button(key="upload-use").click().run()
    assert sources(at)["air0 (upload)"].columns == ["P2"]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_md_escapes_every_markup_character(text):
    out = md(text)
    assert "\n" not in out
    # every special character is preceded by a backslash, and dropping them gives the text back
    assert not re.search(r"(?<!\\)(?:\\\\)*[`*_{}\[\]()#+\-.!|~<>$:&=]", out.replace("\\\\", ""))
    assert shown(out) == text.replace("\n", " ")
