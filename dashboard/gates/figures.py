"""Pure Plotly builders for the gate explorer: arrays in, go.Figure out, no Streamlit.

Every gate array is (T, H): T steps of the window, H units. Heatmaps draw units x
time, so they receive z = a.T (H, T) with the units in the requested order. The
time axis is categorical (one cell per trading day or step: no weekend gaps) and is
shared by the input line chart and every heatmap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.common.figures import (
    HEAT_DIVERGING,
    HEAT_SEQUENTIAL,
    OKABE_ITO,
    PALETTE,
    layout,
    log_ticks,
    loss_figure,
)

NAMES = {
    "i": "input gate i",
    "f": "forget gate f",
    "g": "candidate g",
    "o": "output gate o",
    "c": "cell state c",
    "h": "hidden state h",
    "r": "reset gate r",
    "z": "update gate z",
    "n": "candidate n",
}
SIGMOID = {"i", "f", "o", "r", "z"}  # 0..1
LINE_COLORS = PALETTE  # Okabe-Ito, colour-blind safe (dashboard.common.figures)


def range_text(key: str) -> str:
    return "0 to 1" if key in SIGMOID else "unbounded" if key == "c" else "−1 to 1"


def time_labels(index: pd.Index) -> list[str]:
    """Category labels of the steps: ISO dates for a date index, else the step number."""
    if isinstance(index, pd.DatetimeIndex):
        return [d.strftime("%Y-%m-%d") for d in index]
    return [str(v) for v in index]


def unit_labels(order: Sequence[int]) -> list[str]:
    return [f"unit {int(u)}" for u in order]


def value_range(key: str, values: np.ndarray | None = None, c_max: float | None = None):
    """Colour range: 0..1 for sigmoid gates, -1..1 for tanh values, +-max|c| for the cell."""
    if key in SIGMOID:
        return 0.0, 1.0
    if key == "c":
        if c_max is None:
            c_max = float(np.nanmax(np.abs(values))) if values is not None else 1.0
        return -max(c_max, 1e-6), max(c_max, 1e-6)
    return -1.0, 1.0


def _colorscale(key: str) -> str:
    return HEAT_SEQUENTIAL if key in SIGMOID else HEAT_DIVERGING


def _hover(key: str) -> str:
    return f"%{{y}}<br>%{{x}}<br>{key} = %{{z:.4f}}<extra>{NAMES.get(key, key)}</extra>"


def gate_heatmaps_figure(
    window: pd.DataFrame,
    gates: dict[str, np.ndarray],
    keys: Sequence[str],
    order: Sequence[int],
    title: str,
    c_max: float | None = None,
    row_px: int = 170,
) -> go.Figure:
    """The input window (line chart) above one units x time heatmap per key.

    window: (T, F) inputs in original units indexed by date/step; gates: key -> (T, H).
    """
    x = time_labels(window.index)
    order = np.asarray(order, int)
    ylab = unit_labels(order)
    n = len(keys) + 1
    titles = ["input window (original units)"] + [f"{NAMES[k]} ({range_text(k)})" for k in keys]
    fig = make_subplots(
        rows=n,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.035,
        subplot_titles=titles,
        row_heights=[0.8] + [1.0] * len(keys),
    )
    for j, col in enumerate(window.columns):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=window[col].to_numpy(),
                mode="lines+markers",
                marker=dict(size=3),
                name=str(col),
                line=dict(color=LINE_COLORS[j % len(LINE_COLORS)], width=1.5),
                hovertemplate="%{x}<br>%{fullData.name} = %{y:.4g}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    for r, key in enumerate(keys, start=2):
        zmin, zmax = value_range(key, gates[key], c_max)
        fig.add_trace(
            go.Heatmap(
                z=np.asarray(gates[key], np.float32)[:, order].T,  # (H, T)
                x=x,
                y=ylab,
                zmin=zmin,
                zmax=zmax,
                colorscale=_colorscale(key),
                name=key,
                hovertemplate=_hover(key),
                colorbar=dict(title=dict(text=key), thickness=12, len=0.9 / n, x=1.01),
            ),
            row=r,
            col=1,
        )
        fig.update_yaxes(
            title_text="unit", autorange="reversed", showticklabels=len(order) <= 40, row=r, col=1
        )
    # colour bars sit next to their own heatmap row
    for r, trace in enumerate(fig.data[len(window.columns) :], start=2):
        dom = fig.layout[f"yaxis{r}"].domain
        trace.colorbar.y = (dom[0] + dom[1]) / 2
        trace.colorbar.len = (dom[1] - dom[0]) * 1.05
    cols = [str(c) for c in window.columns]
    fig.update_yaxes(title_text=cols[0] if len(cols) == 1 else "value", row=1, col=1)
    fig.update_xaxes(type="category", showticklabels=True, nticks=12, row=n, col=1)
    fig.update_xaxes(type="category", nticks=12)
    fig.update_xaxes(title_text="date" if _is_dates(window.index) else "step", row=n, col=1)
    fig = layout(fig, title, height=120 + row_px * n)
    fig.update_layout(hovermode="closest", legend=dict(y=1.0 + 18 / (120 + row_px * n)))
    return fig


def _is_dates(index: pd.Index) -> bool:
    return isinstance(index, pd.DatetimeIndex)


def unit_traces_figure(
    index: pd.Index,
    gates: dict[str, np.ndarray],
    keys: Sequence[str],
    units: Sequence[int],
    title: str,
) -> go.Figure:
    """One row per key, one line per unit (same colour in every row): values over time."""
    x = time_labels(index)
    fig = make_subplots(
        rows=len(keys),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        subplot_titles=[NAMES.get(k, k) for k in keys],
    )
    for r, key in enumerate(keys, start=1):
        for j, u in enumerate(units):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=np.asarray(gates[key], np.float32)[:, int(u)],
                    mode="lines",
                    name=f"unit {int(u)}",
                    legendgroup=f"unit {int(u)}",
                    showlegend=r == 1,
                    line=dict(color=LINE_COLORS[j % len(LINE_COLORS)], width=1.6),
                    hovertemplate=f"unit {int(u)}<br>%{{x}}<br>{key} = %{{y:.4f}}<extra></extra>",
                ),
                row=r,
                col=1,
            )
        lo, hi = (0, 1) if key in SIGMOID else (None, None)
        fig.update_yaxes(
            title_text=key, range=[lo - 0.03, hi + 0.03] if lo is not None else None, row=r, col=1
        )
    fig.update_xaxes(type="category", nticks=12)
    fig.update_xaxes(title_text="date" if _is_dates(index) else "step", row=len(keys), col=1)
    return layout(fig, title, height=110 + 150 * len(keys))


def saturation_figure(shares: dict[str, tuple[float, float]], bounds: dict, title: str):
    """Stacked horizontal bars per key: % of values below lo, in between, above hi."""
    keys = list(shares)
    low = [100 * shares[k][0] for k in keys]
    high = [100 * shares[k][1] for k in keys]
    mid = [100 - a - b for a, b in zip(low, high, strict=True)]
    labels = [f"{NAMES.get(k, k)}  [{bounds[k][0]:g}, {bounds[k][1]:g}]" for k in keys]
    fig = go.Figure()
    for name, vals, color in (
        ("saturated low (< lower bound)", low, "#3b4cc0"),
        ("in between", mid, "#dddddd"),
        ("saturated high (> upper bound)", high, "#b40426"),
    ):
        fig.add_trace(
            go.Bar(
                y=labels,
                x=vals,
                name=name,
                orientation="h",
                marker_color=color,
                hovertemplate="%{y}<br>%{x:.1f}% of values<extra>" + name + "</extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="share of values in the window (%)", range=[0, 100])
    fig.update_yaxes(autorange="reversed")
    fig = layout(fig, title, height=120 + 45 * len(keys))
    fig.update_layout(hovermode="closest", legend=dict(y=1.08, traceorder="normal"))
    return fig


def memory_span_figure(
    span: np.ndarray, order: Sequence[int], window_len: int, title: str, gate: str = "f"
) -> go.Figure:
    """Bars: memory span (steps) per unit, log axis, with the window length for scale."""
    order = np.asarray(order, int)
    fig = go.Figure(
        go.Bar(
            x=unit_labels(order),
            y=np.asarray(span, np.float64)[order],
            marker_color="#9467bd",
            name="memory span",
            hovertemplate="%{x}<br>%{y:.1f} steps<extra></extra>",
        )
    )
    fig.add_hline(y=window_len, line=dict(color="#444", dash="dash"))
    # on a log axis, annotation and range coordinates are log10 of the value
    fig.add_annotation(
        x=0,
        xref="paper",
        xanchor="left",
        y=math.log10(window_len),
        yref="y",
        yanchor="bottom",
        text=f"window length T = {window_len}",
        showarrow=False,
    )
    values = np.asarray(span, np.float64)
    lo, hi = min(values.min(), 1.0) / 1.5, max(values.max(), window_len) * 2.0
    fig.update_yaxes(
        type="log",
        range=[math.log10(lo), math.log10(hi)],
        **log_ticks([lo, hi]),
        title_text=f"steps remembered, 1 / (1 − mean {gate})",
    )
    fig.update_xaxes(title_text="unit", type="category", showticklabels=len(order) <= 64)
    fig = layout(fig, title, height=340)
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig


def replay_loss_figure(history: list[dict], epoch: int, best_epoch: int | None) -> go.Figure:
    """The loss curve with the replayed epoch marked."""
    fig = loss_figure(
        history, title="Loss while the gates were recorded", best_epoch=best_epoch, height=260
    )
    fig.add_vline(
        x=epoch,
        line=dict(color=OKABE_ITO["vermillion"], width=2),
        annotation_text=f"epoch {epoch}",
        annotation_position="top right",
    )
    return fig


def trend_figure(trend: dict[str, list], epoch: int) -> go.Figure:
    """Mean of each sigmoid gate and the saturated share per recorded epoch; epoch marked."""
    fig = go.Figure()
    epochs = trend["epoch"]
    for j, (name, ys) in enumerate((k, v) for k, v in trend.items() if k.startswith("mean ")):
        key = name.split()[-1]
        fig.add_trace(
            go.Scatter(
                x=epochs,
                y=ys,
                mode="lines+markers",
                name=f"mean {key}",
                marker=dict(size=4),
                line=dict(color=LINE_COLORS[j]),
            )
        )
    if "saturated" in trend:
        fig.add_trace(
            go.Scatter(
                x=epochs,
                y=trend["saturated"],
                mode="lines",
                name="saturated share",
                line=dict(color="#444", dash="dash"),
            )
        )
    fig.add_vline(x=epoch, line=dict(color=OKABE_ITO["vermillion"], width=2))
    fig.update_yaxes(title_text="gate value / share (0 to 1)", range=[-0.02, 1.02])
    fig.update_xaxes(title_text="epoch")
    return layout(fig, "How the probe window's gates changed", height=260)
