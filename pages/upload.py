"""Your data: upload a CSV, read its quality report, clean it, choose columns, use it."""

from __future__ import annotations

from pathlib import PurePath

import streamlit as st

from core.data import DataError, to_csv_bytes
from core.data.upload import check_upload_size, column_table
from dashboard.common import state
from dashboard.common.ui import chart_config
from dashboard.upload import ui
from dashboard.upload.figures import preview_figure

NO_DATE = "No date or time column found"

st.title("Your data")
st.markdown(
    "Upload a time series as CSV: exports from Yahoo Finance, `yfinance`, Investing.com, Excel "
    "or a logger. Separators, encodings, decimal commas, `65.59K`-style numbers, newest-first "
    "files and day/month orders are worked out from the data; everything that was decided or "
    "dropped is listed below before you train."
)
cap = ui.cap_bytes()
uploaded = st.file_uploader(
    "CSV file (one row per time step, a date column and numeric columns)",
    type=["csv", "txt", "tsv"],
    key=ui.KEY + "file",
    help=f"Up to {cap / 2**20:.0f} MB. The file stays in this browser session only.",
)


def show_upload(uploaded) -> None:
    """Parse, report, clean, preview, choose columns, use or download."""
    try:
        check_upload_size(uploaded.name, uploaded.size, cap)
        digest = ui.file_digest(uploaded)
        ui.new_file_defaults(digest, uploaded.name)
        dayfirst, rows = ui.parse_options()
        frame, report = ui.parse_upload(
            digest, uploaded.getvalue(), uploaded.name, dayfirst, rows, cap
        )
    except DataError as exc:
        st.error(f"**This file cannot be used as it is.** {ui.md(exc)}", icon=":material/error:")
        if NO_DATE in str(exc):
            st.button(
                "Number the rows 0, 1, 2, ... instead",
                key=ui.KEY + "use-rows",
                icon=":material/format_list_numbered:",
                on_click=ui.set_option,
                args=("rows", True),
            )
        st.info(
            "Fix the file (or export it again) and upload it once more; the data sources "
            "already in this session are kept.",
            icon=":material/info:",
        )
        return
    if report.date_note and "Ambiguous" in report.date_note:
        st.warning(ui.md(report.date_note), icon=":material/event:")
        st.button(
            "Read the dates day first (DD/MM)",
            key=ui.KEY + "use-dayfirst",
            on_click=ui.set_option,
            args=("dayfirst", ui.DAY_FIRST),
        )
    st.subheader("Data quality", anchor=False)
    report_box = st.container()  # filled once the cleaning below is known

    st.subheader("Clean", anchor=False)
    options = ui.clean_options(report)
    parse_key = (digest, dayfirst, rows)
    try:
        cleaned, steps, filled = ui.clean_upload(
            parse_key, frame, options.resample, options.how, options.fill
        )
    except DataError as exc:
        st.error(ui.md(exc), icon=":material/error:")
        with report_box:
            ui.render_report(report, column_table(frame, frame, report))
        return
    ui.render_cleaning(steps, len(cleaned))
    with report_box:
        ui.render_report(report, column_table(frame, cleaned, report))

    st.subheader("Columns", anchor=False)
    columns = [str(c) for c in cleaned.columns]
    target, features = ui.column_choice(columns)
    st.plotly_chart(
        preview_figure(
            cleaned,
            features,
            target,
            filled,
            report.units,
            title=f"Preview of {uploaded.name} after cleaning",
        ),
        width="stretch",
        key=ui.KEY + "preview",
        config=chart_config(),
    )

    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    ui.keep_source_name(uploaded.name)
    name = c1.text_input("Name of the data source", key=ui.KEY + "name", max_chars=80)
    c2.button(
        "Replace this dataset" if name.strip() in state.datasets() else "Use this dataset",
        type="primary",
        icon=":material/check:",
        key=ui.KEY + "use",
        disabled=not name.strip(),
        on_click=ui.use_dataset,  # runs before the next rerun: the label above is current
        args=(cleaned, report, options, uploaded.name, digest, target, features),
    )
    c3.download_button(
        "Download cleaned CSV",
        data=lambda: to_csv_bytes(cleaned),  # made on click, not on every rerun
        file_name=f"{PurePath(uploaded.name).stem}_clean.csv",
        mime="text/csv",
        icon=":material/download:",
        key=ui.KEY + "download",
        on_click="ignore",
    )
    ui.show_flash()


if uploaded is None:
    st.info(
        "No file yet. Any CSV with a date column works; a file without dates can be read with "
        "row numbers instead (Reading options).",
        icon=":material/upload_file:",
    )
else:
    show_upload(uploaded)
st.divider()
ui.render_sources()
