"""What the reader decided (:class:`ParseReport`), its one error type and the shared limits."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SAMPLE_BYTES = 64 * 1024
SAMPLE_ROWS = 1000
MAX_LISTED = 50  # rows listed in report.dropped_rows
MAX_JUNK_ROWS = 20  # rows listed per column in report.junk
MAX_EXAMPLES = 5
SEPARATORS = (";", "\t", "|", ",")  # tie-break order: "," loses ties (it is also a decimal mark)
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
FILL_METHODS = ("ffill", "interpolate", "drop", "none")
RESAMPLE_HOW = ("last", "mean")


class DataError(ValueError):
    """The file (or an argument) cannot give a usable series; the message says why and where."""


# --------------------------------------------------------------------------- report


@dataclass
class ParseReport:
    """What the parser read, decided and changed. All fields are JSON types."""

    source: str = ""
    encoding: str = ""
    separator: str = ","
    decimal: str = "."
    thousands: str | None = None
    header_lines: int = 1
    rows_read: int = 0
    rows_kept: int = 0
    columns: list[str] = field(default_factory=list)
    index_kind: str = "datetime"  # "datetime" or "row"
    date_column: str | None = None
    date_format: str | None = None
    date_note: str | None = None
    start: str | None = None
    end: str | None = None
    frequency: str | None = None
    gaps: int = 0
    largest_gap: str | None = None
    newest_first: bool = False
    sorted_note: str | None = None
    duplicates_removed: int = 0
    blank_lines: int = 0
    dropped_count: int = 0
    dropped_rows: list[dict[str, Any]] = field(default_factory=list)
    junk: dict[str, dict[str, Any]] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    excluded_columns: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy."""
        return asdict(self)

    def drop_row(self, row: int, reason: str) -> None:
        """Record one dropped row (the list is capped, the count is not)."""
        self.dropped_count += 1
        if len(self.dropped_rows) < MAX_LISTED:
            self.dropped_rows.append({"row": int(row), "reason": reason})

    def summary_lines(self) -> list[str]:
        """Short human sentences for the UI, most important first."""
        sep = SEPARATOR_NAMES.get(self.separator, repr(self.separator))
        lines = [
            f"Read {self.rows_read:,} rows from a {sep}-separated {self.encoding} file; "
            f"kept {self.rows_kept:,} with {len(self.columns)} numeric column(s): "
            f"{', '.join(self.columns)}."
        ]
        if self.index_kind == "datetime":
            freq = f"frequency {self.frequency}" if self.frequency else "irregular spacing"
            lines.append(
                f"Dates from column '{self.date_column}' ({self.date_format}): "
                f"{self.start} to {self.end}, {freq}."
            )
            if self.gaps:
                lines.append(
                    f"{self.gaps:,} gap(s) in the dates; the largest is {self.largest_gap}."
                )
        else:
            lines.append("No date column: rows are numbered 0, 1, 2, ... in file order.")
        if self.date_note:
            lines.append(self.date_note)
        if self.decimal == ",":
            lines.append("Numbers use a decimal comma (1.234,56).")
        if self.sorted_note:
            lines.append(self.sorted_note)
        if self.duplicates_removed:
            lines.append(
                f"{self.duplicates_removed:,} duplicate timestamp(s): kept the last row for each."
            )
        for col, info in self.junk.items():
            where = ", ".join(str(r) for r in info["rows"][:3])
            examples = ", ".join(repr(e) for e in info["examples"][:3])
            lines.append(
                f"Column '{col}': {info['count']:,} value(s) were not numbers ({examples}; "
                f"row {where}{', ...' if info['count'] > 3 else ''}) and became missing."
            )
        for col, why in self.excluded_columns.items():
            lines.append(f"Column '{col}' was left out: {why}.")
        for col, unit in self.units.items():
            lines.append(f"Column '{col}': {unit}.")
        if self.dropped_count:
            first = "; ".join(f"row {d['row']}: {d['reason']}" for d in self.dropped_rows[:3])
            more = ", ..." if self.dropped_count > 3 else ""
            lines.append(f"Dropped {self.dropped_count:,} row(s) ({first}{more}).")
        missing = {c: n for c, n in self.missing.items() if n}
        if missing:
            parts = ", ".join(f"{c}: {n:,}" for c, n in missing.items())
            lines.append(f"Missing values in the file ({parts}).")
        lines.extend(self.notes)
        return lines
