"""Pure Plotly figure builders: data in, go.Figure out, no Streamlit calls."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

COLORS = {
    "train": "#1f77b4",
    "val": "#ff7f0e",
    "test": "#2ca02c",
    "truth": "#222222",
    "model": "#d62728",
    "naive": "#7f7f7f",
}
SPAN_FILL = {
    "train": "rgba(31,119,180,0.08)",
    "val": "rgba(255,127,14,0.12)",
    "test": "rgba(44,160,44,0.12)",
}


def _layout(fig: go.Figure, title: str, height: int = 360, **kw) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0.01, font=dict(size=16)),
        height=height,
        margin=dict(l=60, r=20, t=50, b=40),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
        template="plotly_white",
        hovermode="x unified",
        **kw,
    )
    return fig


def loss_figure(
    history: list[dict], title: str = "Loss", best_epoch: int | None = None, height: int = 360
) -> go.Figure:
    """Train and validation loss per epoch on a log axis; best epoch and events marked."""
    fig = go.Figure()
    epochs = [h["epoch"] for h in history]
    for key, name, color in (
        ("train_loss", "train", COLORS["train"]),
        ("val_loss", "validation", COLORS["val"]),
    ):
        ys = [h.get(key) for h in history]
        ys = [y if y is not None and math.isfinite(y) and y > 0 else None for y in ys]
        if any(y is not None for y in ys):
            fig.add_trace(
                go.Scatter(
                    x=epochs,
                    y=ys,
                    mode="lines+markers",
                    name=name,
                    line=dict(color=color, width=2),
                    marker=dict(size=5),
                )
            )
    if best_epoch is not None and history:
        best = next((h for h in history if h["epoch"] == best_epoch), None)
        if best and best.get("val_loss"):
            fig.add_trace(
                go.Scatter(
                    x=[best_epoch],
                    y=[best["val_loss"]],
                    mode="markers",
                    name="best",
                    marker=dict(
                        symbol="star", size=14, color="#e6b800", line=dict(color="#222", width=1)
                    ),
                )
            )
    for h in history:
        for ev in h.get("events", []):
            if ev == "best":
                continue
            fig.add_vline(x=h["epoch"], line=dict(color="#999", dash="dot", width=1))
            fig.add_annotation(
                x=h["epoch"],
                y=1,
                yref="paper",
                text=ev,
                showarrow=False,
                textangle=-90,
                xanchor="right",
                yanchor="top",
                font=dict(size=10, color="#555"),
            )
    fig.update_yaxes(type="log", title="loss (MSE, scaled)")
    fig.update_xaxes(title="epoch", rangemode="tozero")
    return _layout(fig, title, height)


def series_figure(
    frame: pd.DataFrame,
    column: str,
    spans: dict[str, tuple] | None = None,
    title: str | None = None,
    height: int = 300,
) -> go.Figure:
    """A series with optional shaded train/validation/test spans (start, end index labels)."""
    fig = go.Figure(
        go.Scatter(
            x=frame.index,
            y=frame[column],
            mode="lines",
            name=column,
            line=dict(color=COLORS["truth"], width=1.2),
        )
    )
    for name, (x0, x1) in (spans or {}).items():
        fig.add_vrect(
            x0=x0,
            x1=x1,
            fillcolor=SPAN_FILL[name],
            line_width=0,
            annotation_text=name,
            annotation_position="top left",
            annotation_font_size=11,
        )
    fig.update_yaxes(title=column)
    return _layout(fig, title or column, height)


def prediction_figure(df: pd.DataFrame, title: str, height: int = 360) -> go.Figure:
    """Truth vs one-step predictions vs the naive last-value baseline."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=df.index,
            y=df["truth"],
            name="truth",
            mode="lines",
            line=dict(color=COLORS["truth"], width=1.6),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=df.index,
            y=df["prediction"],
            name="model",
            mode="lines",
            line=dict(color=COLORS["model"], width=1.4),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=df.index,
            y=df["naive"],
            name="naive (last value)",
            mode="lines",
            line=dict(color=COLORS["naive"], width=1, dash="dot"),
        )
    )
    return _layout(fig, title, height)
