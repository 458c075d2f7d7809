"""The lessons' charts: data in, go.Figure out (no Streamlit), in the lab's colour-blind-safe
palette and house layout, sized for a projector (large fonts, 1280x720)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.common.figures import COLORS, GATE_COLORS, OKABE_ITO, layout, log_ticks
from dashboard.gates.figures import NAMES

HEIGHT = 420
SHORT = {"f": "f forget", "i": "i input", "g": "g candidate", "o": "o output", "h": "h hidden"}
FONT = dict(size=15)


def _finish(fig: go.Figure, title: str, height: int = HEIGHT, **kw) -> go.Figure:
    """House layout, larger type, the legend under the plot (half-width charts: no overlap
    with the title)."""
    kw.setdefault("legend", dict(orientation="h", yanchor="top", y=-0.22, x=0, xanchor="left"))
    kw.setdefault("margin", dict(l=70, r=20, t=50, b=40))
    fig = layout(fig, title, height, **kw)
    fig.update_layout(font=FONT, title_font_size=18, hoverlabel=dict(font_size=14))
    return fig


def unit_step_figure(
    steps: Sequence, gates: dict[str, np.ndarray], unit: int, t: int, title: str
) -> go.Figure:
    """One unit's gates i, f, g, o and hidden state h over the window; step t marked."""
    x = [str(s) for s in steps]
    fig = go.Figure()
    for key in ("f", "i", "g", "o", "h"):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=np.asarray(gates[key], np.float64)[:, unit],
                mode="lines+markers",
                name=SHORT[key],
                line=dict(color=GATE_COLORS[key], width=3 if key == "f" else 2,
                          dash="dot" if key == "h" else "solid"),
                marker=dict(size=5),
                hovertemplate=f"{key} = %{{y:.4f}}<extra>{NAMES[key]}</extra>",
            )
        )  # fmt: skip
    fig.add_vline(x=t, line=dict(color="#444", width=2, dash="dash"))
    fig.update_xaxes(type="category", nticks=10, title_text="step t of the window")
    fig.update_yaxes(title_text="value", range=[-1.05, 1.05])
    return _finish(fig, title, height=380)  # under the equations' controls: fits 720 px


def gradient_figure(profiles: dict[str, np.ndarray], lag: int, title: str) -> go.Figure:
    """Share of the loss gradient reaching each earlier step (relative to the last), log y."""
    colors = [COLORS["naive"], OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["orange"]]
    fig = go.Figure()
    ys: list[float] = []
    for j, (name, g) in enumerate(profiles.items()):
        rel = np.asarray(g, np.float64) / max(float(g[0]), 1e-30)
        ys += rel.tolist()
        fig.add_trace(
            go.Scatter(
                x=list(range(len(rel))),
                y=rel,
                mode="lines+markers",
                name=name,
                line=dict(color=colors[j % len(colors)], width=3),
                marker=dict(size=5),
                hovertemplate="%{x} steps back: %{y:.2e}<extra>" + name + "</extra>",
            )
        )
    fig.add_vline(
        x=lag,
        line=dict(color="#444", width=2, dash="dash"),
        annotation_text=f"the echo: {lag} steps back",
        annotation_position="top right",
        annotation_font_size=14,
    )
    fig.update_xaxes(title_text="steps before the last input")
    fig.update_yaxes(
        type="log", title_text="gradient reaching that step (last step = 1)", **log_ticks(ys)
    )
    return _finish(fig, title, hovermode="closest")


def echo_figure(histories: dict[str, list[dict]], trivial: float, title: str) -> go.Figure:
    """Validation loss per epoch as a share of the trivial loss, one line per architecture."""
    colors = {"RNN": OKABE_ITO["vermillion"], "LSTM": OKABE_ITO["blue"]}
    fig = go.Figure()
    ys: list[float] = []
    for j, (name, hist) in enumerate(histories.items()):
        y = [h["val_loss"] / trivial for h in hist]
        ys += y
        fig.add_trace(
            go.Scatter(
                x=[h["epoch"] for h in hist],
                y=y,
                mode="lines+markers",
                name=name,
                line=dict(color=colors.get(name, COLORS["naive"]), width=3,
                          dash="solid" if j < 2 else "dot"),
                marker=dict(size=7),
                hovertemplate="epoch %{x}: %{y:.3f} × trivial<extra>" + name + "</extra>",
            )
        )  # fmt: skip
    fig.add_hline(
        y=1.0,
        line=dict(color="#444", dash="dash"),
        annotation_text="trivial: always say the mean",
        annotation_position="top left",
        annotation_font_size=14,
    )
    fig.update_xaxes(title_text="epoch", dtick=1)
    lo, hi = min([*ys, 1.0]), max([*ys, 1.0])
    fig.update_yaxes(
        type="log",
        title_text="validation loss ÷ trivial loss",
        range=[math.log10(lo) - 0.15, math.log10(hi) + 0.25],
        **log_ticks([*ys, 1.0]),
    )
    return _finish(fig, title)


def stock_figure(frame: pd.DataFrame, title: str, y_title: str) -> go.Figure:
    """Truth, the LSTM's and the naive one-step forecasts over the last days of the test span."""
    fig = go.Figure()
    for col, name, color, width, dash in (
        ("truth", "actual close", COLORS["truth"], 2.5, "solid"),
        ("naive", "naive: tomorrow = today", COLORS["naive"], 2, "dot"),
        ("prediction", "LSTM", COLORS["model"], 2.5, "solid"),
    ):
        fig.add_trace(
            go.Scatter(
                x=frame.index,
                y=frame[col],
                mode="lines",
                name=name,
                line=dict(color=color, width=width, dash=dash),
                hovertemplate="%{y:.2f}<extra>" + name + "</extra>",
            )
        )
    fig.update_xaxes(title_text=frame.index.name or "date")
    fig.update_yaxes(title_text=y_title)
    return _finish(fig, title)
