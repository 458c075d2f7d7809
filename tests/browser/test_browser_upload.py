"""The upload page in a real browser: pick a messy file, read the report and the chart,
download the cleaned CSV, and check that hostile headers stay text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import screenshot, settle, wait_ready
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from core.data import read_series_csv
from core.data.upload import CleanOptions, clean

pytestmark = pytest.mark.browser

# An Investing.com-style export: semicolons, decimal commas, K/M volumes, percent changes,
# newest first, day-first dates, a junk cell, and headers that look like markup.
MESSY = (
    "Datum;<b>Kurs</b>;Vol.;:red[Chg] %\r\n"
    "17.01.2024;1.250,50;1,2M;0,8%\r\n"
    "16.01.2024;1.240,00;980,5K;-0,4%\r\n"
    "15.01.2024;n/a;1,1M;1,2%\r\n"
    "12.01.2024;1.235,25;1,0M;0,0%\r\n"
    "11.01.2024;1.230,00;990K;-1,1%\r\n"
    "10.01.2024;1.243,75;1,3M;2,0%\r\n"
    "09.01.2024;1.219,00;1,05M;0,3%\r\n"
    "08.01.2024;1.215,40;1,2M;-0,2%\r\n"
    "05.01.2024;1.217,80;870K;0,5%\r\n"
    "04.01.2024;1.211,70;900K;0,1%\r\n"
    "03.01.2024;1.210,50;1,4M;-0,6%\r\n"
    "02.01.2024;1.217,80;1,1M;0,9%\r\n"
).encode("cp1252")


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def _full_height(page) -> None:
    """Streamlit scrolls inside its own container: grow the window to capture the page."""
    height = page.evaluate("document.querySelector(\"[data-testid='stMain']\").scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 100, 6000)})
    settle(page)


def _choose(page, testid: str, label: str, option: str, tries: int = 4) -> None:
    """Open a select box and pick ``option`` (retried: a rerun may close the list)."""
    box = page.locator(f"[data-testid='{testid}']").filter(has_text=label)
    for attempt in range(tries):
        box.locator("input").click()
        try:
            page.get_by_role("option", name=option).click(timeout=20_000)
            return
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise
            page.keyboard.press("Escape")
            wait_ready(page)


def _upload(page, server_url: str, name: str, data: bytes) -> None:
    page.goto(f"{server_url}/upload")
    wait_ready(page)
    page.get_by_role("heading", name="Your data").wait_for()
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}
    )
    wait_ready(page)


def test_messy_file_report_chart_download_and_use(page, server_url, tmp_path):
    _upload(page, server_url, "kurse <2024>.csv", MESSY)
    page.get_by_role("heading", name="Data quality").wait_for(timeout=120_000)
    page.locator("[data-testid='stPlotlyChart']").first.wait_for(timeout=120_000)
    body = page.locator("[data-testid='stMain']")
    # the report: rows, dates read day first, the junk cell named with its line
    assert "kept 12 with 3 numeric column(s)" in body.inner_text()
    assert "2024-01-02 to 2024-01-17" in body.inner_text()
    assert "'n/a'" in body.inner_text()
    # markup in headers is shown as text, never interpreted
    assert "<b>Kurs</b>" in body.inner_text()
    assert body.locator("[data-testid='stMarkdown'] b").count() == 0
    assert ":red[Chg] %" in body.inner_text()
    _full_height(page)
    screenshot(page, "upload-report")

    with page.expect_download() as info:
        page.get_by_role("button", name="Download cleaned CSV").click()
    path = tmp_path / "clean.csv"
    info.value.save_as(path)
    assert info.value.suggested_filename.startswith("kurse")
    assert info.value.suggested_filename.endswith("_clean.csv")
    downloaded = read_series_csv(path)
    expected = clean(read_series_csv(MESSY), CleanOptions(fill="ffill")).frame
    pd.testing.assert_frame_equal(downloaded, expected, check_freq=False, check_names=False)

    page.get_by_role("button", name="Use this dataset").click()
    wait_ready(page)
    page.get_by_text("is a data source now").wait_for(timeout=120_000)
    page.get_by_text("kurse <2024> (upload): how it was read").wait_for(timeout=120_000)
    _full_height(page)
    screenshot(page, "upload-used")


def test_refused_file_shows_the_reason_and_keeps_the_earlier_upload(page, server_url):
    _upload(page, server_url, "kurse.csv", MESSY)
    page.get_by_role("button", name="Use this dataset").click()
    page.get_by_text("is a data source now").wait_for(timeout=120_000)
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(
        {"name": "photo.csv", "mimeType": "text/csv", "buffer": PNG}
    )
    error = page.locator("[data-testid='stAlertContentError']").first
    error.wait_for(timeout=120_000)
    wait_ready(page)
    assert "photo.csv looks like a PNG image" in error.inner_text()
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "kurse (upload): how it was read" in body  # the earlier upload is still a source
    _full_height(page)
    screenshot(page, "upload-refused")


def test_columns_and_resampling_drive_the_preview(page, server_url):
    aapl = Path(__file__).resolve().parents[1] / "fixtures" / "data" / "yahoo" / "AAPL.csv"
    _upload(page, server_url, "AAPL.csv", aapl.read_bytes())
    page.get_by_role("heading", name="Columns").wait_for(timeout=120_000)
    wait_ready(page)
    _choose(page, "stMultiSelect", "More input columns", "Volume")
    page.keyboard.press("Escape")
    wait_ready(page)
    _choose(page, "stSelectbox", "Resample", "weekly (weeks ending Sunday)")
    wait_ready(page)
    body = page.locator("[data-testid='stMain']")
    page.get_by_text("Resampled 1,258 rows to weekly").wait_for(timeout=120_000)
    chart = page.locator("[data-testid='stPlotlyChart']").first
    assert chart.locator(".js-plotly-plot .subplot").count() == 2  # Close and Volume panels
    assert "Volume" in chart.inner_text() and "Close (target)" in chart.inner_text()
    assert "rows after cleaning" in body.inner_text()
    _full_height(page)
    screenshot(page, "upload-columns")


def test_number_the_rows_keeps_the_data_source_name(page, server_url):
    rows = "".join(f"{1 + i // 12}-{1 + i % 12:02d},{100 + i}.5\n" for i in range(36))
    _upload(page, server_url, "shampoo.csv", ("Month,Sales\n" + rows).encode())
    page.get_by_text("cannot be used as it is").wait_for(timeout=120_000)  # loaded machine
    assert page.get_by_text("integer_index_ok").count() == 0
    page.get_by_role("button", name="Number the rows 0, 1, 2, ... instead").click()
    name = page.get_by_label("Name of the data source")
    name.wait_for()
    wait_ready(page)
    assert name.input_value() == "shampoo (upload)"
    report = page.locator("[data-testid='stMarkdownContainer'] li")
    assert report.filter(has_text="No date column").count() == 1
