"""Pure builders for the RNN vs GRU vs LSTM page: data in, go.Figure / DataFrame out."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from dashboard.common.figures import axis_values, layout, log_ticks

PALETTE = ("#d62728", "#2ca02c", "#1f77b4", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22", "#7f7f7f")  # fmt: skip
TRIVIAL_COLOR = "#555555"


def arch_colors(order: Sequence[str]) -> dict[str, str]:
    """A stable colour per architecture, by its position in the comparison."""
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(order)}


def _positive(values: Sequence[float | None]) -> list[float | None]:
    return [v if v is not None and math.isfinite(v) and v > 0 else None for v in values]


def _waiting(fig: go.Figure, text: str) -> None:
    fig.add_annotation(
        text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
        font=dict(size=14, color="#777"),
    )  # fmt: skip


def _fit_log_range(fig: go.Figure, extra: Sequence[float]) -> None:
    """A log y range that hugs the data (and ``extra`` values), with readable tick labels."""
    ys = [y for t in fig.data for y in (t.y or ()) if y is not None and y > 0]
    ys += [v for v in extra if v is not None and math.isfinite(v) and v > 0]
    if not ys:
        return
    lo, hi = min(ys) / 1.4, max(ys) * 1.4
    fig.update_yaxes(range=[math.log10(lo), math.log10(hi)], **log_ticks([lo, hi]))


def overlay_loss_figure(
    histories: dict[str, list[dict]],
    order: Sequence[str],
    trivial: float | None = None,
    trivial_label: str = "trivial predictor",
    loss_name: str = "MSE",
    height: int = 420,
) -> go.Figure:
    """Validation loss (solid) and training loss (dotted) per epoch, one colour per
    architecture, on a log axis, with the trivial predictor's loss as a dashed line."""
    fig = go.Figure()
    colors = arch_colors(order)
    for label in order:
        hist = histories.get(label, [])
        if not hist:
            continue
        epochs = [h["epoch"] for h in hist]
        for key, dash, suffix, show in (
            ("val_loss", "solid", "validation", True),
            ("train_loss", "dot", "training", False),
        ):
            fig.add_trace(
                go.Scatter(
                    x=epochs,
                    y=_positive([h.get(key) for h in hist]),
                    mode="lines+markers" if key == "val_loss" else "lines",
                    name=label if show else f"{label} (training)",
                    legendgroup=label,
                    showlegend=show,
                    line=dict(color=colors[label], width=2.4 if show else 1.4, dash=dash),
                    marker=dict(size=5),
                    hovertemplate=f"{label} {suffix}: %{{y:.4g}}<extra></extra>",
                )
            )
    last_epoch = max((h["epoch"] for hist in histories.values() for h in hist), default=0)
    if trivial is not None and math.isfinite(trivial) and trivial > 0 and last_epoch:
        # a trace, not an hline annotation: annotations on log axes take log10 positions
        fig.add_trace(
            go.Scatter(
                x=[0, last_epoch],
                y=[trivial, trivial],
                mode="lines",
                name=f"{trivial_label}: {trivial:.3g}",
                line=dict(color=TRIVIAL_COLOR, dash="dash", width=1.5),
                hovertemplate=f"{trivial_label}: %{{y:.4g}}<extra></extra>",
            )
        )
    if not fig.data:
        _waiting(fig, "waiting for the first epoch…")
    fig.update_yaxes(type="log", title=f"loss ({loss_name}, log scale)")
    _fit_log_range(fig, [trivial] if trivial else [])
    fig.update_xaxes(title="epoch", rangemode="tozero")
    return layout(fig, "Validation loss (solid) and training loss (dotted) per epoch", height)


def gradient_figure(
    profiles: dict[str, tuple[Sequence[float], Sequence[float]]],
    order: Sequence[str],
    lag: int | None = None,
    relative: bool = True,
    title: str = "How much gradient reaches each earlier input",
    height: int = 420,
) -> go.Figure:
    """||dL/dx_{T-1-k}|| against k (steps before the last), at initialisation (dashed) and
    after training (solid), log axis. ``relative`` divides each curve by its value at k = 0."""
    fig = go.Figure()
    colors = arch_colors(order)
    for label in order:
        if label not in profiles:
            continue
        for g, dash, when in ((profiles[label][0], "dash", "at init"),
                              (profiles[label][1], "solid", "trained")):  # fmt: skip
            if not g:
                continue
            ys = [v / g[0] for v in g] if relative and g[0] > 0 else list(g)
            fig.add_trace(
                go.Scatter(
                    x=list(range(len(ys))),
                    y=_positive(ys),
                    mode="lines",
                    name=f"{label}, {when}",
                    legendgroup=label,
                    line=dict(color=colors[label], dash=dash, width=2 if dash == "solid" else 1.5),
                    hovertemplate=f"{label} {when}, %{{x}} steps back: %{{y:.3g}}<extra></extra>",
                )
            )
    if lag is not None:
        fig.add_vline(
            x=lag,
            line=dict(color=TRIVIAL_COLOR, dash="dot", width=1),
            annotation_text=f"the task's information: {lag} steps back",
            annotation_position="top",
            annotation_font=dict(size=11, color=TRIVIAL_COLOR),
        )
    if not fig.data:
        _waiting(fig, "measured when each architecture finishes")
    y_title = "‖∂L/∂x‖ relative to the last step" if relative else "‖∂L/∂x‖"
    ticks = log_ticks(axis_values(fig))
    fig.update_yaxes(type="log", title=f"{y_title} (log scale)", **ticks)
    fig.update_xaxes(title="steps before the last input (lag k)", rangemode="tozero")
    fig = layout(fig, title, height)
    # the legend to the right of the plot, one entry a line: on top it wrapped into rows
    # that grew up over the title (eight entries for a deeper stack)
    fig.update_layout(
        hovermode="closest",
        margin=dict(t=80),
        legend=dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top"),
    )
    return fig


def summary_frame(summaries: dict[str, dict], order: Sequence[str], trivial: float) -> pd.DataFrame:
    """One row per architecture: parameters, time per epoch, final losses, loss / trivial."""
    rows = []
    for label in order:
        s = summaries.get(label)
        if s is None:
            continue
        row = {
            "architecture": label,
            "parameters": s["parameters"],
            "s / epoch": s["seconds_per_epoch"],
            "epochs": s["epochs"],
            "final val loss": s["val_loss"],
            "best val loss": s["best_val_loss"],
            "val / trivial": s["val_loss"] / trivial if trivial else math.nan,
            "clipping": "off" if s["clip_norm"] is None else f"{s['clip_norm']:g}",
            "ended": s["reason"],
        }
        if s.get("accuracy") is not None:
            row["symbols recalled"] = s["accuracy"]
        rows.append(row)
    return pd.DataFrame(rows)


def sweep_figure(
    rows: list[dict], order: Sequence[str], solved: float = 0.1, height: int = 380
) -> go.Figure:
    """Validation loss as a share of the trivial loss against the lag, one line per
    architecture; below the dotted line the task counts as solved."""
    fig = go.Figure()
    colors = arch_colors(order)
    for label in order:
        mine = sorted((r for r in rows if r["label"] == label), key=lambda r: r["lag"])
        if mine:
            fig.add_trace(
                go.Scatter(
                    x=[r["lag"] for r in mine],
                    y=[r["ratio"] for r in mine],
                    mode="lines+markers",
                    name=label,
                    line=dict(color=colors[label], width=2.4),
                    marker=dict(size=8),
                    hovertemplate=f"{label}, lag %{{x}}: %{{y:.1%}} of trivial<extra></extra>",
                )
            )
    if not fig.data:
        _waiting(fig, "the first point appears when the smallest lag is done")
    fig.add_hline(
        y=solved,
        line=dict(color=TRIVIAL_COLOR, dash="dot", width=1),
        annotation_text=f"solved below {solved:.0%}",
        annotation_position="top left",
        annotation_font=dict(size=11, color=TRIVIAL_COLOR),
    )
    fig.update_yaxes(title="validation loss / trivial loss", tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(title="lag (steps to remember)")
    return layout(fig, "Which architecture fails first as the lag grows", height)
