"""Pure Plotly builders for the upload page: data in, go.Figure out, no Streamlit calls.

Column names and file names come from users: they are escaped before they reach Plotly, whose
titles and names understand a little HTML (``<b>``, ``<a href>``, ``&entities;``).
"""

from __future__ import annotations

import html
import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.common.figures import COLORS, layout

MAX_PANELS = 6  # columns drawn one under the other; more would be unreadable
MAX_POINTS = 4000  # points per trace sent to the browser (every k-th row beyond that)
FILLED_COLOR = "#ff7f0e"
TRACE_COLORS = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def plain(text: object) -> str:
    """User text made inert for Plotly's HTML-like labels (``<`` ``>`` ``&`` escaped)."""
    return html.escape(str(text), quote=False)


def ordinal(n: int) -> str:
    """2 -> '2nd', 3 -> '3rd', 11 -> '11th', 1234 -> '1,234th'."""
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def _stride(n: int, max_points: int) -> int:
    return max(1, math.ceil(n / max_points))


def preview_figure(
    frame: pd.DataFrame,
    columns: list[str],
    target: str | None = None,
    filled: pd.DataFrame | None = None,
    units: dict[str, str] | None = None,
    title: str = "Preview",
    max_points: int = MAX_POINTS,
) -> go.Figure:
    """One panel per column (shared x axis), the target first and drawn darker.

    ``frame``: (N, C) cleaned values over dates or row numbers. ``filled``: (N, C) booleans,
    True where cleaning filled a value that was missing (shown as orange markers). ``units``:
    column -> a note (e.g. percent signs removed) that adds ``%`` to the axis title. Beyond
    ``max_points`` rows, every k-th row is drawn and the title says so.
    """
    asked = [c for c in dict.fromkeys([*([target] if target else []), *columns]) if c in frame]
    shown = asked[:MAX_PANELS] or [str(c) for c in frame.columns[:1]]
    n_rows = len(frame)
    step = _stride(n_rows, max_points)
    view = frame.iloc[::step]
    fig = make_subplots(rows=len(shown), cols=1, shared_xaxes=True, vertical_spacing=0.06)
    legend_filled = True
    for i, col in enumerate(shown, start=1):
        is_target = col == target
        color = COLORS["truth"] if is_target else TRACE_COLORS[(i - 1) % len(TRACE_COLORS)]
        fig.add_trace(
            go.Scattergl(
                x=view.index,
                y=view[col],
                mode="lines",
                name=plain(col) + (" (target)" if is_target else ""),
                line=dict(color=color, width=1.4 if is_target else 1.1),
            ),
            row=i,
            col=1,
        )
        if filled is not None and col in filled and filled[col].any():
            mask = filled[col].reindex(frame.index, fill_value=False).to_numpy(bool)
            pts = frame.loc[mask, col]
            pts = pts.iloc[:: _stride(len(pts), max_points)]
            fig.add_trace(
                go.Scattergl(
                    x=pts.index,
                    y=pts,
                    mode="markers",
                    name="filled (was missing)",
                    legendgroup="filled",
                    showlegend=legend_filled,
                    marker=dict(color=FILLED_COLOR, size=5, symbol="circle-open"),
                ),
                row=i,
                col=1,
            )
            legend_filled = False
        unit = " (%)" if units and "percent" in units.get(col, "") else ""
        fig.update_yaxes(title=dict(text=plain(col) + unit, font=dict(size=11)), row=i, col=1)
    x_title = "date" if isinstance(frame.index, pd.DatetimeIndex) else "row (file order)"
    fig.update_xaxes(title=x_title, row=len(shown), col=1)
    extra = []
    if step > 1:
        extra.append(f"every {ordinal(step)} of {n_rows:,} rows drawn")
    if len(asked) > len(shown):
        extra.append(f"first {len(shown)} columns shown")
    full = plain(title) + (f" ({'; '.join(extra)})" if extra else "")
    return layout(fig, full, height=max(340, 90 + 180 * len(shown)))
