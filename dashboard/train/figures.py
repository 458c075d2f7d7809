"""Pure Plotly builders for the Train page: data in, figure or table out, no Streamlit."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from dashboard.common.figures import (
    COLORS,
    LIGHT_TEMPLATE,
    SPAN_FILL,
    base_layout,
    layout,
    series_figure,
)

SPAN_NAMES = {"train": "train", "val": "validation", "test": "test"}


def _axis_title(index: pd.Index) -> str:
    if isinstance(index, pd.DatetimeIndex):
        return "date"
    return f"{index.name or 'step'} (step)"


def split_figure(
    frame: pd.DataFrame, column: str, bounds: tuple[int, int], title: str, height: int = 280
) -> go.Figure:
    """The target series with its train / validation / test spans shaded.

    ``bounds`` = (train_end, val_end): rows [0, train_end) train, [train_end, val_end)
    validation, [val_end, N) test (the same chronological split training uses).
    """
    idx, (a, b) = frame.index, bounds
    n = len(idx)
    spans = {}
    for name, (lo, hi) in {"train": (0, a), "val": (a, b), "test": (b, n)}.items():
        if hi > lo:
            spans[name] = (idx[lo], idx[hi - 1])
    fig = series_figure(frame, column, spans, title=title, height=height)
    for shape in fig.layout.annotations:  # "val" -> "validation" on the shaded spans
        shape.text = SPAN_NAMES.get(shape.text, shape.text)
    fig.update_xaxes(title=_axis_title(idx))
    fig.update_yaxes(title=f"{column} (original units)")
    fig.update_layout(showlegend=False)
    return fig


def optimizer_figure(
    history: list[dict], clip_norm: float | None = None, height: int = 260
) -> go.Figure:
    """Learning rate and mean gradient norm per epoch, side by side.

    The gradient norm is the global L2 norm ||g||_2 over all parameters, measured before
    clipping and averaged over the epoch's batches; the dashed line is the clip threshold.
    Two panels by axis domains (make_subplots costs ~50 ms per call; this is redrawn live).
    """
    epochs = [h["epoch"] for h in history]
    norms = [h.get("grad_norm") for h in history]
    norms = [g if g is not None and math.isfinite(g) else None for g in norms]
    data = [
        dict(type="scatter", x=epochs, y=[h.get("lr") for h in history], mode="lines+markers",
             name="learning rate", line=dict(color=COLORS["train"], shape="hv")),
        dict(type="scatter", x=epochs, y=norms, mode="lines+markers", name="gradient norm",
             line=dict(color=COLORS["val"]), xaxis="x2", yaxis="y2"),
    ]  # fmt: skip
    shapes, notes = [], []
    for x, text in ((0.0, "Learning rate"), (0.56, "Gradient norm (before clipping)")):
        notes.append(dict(text=f"<b>{text}</b>", x=x, y=1.02, xref="paper", yref="paper"))
    if clip_norm:
        shapes.append(
            dict(type="line", xref="x2 domain", x0=0, x1=1, yref="y2", y0=clip_norm, y1=clip_norm,
                 line=dict(color="#999", dash="dash", width=1))
        )  # fmt: skip
        notes.append(dict(text=f"clip at {clip_norm:g}", x=1, y=clip_norm, xref="x2 domain",
                          yref="y2", xanchor="right", yanchor="bottom"))  # fmt: skip
    layout = dict(
        base_layout("", height, LIGHT_TEMPLATE),
        xaxis=dict(domain=[0, 0.44], title=dict(text="epoch"), rangemode="tozero"),
        xaxis2=dict(domain=[0.56, 1], title=dict(text="epoch"), rangemode="tozero", anchor="y2"),
        yaxis=dict(title=dict(text="learning rate"), rangemode="tozero", tickformat="~g"),
        yaxis2=dict(title=dict(text="||g||₂ (mean per batch)"), rangemode="tozero", anchor="x2"),
        shapes=shapes,
        annotations=[
            {"showarrow": False, "xanchor": "left", "yanchor": "bottom", **a} for a in notes
        ],
        showlegend=False,
        title=None,
        margin=dict(l=60, r=20, t=30, b=40),
    )
    return go.Figure(dict(data=data, layout=layout))


def forecast_figure(
    spans: dict[str, pd.DataFrame],
    target: str,
    height: int = 380,
    band: pd.DataFrame | None = None,
    band_name: str = "",
) -> go.Figure:
    """Truth, model and naive one-step predictions over the validation and test spans.

    ``spans`` maps a span name ("val", "test") to ``ForecastRun.predictions(span)``;
    ``band`` (columns lower, upper over an index) is drawn as a shaded interval under them.
    """
    fig = go.Figure()
    frames = [df for df in spans.values() if len(df)]
    if band is not None and len(band):
        x = list(band.index) + list(band.index[::-1])
        y = list(band["upper"]) + list(band["lower"][::-1])
        fig.add_trace(
            go.Scatter(
                x=x, y=y, fill="toself", fillcolor="rgba(214,39,40,0.16)", mode="lines",
                line=dict(width=0), name=band_name or "interval", hoverinfo="skip",
            )
        )  # fmt: skip
    if frames:
        both = pd.concat(frames)
        for col, name, style in (
            ("truth", "truth", dict(color=COLORS["truth"], width=1.6)),
            ("prediction", "model", dict(color=COLORS["model"], width=1.4)),
            ("naive", "naive (last value)", dict(color=COLORS["naive"], width=1, dash="dot")),
        ):
            fig.add_trace(
                go.Scatter(x=both.index, y=both[col], name=name, mode="lines", line=style)
            )
        for name, df in spans.items():
            if len(df):
                fig.add_vrect(
                    x0=df.index[0],
                    x1=df.index[-1],
                    fillcolor=SPAN_FILL[name],
                    line_width=0,
                    annotation_text=SPAN_NAMES[name],
                    annotation_position="top left",
                )
        fig.update_xaxes(title=_axis_title(both.index))
    fig.update_yaxes(title=f"{target} (original units)")
    return layout(fig, f"One-step-ahead predictions of {target} vs truth", height)


def scores_table(scores: dict[str, dict]) -> pd.DataFrame:
    """One row per span: MAE and RMSE of the model and of the naive baseline, and their ratio.

    MAE = mean |y - ŷ|, RMSE = sqrt(mean (y - ŷ)²), both in the target's original units;
    the naive baseline predicts ŷ_t = y_(t-1). Ratio = MAE_model / MAE_naive: below 1 the
    model beats repeating the last value.
    """
    rows = []
    for span, s in scores.items():
        ratio = s["model_mae"] / s["naive_mae"] if s["naive_mae"] else math.nan
        rows.append(
            {
                "span": SPAN_NAMES[span],
                "windows": s["n"],
                "model MAE": s["model_mae"],
                "naive MAE": s["naive_mae"],
                "MAE ratio": ratio,
                "model RMSE": s["model_rmse"],
                "naive RMSE": s["naive_rmse"],
            }
        )
    return pd.DataFrame(rows).set_index("span")
