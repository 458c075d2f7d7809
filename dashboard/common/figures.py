"""Pure Plotly figure builders: data in, go.Figure out, no Streamlit calls."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

# Okabe & Ito (2008), "Color Universal Design": eight colours told apart with every common
# colour-vision deficiency (and in greyscale by their lightness). Every line chart uses them.
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "bluish green": "#009E73",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "sky blue": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}
# series in order (yellow last: faint on white); then greys
PALETTE = [*(v for k, v in OKABE_ITO.items() if k not in ("yellow", "black")), "#555555"]
PALETTE += [OKABE_ITO["yellow"], "#999999"]
COLORS = {
    "train": OKABE_ITO["blue"],
    "val": OKABE_ITO["orange"],
    "test": OKABE_ITO["bluish green"],
    "truth": "#222222",
    "model": OKABE_ITO["vermillion"],
    "naive": "#7f7f7f",
}
SPAN_FILL = {
    "train": "rgba(0,114,178,0.08)",
    "val": "rgba(230,159,0,0.12)",
    "test": "rgba(0,158,115,0.12)",
}
# one colour per gate and state, the same on every page (LSTM i f g o c h; GRU r z n)
GATE_COLORS = {
    "i": OKABE_ITO["bluish green"],
    "f": OKABE_ITO["blue"],
    "g": OKABE_ITO["reddish purple"],
    "o": OKABE_ITO["orange"],
    "c": OKABE_ITO["vermillion"],
    "h": "#222222",
    "r": OKABE_ITO["sky blue"],
    "z": OKABE_ITO["blue"],
    "n": OKABE_ITO["reddish purple"],
}
# heatmaps: perceptually uniform, colour-blind-safe scales (0..1 gates: cividis; signed values
# -1..1: ColorBrewer's red-blue, readable with red-green deficiencies)
HEAT_SEQUENTIAL = "Cividis"
HEAT_DIVERGING = "RdBu_r"
STAR = "#E69F00"  # the best-epoch marker

# the modebar of every chart: export as PNG (2x, for slides) or SVG (see plot_config)
EXPORT_FORMATS = ("png", "svg")


def plot_config(fmt: str = "png", filename: str = "lstm-lab-chart") -> dict:
    """``st.plotly_chart(config=...)``: the camera button saves the chart as ``fmt``."""
    fmt = fmt if fmt in EXPORT_FORMATS else "png"
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": fmt, "filename": filename, "scale": 2},
    }


# plotly_white's 2D layout part only, validated once, for line charts redrawn live: the
# full template by name costs ~20 ms per figure (measured), this one ~1 ms, same look
LIGHT_TEMPLATE = go.layout.Template(
    layout={
        k: v
        for k, v in pio.templates["plotly_white"].layout.to_plotly_json().items()
        if k not in ("polar", "ternary", "scene", "geo", "coloraxis", "colorscale")
    }
)


def _scale() -> float:  # presenter mode's font factor (replaced by set_scale)
    return 1.0


def set_scale(provider: Callable[[], float]) -> None:
    """Where base_layout reads its font scale (dashboard.common.presenter sets it)."""
    global _scale
    _scale = provider


def base_layout(title: str, height: int, template: object = "plotly_white") -> dict:
    """The house layout as a spec: title, size, margins, legend on top, hover by x."""
    s = _scale()
    return dict(
        title=dict(text=title, x=0.01, font=dict(size=round(16 * s))),
        **({"font": dict(size=round(12 * s))} if s != 1 else {}),
        height=round(height * (1 + (s - 1) / 2)),
        margin=dict(l=60, r=20, t=50, b=40),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
        hovermode="x unified",
        template=template,
    )


def layout(fig: go.Figure, title: str, height: int = 360, **kw) -> go.Figure:
    """Apply the house layout (see base_layout) to fig, plus any overrides in kw."""
    fig.update_layout(**{**base_layout(title, height), **kw})
    return fig


def loss_figure(
    history: list[dict], title: str = "Loss", best_epoch: int | None = None, height: int = 360
) -> go.Figure:
    """Train and validation loss per epoch on a log axis; best epoch and events marked.

    Built as one spec and validated once: it is redrawn live, twice a second, and each
    ``add_trace`` / ``add_vline`` call would validate the whole figure again.
    """
    epochs = [h["epoch"] for h in history]
    data = []
    for key, name, color in (
        ("train_loss", "train", COLORS["train"]),
        ("val_loss", "validation", COLORS["val"]),
    ):
        ys = [_positive(h.get(key)) for h in history]
        if any(y is not None for y in ys):
            data.append(
                dict(type="scatter", x=epochs, y=ys, mode="lines+markers", name=name,
                     line=dict(color=color, width=2), marker=dict(size=5))
            )  # fmt: skip
    best = next((h for h in history if h["epoch"] == best_epoch), None)
    best_y = best and (_positive(best.get("val_loss")) or _positive(best.get("train_loss")))
    if best_y:
        data.append(
            dict(type="scatter", x=[best_epoch], y=[best_y], mode="markers", name="best",
                 marker=dict(symbol="star", size=14, color=STAR,
                             line=dict(color="#222", width=1)))
        )  # fmt: skip
    shapes, notes = [], []
    for h in history:
        for ev in h.get("events", []):
            if ev == "best":
                continue
            shapes.append(
                dict(type="line", x0=h["epoch"], x1=h["epoch"], xref="x", y0=0, y1=1,
                     yref="paper", line=dict(color="#999", dash="dot", width=1))
            )  # fmt: skip
            notes.append(
                dict(x=h["epoch"], y=1, yref="paper", text=ev, showarrow=False, textangle=-90,
                     xanchor="right", yanchor="top", font=dict(size=10, color="#555"))
            )  # fmt: skip
    ys = [y for trace in data for y in trace["y"]]
    spec = dict(
        base_layout(title, height, LIGHT_TEMPLATE),
        yaxis=dict(type="log", title=dict(text="loss (MSE, scaled)"), **log_ticks(ys)),
        xaxis=dict(title=dict(text="epoch"), rangemode="tozero"),
        shapes=shapes,
        annotations=notes,
    )
    return go.Figure(dict(data=data, layout=spec))


def _tick_text(v: float) -> str:
    """A tick value written out in full: 0.001, 20, 5000; 1e-5 and 2e6 beyond that."""
    if 1e-4 <= v < 1:
        return f"{v:.3g}"
    if 1 <= v < 1e5:
        return f"{v:.0f}" if v == round(v) else f"{v:.3g}"
    mantissa, exponent = f"{v:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def log_ticks(values: Iterable[float | None], max_ticks: int = 8) -> dict:
    """Tick values and labels for a log axis over ``values`` (its data or its range ends).

    Plotly's own log ticks label the minor ones with bare mantissas ("7 6 5 4 3 2 0.1",
    "1 2 5 10 2 5"); these are only powers of ten (every other one over many decades),
    1-2-5 steps when the data spans under two decades, and evenly spaced round numbers
    within one decade, each labelled with its full value. ``{}`` without positive values.
    """
    vals = [v for v in values if v is not None and math.isfinite(v) and v > 0]
    if not vals:
        return {}
    lo, hi = min(vals), max(vals)
    if hi / lo < 1.01:  # one point or a flat line: round numbers around it
        lo, hi = lo / 1.2, hi * 1.2
    k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))

    def inside(ts: list[float]) -> list[float]:
        return [t for t in ts if lo <= t * (1 + 1e-9) and t <= hi * (1 + 1e-9)]

    step = max(1, math.ceil((k1 - k0 + 1) / max_ticks))
    ticks = [10.0**k for k in range(k0, k1 + 1, step)]
    if len(inside(ticks)) < 2:  # under two decades: 1, 2, 5 per decade
        ticks = [m * 10.0**k for k in range(k0, k1 + 1) for m in (1, 2, 5)]
    if len(inside(ticks)) < 2:  # within a decade: evenly spaced round numbers
        raw = (hi - lo) / 4
        mag = 10.0 ** math.floor(math.log10(raw))
        d = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
        digits = max(0, 2 - math.floor(math.log10(d)))
        first, last = math.floor(lo / d), math.ceil(hi / d)
        ticks = [round(i * d, digits) for i in range(first, last + 1) if i * d > 0]
    return dict(tickmode="array", tickvals=ticks, ticktext=[_tick_text(t) for t in ticks])


def axis_values(fig: go.Figure, axis: str = "y") -> list[float]:
    """Every ``axis`` value ("x" or "y") of the figure's traces, for ``log_ticks``."""
    out: list[float] = []
    for trace in fig.data:
        for v in getattr(trace, axis, None) or ():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                out.append(float(v))
    return out


def _positive(y: float | None) -> float | None:
    """A value a log axis can show, else None (a gap)."""
    return y if y is not None and math.isfinite(y) and y > 0 else None


def series_figure(
    frame: pd.DataFrame,
    column: str,
    spans: dict[str, tuple] | None = None,
    title: str | None = None,
    height: int = 300,
    y_title: str | None = None,
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
    fig.update_yaxes(title=y_title or column)
    fig.update_xaxes(title=frame.index.name or "step")
    return layout(fig, title or column, height)
