"""Widgets and render blocks of the upload page ("Your data").

Everything a user typed or uploaded (file names, headers, cell values, messages quoting them)
reaches the page through ``st.dataframe``, ``st.text`` or markdown passed through :func:`md`,
which backslash-escapes every markdown and HTML character. Nothing goes into
``unsafe_allow_html``.
"""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from core.data import DataError, ParseReport, read_series_csv_with_report
from core.data.upload import (
    FREQUENCIES,
    MIN_LOOKBACK,
    Cleaned,
    CleanOptions,
    clean,
    dataset_name,
    describe_frequency,
    longest_lookback,
    make_dataset,
    min_rows_reason,
    rows_needed,
    sha256,
)
from dashboard.common import state
from dashboard.common.safe_text import md_escape

KEY = "upload-"  # prefix of every widget key on the page
FLASH = KEY + "flash"  # (kind, markdown) left by a button callback for the next run
CORE_MAX_BYTES = 200 * 2**20  # read_series_csv's own ceiling, whatever the server allows
MAX_ROWS = 2_000_000
MAX_UPLOADS = 5  # uploaded data sources one session may hold (each keeps its frame in memory)
MAX_COLUMNS = 200
DAY_FIRST = "day first (DD/MM)"
DATE_ORDER = {"auto": None, DAY_FIRST: True, "month first (MM/DD)": False}
FILL_LABELS = {
    "ffill": "forward fill",
    "interpolate": "interpolate",
    "drop": "drop rows",
    "none": "leave missing",
}
NOTE_HELP = "What the reader changed in this column; the full sentence is in the list above."
NOTE_ONE_LINE = 45  # characters a "large" column shows on one line
ROW_HEIGHT = 60  # pixels: room for a wrapped note of two or three lines


def md(text: object) -> str:
    """User text made literal for ``st.markdown``/``st.error``, on one line."""
    return md_escape(str(text).replace("\n", " "))


def cap_bytes() -> int:
    """The upload cap checked on the server: ``server.maxUploadSize`` (MB) and the parser's."""
    return min(int(st.get_option("server.maxUploadSize")) * 2**20, CORE_MAX_BYTES)


def file_digest(uploaded) -> str:
    """sha256 of an uploaded file, computed once per upload (not on every rerun)."""
    seen = st.session_state.get(KEY + "sha")
    if seen and seen[0] == uploaded.file_id:
        return seen[1]
    digest = sha256(uploaded.getvalue())
    st.session_state[KEY + "sha"] = (uploaded.file_id, digest)
    return digest


def new_file_defaults(digest: str, file_name: str) -> None:
    """A file not seen before gets fresh defaults: a data-source name from its file name."""
    if st.session_state.get(KEY + "digest") != digest:
        st.session_state[KEY + "digest"] = digest
        st.session_state[KEY + "name"] = dataset_name(file_name)


def keep_source_name(file_name: str) -> None:
    """Before the name box: a refusal run draws no name box, and Streamlit then forgets the
    name set for this file."""
    if KEY + "name" not in st.session_state:
        st.session_state[KEY + "name"] = dataset_name(file_name)


@st.cache_data(max_entries=4, show_spinner="Reading the file...")
def parse_upload(
    digest: str, _raw: bytes, name: str, dayfirst: bool | None, integer_index: bool, max_bytes: int
) -> tuple[pd.DataFrame, ParseReport]:
    """Parse once per (file sha256, options); a DataError is raised, never cached."""
    source = io.BytesIO(_raw)
    source.name = name  # the file name in the parser's messages
    frame, report = read_series_csv_with_report(
        source,
        max_rows=MAX_ROWS,
        max_columns=MAX_COLUMNS,
        max_bytes=max_bytes,
        min_rows=rows_needed(MIN_LOOKBACK),
        need_reason=min_rows_reason(),
        integer_index_ok=integer_index,
        dayfirst=dayfirst,
    )
    frame.attrs = {}
    return frame, report


@st.cache_data(max_entries=8, show_spinner="Cleaning...")
def clean_upload(
    parse_key: tuple, _frame: pd.DataFrame, resample: str | None, how: str, fill: str
) -> Cleaned:
    """``core.data.upload.clean`` cached per (file digest, parse options, cleaning options)."""
    return clean(_frame, CleanOptions(resample, how, fill))


def set_option(name: str, value: object) -> None:
    """A button callback: set a reading option before the widgets are drawn."""
    st.session_state[KEY + name] = value


def parse_options() -> tuple[bool | None, bool]:
    """Date order and the integer-index fallback; (dayfirst, integer_index)."""
    with st.expander("Reading options", icon=":material/tune:"):
        c1, c2 = st.columns(2)
        order = c1.radio(
            "Order of day and month in numeric dates",
            list(DATE_ORDER),
            key=KEY + "dayfirst",
            horizontal=True,
            help="Auto decides from the data (a first field above 12 is a day); when every date "
            "fits both orders, month first is used and the report says so.",
        )
        rows = c2.checkbox(
            "No date column: number the rows 0, 1, 2, ...",
            key=KEY + "rows",
            help="For evenly spaced readings without timestamps (sensor logs, simulations).",
        )
    return DATE_ORDER[order], rows


def clean_options(report: ParseReport) -> CleanOptions:
    """Resampling (dates only) and the missing-value method."""
    c1, c2, c3 = st.columns([2, 1, 2])
    dated = report.index_kind == "datetime"
    rule = c1.selectbox(
        "Resample to a regular frequency",
        [None, *FREQUENCIES],
        format_func=lambda a: "keep the file's rows" if a is None else FREQUENCIES[a],
        key=KEY + "resample",
        disabled=not dated,
        help=f"The file's spacing: {describe_frequency(report.frequency)}, {report.gaps:,} "
        "gap(s). Empty bins become missing values, handled by the next option.",
    )
    how = c2.radio(
        "Value per bin",
        ["last", "mean"],
        key=KEY + "how",
        disabled=rule is None or not dated,
        help="last: closing value (prices, levels); mean: average (rates, readings).",
    )
    fill = c3.radio(
        "Missing values",
        list(FILL_LABELS),
        format_func=FILL_LABELS.get,
        key=KEY + "fill",
        horizontal=True,
        help="forward fill: repeat the last value; interpolate: straight line between "
        "neighbours (by time); drop rows: remove every row with a gap; leave: keep them "
        "(training needs none in the chosen columns).",
    )
    return CleanOptions(rule if dated else None, how, fill)


def _ensure_choice(key: str, options: list[str], default: str) -> None:
    if st.session_state.get(key) not in options:
        st.session_state[key] = default


def column_choice(columns: list[str]) -> tuple[str, list[str]]:
    """Target and input columns (the target's own past is always an input).

    Returns ``(target, features)`` with ``features = [target, *extras]``. Choices that the new
    file does not have are reset.
    """
    _ensure_choice(KEY + "target", columns, "Close" if "Close" in columns else columns[0])
    c1, c2 = st.columns([1, 2])
    target = c1.selectbox("Target column (to forecast)", columns, key=KEY + "target")
    others = [c for c in columns if c != target]
    st.session_state[KEY + "extras"] = [
        c for c in st.session_state.get(KEY + "extras", []) if c in others
    ]
    extras = c2.multiselect(
        "More input columns",
        others,
        key=KEY + "extras",
        placeholder="none: the network reads the target's own past only",
        help="The target's past is always an input; add columns that may help predict it "
        "(e.g. Volume next to Close).",
        disabled=not others,
    )
    return target, [target, *extras]


def render_report(report: ParseReport, table: pd.DataFrame) -> None:
    """The quality report: counts, range, spacing, what the reader decided, per-column table."""
    c = st.columns(4)
    c[0].metric("Rows kept", f"{report.rows_kept:,}", help=f"of {report.rows_read:,} read")
    c[1].metric("Missing values", f"{sum(report.missing.values()):,}", help="empty or not numbers")
    c[2].metric("Rows dropped", f"{report.dropped_count:,}", help="while reading; see below")
    if report.index_kind == "datetime":
        c[3].metric(
            "Gaps in the dates",
            f"{report.gaps:,}",
            help=f"largest: {report.largest_gap}" if report.gaps else "none",
        )
        st.markdown(
            f"**Dates** {report.start} to {report.end} · **spacing** "
            f"{describe_frequency(report.frequency)}"
            + (f" · **largest gap** {report.largest_gap}" if report.gaps else "")
        )
    st.markdown("\n".join(f"- {md(line)}" for line in report.summary_lines()))
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            **{c: st.column_config.NumberColumn(c, format="%.4g") for c in ("min", "mean", "max")},
            "examples (line)": st.column_config.TextColumn(width="medium"),
            "note": st.column_config.TextColumn(width="large", help=NOTE_HELP),
        },
        row_height=ROW_HEIGHT if table["note"].str.len().max() > NOTE_ONE_LINE else None,
        key=KEY + "columns-table",
    )
    if report.dropped_rows:
        more = report.dropped_count - len(report.dropped_rows)
        label = f"Rows dropped while reading ({report.dropped_count:,})"
        with st.expander(label, icon=":material/playlist_remove:"):
            st.dataframe(pd.DataFrame(report.dropped_rows), hide_index=True, width="stretch")
            if more:
                st.caption(f"and {more:,} more (the first {len(report.dropped_rows)} listed).")


def render_cleaning(steps: list[str], n_clean: int) -> None:
    """What cleaning changed, and the longest window the cleaned rows allow."""
    if steps:
        st.markdown("\n".join(f"- {md(s)}" for s in steps))
    t = longest_lookback(n_clean)
    st.caption(
        f"{n_clean:,} rows after cleaning: enough for a lookback of up to {t:,} steps "
        "(horizon 1) with the default 15% validation and 15% test split."
    )


def use_dataset(
    cleaned: pd.DataFrame,
    report: ParseReport,
    options: CleanOptions,
    file_name: str,
    digest: str,
    target: str,
    features: list[str],
) -> None:
    """Button callback: add the chosen columns as a session data source, or say why not.

    The outcome is kept as a message for :func:`show_flash` (a callback cannot draw in place).
    """
    name = str(st.session_state.get(KEY + "name", "")).strip()
    sources = state.datasets()
    old = sources.get(name)
    if old is not None and old.provenance.get("kind") != "upload":
        st.session_state[FLASH] = (
            "error",
            f"{md(name)} is a built-in source; choose another name.",
        )
        return
    uploads = sum(ds.provenance.get("kind") == "upload" for ds in sources.values())
    if old is None and uploads >= MAX_UPLOADS:
        st.session_state[FLASH] = (
            "error",
            f"This session already holds {MAX_UPLOADS} uploaded data sources; remove one under "
            "*Data sources in this session* or reuse a name to replace it.",
        )
        return
    try:
        ds = make_dataset(
            cleaned,
            file_name=file_name,
            raw_sha256=digest,
            report=report,
            options=options,
            target=target,
            features=features,
            name=name,
        )
    except DataError as exc:
        st.session_state[FLASH] = ("error", md(exc))
        return
    state.add_dataset(ds)
    st.session_state[FLASH] = (
        "success",
        f"{md(name)} is a data source now ({len(ds.frame):,} rows, target {md(target)}); "
        "pick it on the Train page.",
    )


def show_flash() -> None:
    """The outcome of the last "Use this dataset" click, shown once."""
    kind, text = st.session_state.pop(FLASH, (None, ""))
    if kind == "success":
        st.success(text, icon=":material/check_circle:")
    elif kind == "error":
        st.error(text, icon=":material/error:")


def _stamp(label: object) -> str:
    """A date without a midnight time, a timestamp with one, a row number as it is."""
    if isinstance(label, pd.Timestamp) and label == label.normalize():
        return str(label.date())
    return str(label)


def render_sources() -> None:
    """The session's data sources, each uploaded one with its report and a Remove button."""
    st.subheader("Data sources in this session", anchor=False)
    sources = state.datasets()
    rows = [
        {
            "name": name,
            "kind": ds.provenance.get("kind", ""),
            "rows": len(ds.frame),
            "columns": ", ".join(ds.columns),
            "from": _stamp(ds.frame.index[0]) if len(ds.frame) else "",
            "to": _stamp(ds.frame.index[-1]) if len(ds.frame) else "",
        }
        for name, ds in sources.items()
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=KEY + "sources")
    uploads = [n for n, ds in sources.items() if ds.provenance.get("kind") == "upload"]
    for i, name in enumerate(uploads):
        ds = sources[name]
        with st.expander(f"{md(name)}: how it was read", icon=":material/description:"):
            lines = ParseReport(**ds.provenance["report"]).summary_lines()
            st.markdown("\n".join(f"- {md(line)}" for line in lines))
            st.text(f"file: {ds.provenance['file']}\nsha256: {ds.provenance['sha256']}")
            st.text(f"cleaning: {ds.provenance['cleaning']}")
            if st.button("Remove from this session", key=f"{KEY}remove-{i}"):
                sources.pop(name, None)
                st.rerun()
