"""Read a user's CSV into a clean time-series frame, or say exactly what is wrong.

``read_series_csv`` is the one door for uploaded data. It returns a ``DataFrame`` with a sorted,
unique, tz-naive ``DatetimeIndex`` (or a ``RangeIndex`` named ``"row"`` in integer-index mode)
and float64 columns only, or raises :class:`DataError` (a ``ValueError``) whose message says
what is wrong, where (file line number, column name) and what to do. It never raises anything
else. A :class:`ParseReport` describing every decision rides along in ``df.attrs["report"]``.

Rules, in the order they are applied:

* Source: a path (``str``/``Path``), ``bytes``, or a binary/text file-like object. Seekable
  streams are read from the start (a Streamlit ``UploadedFile`` may already have been read). The
  size is checked against ``max_bytes`` before reading when the source tells its size.
* Bytes: PNG/JPEG/GIF/PDF/ZIP (xlsx)/gzip/bz2/xz/7z/OLE (xls)/Parquet/SQLite signatures are
  refused by name. Encoding: BOM first (UTF-8, UTF-16 LE/BE), then UTF-16 without BOM when every
  other byte is NUL, then strict UTF-8, then cp1252, then Latin-1. Any other NUL byte or a text
  sample with more than 1% control characters is refused as binary.
* Layout, sniffed on the first 64 KiB only: separator among ``; \\t | ,`` (most consistent field
  count wins, ``,`` loses ties); leading lines without any separator are skipped as a preamble;
  the 2- and 3-line headers written by ``yf.download(...).to_csv()`` (``Price``/``Ticker``/
  ``Date``) are folded into one; a header is assumed unless the first row already looks like
  data; a leading unnamed column holding 0, 1, 2, ... is dropped.
* Dates: the first column (name hints like *date*/*time*/*month* first) whose sample values
  parse as dates. ISO 8601 (with times and offsets), ``YYYY-MM``, ``YYYY/MM/DD``,
  ``DD/MM/YYYY`` or ``MM/DD/YYYY`` (day-first if any first field is > 12, month-first if any
  second field is > 12; when every date fits both, month-first is used and the ambiguity is
  reported; dot-separated ``DD.MM.YYYY`` is day-first by convention; ``dayfirst=`` overrides),
  month names (``Jan 05, 2024``, ``05-Jan-2024``), ``YYYYMMDD``/year/epoch seconds only under a
  date-like column name. Offsets are converted to UTC and dropped (tz-naive). Rows whose date
  cannot be read are dropped and reported with their line number.
* Order: files sorted newest first are reversed, unsorted ones sorted (both noted); duplicate
  timestamps keep the row that comes last in the file (count reported).
* Numbers: decimal convention decided from the sample (``1.234,56`` -> decimal comma).
  Thousands separators, currency symbols, ``(12.5)`` negatives, unicode minus and ``K/M/B/T``
  suffixes (``65.59K`` -> 65590) are understood. A trailing ``%`` is stripped and the number
  kept as written (``3.4%`` -> 3.4, not 0.034); the unit is recorded in ``report.units``.
  Anything else (``n/a``, ``-``, ``null``, ``#N/A``, ``abc``, ``inf``) becomes NaN and is
  reported per column with examples and line numbers. Empty cells are plain missing values. A
  column where fewer than half of the filled cells are numbers is excluded and reported. True/
  False columns become 1.0/0.0.
* Rows: blank lines are ignored (counted); rows with too many fields are dropped and reported; a
  last line with fewer fields than the header (a partly written row) is dropped and reported.

Row numbers in messages and in the report are 1-based line numbers of the file as a text editor
shows them (the header is line 1), assuming no line breaks inside quoted fields.

Modules, in the order the reader uses them (each imports only those before it):
:mod:`~core.data.csv.report` (limits, :class:`DataError`, :class:`ParseReport`),
:mod:`~core.data.csv.arguments`, :mod:`~core.data.csv.fixes` (rules for awkward exports),
:mod:`~core.data.csv.source` (bytes in), :mod:`~core.data.csv.dates`,
:mod:`~core.data.csv.layout`, :mod:`~core.data.csv.numeric`, :mod:`~core.data.csv.frequency`,
:mod:`~core.data.csv.parsing`, and :mod:`~core.data.csv.api` (the public functions).
"""

from core.data.csv.api import (
    fill_missing,
    read_series_csv,
    read_series_csv_with_report,
    resample,
    to_csv_bytes,
)
from core.data.csv.report import FILL_METHODS, RESAMPLE_HOW, DataError, ParseReport

__all__ = [
    "FILL_METHODS",
    "RESAMPLE_HOW",
    "DataError",
    "ParseReport",
    "fill_missing",
    "read_series_csv",
    "read_series_csv_with_report",
    "resample",
    "to_csv_bytes",
]
