"""Pure builders for the Text generation page: Plotly figures and escaped HTML, no st.* calls.

Every character of user text goes through ``html.escape`` before it reaches markup.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from dashboard.common.figures import COLORS, layout

NEG, POS, ZERO = (33, 102, 172), (178, 24, 43), (255, 255, 255)  # blue, red, white
NAN_COLOR = "rgb(226,230,238)"  # no value (e.g. the prompt of a generation): light grey
BOX_STYLE = (
    "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:15px;"
    "line-height:1.75;white-space:pre-wrap;word-break:break-all;color:#1f2430;"
    "border:1px solid #d9dce3;border-radius:6px;padding:10px 12px;max-height:460px;"
    "overflow-y:auto;background:#fff"
)


def bpc_figure(
    history: Sequence[dict], baselines: dict, title: str = "Bits per character", height: int = 340
) -> go.Figure:
    """Train and validation bits per character by optimizer step, with the two baselines."""
    fig = go.Figure()
    steps = [h["step"] for h in history]
    for key, name, color in (
        ("train_loss", "train (mean since last point)", COLORS["train"]),
        ("val_loss", "validation", COLORS["val"]),
    ):
        ys = [h.get(key) for h in history]
        ys = [y if y is not None and math.isfinite(y) else None for y in ys]
        fig.add_trace(
            go.Scatter(
                x=steps, y=ys, name=name, mode="lines+markers",
                line=dict(color=color, width=2), marker=dict(size=5),
                customdata=[h.get("epoch") for h in history],
                hovertemplate="%{y:.3f} bits/char (epoch %{customdata})",
            )
        )  # fmt: skip
    for key, name, dash in (
        ("uniform_bpc", "uniform guess log2(V)", "dot"),
        ("unigram_bpc", "character frequencies only", "dash"),
    ):
        if baselines.get(key) is not None:
            fig.add_hline(
                y=baselines[key], line=dict(color="#888", dash=dash, width=1.5),
                annotation_text=f"{name}: {baselines[key]:.2f}", annotation_position="top right",
                annotation_font=dict(size=11, color="#555"),
            )  # fmt: skip
    top = max([baselines.get("uniform_bpc") or 0] + [y or 0 for y in fig.data[0].y or []])
    fig.update_yaxes(title="bits per character (lower is better)", range=[0, top * 1.08 + 0.1])
    fig.update_xaxes(title="optimizer step (one chunk of B × T characters)", rangemode="tozero")
    return layout(fig, title, height)


def _rgb(value: float, diverging: bool) -> str:
    """value in [-1, 1] (diverging: blue-white-red) or [0, 1] (white to red)."""
    v = float(np.clip(value, -1.0, 1.0)) if diverging else float(np.clip(value, 0.0, 1.0))
    end = POS if v >= 0 else NEG
    a = abs(v)
    r, g, b = (round(z + (e - z) * a) for z, e in zip(ZERO, end, strict=True))
    return f"rgb({r},{g},{b})"


def colored_text_html(
    text: str,
    values: Sequence[float],
    lo: float,
    hi: float,
    hover: Sequence[str] | None = None,
) -> str:
    """Each character on a background coloured by its value, escaped, with a hover title.

    Values are mapped to [-1, 1] by v / max(|lo|, |hi|) when lo < 0 (blue-white-red),
    else to [0, 1] by (v - lo) / (hi - lo) (white to red); NaN is light grey. A newline
    shows as ↵.
    """
    diverging = lo < 0
    scale = max(abs(lo), abs(hi)) if diverging else (hi - lo)
    scale = scale if scale > 0 else 1.0
    parts = []
    for t, ch in enumerate(text):
        v = values[t] / scale if diverging else (values[t] - lo) / scale
        color = NAN_COLOR if math.isnan(v) else _rgb(v, diverging)
        shown = "↵" if ch == "\n" else html.escape(ch)
        title = f' title="{html.escape(hover[t], quote=True)}"' if hover else ""
        parts.append(
            f'<span style="background-color:{color}"{title}>{shown}</span>'
            + ("\n" if ch == "\n" else "")
        )
    return f'<div style="{BOX_STYLE}">{"".join(parts)}</div>'


def legend_html(lo: float, hi: float, label: str) -> str:
    """A colour bar for colored_text_html (numbers and a fixed label only, no user text)."""
    if lo < 0:
        m = max(abs(lo), abs(hi))
        stops, ticks = f"{_rgb(-1, True)},{_rgb(0, True)},{_rgb(1, True)}", (-m, 0.0, m)
    else:
        stops, ticks = f"{_rgb(0, False)},{_rgb(1, False)}", (lo, (lo + hi) / 2, hi)
    tick_html = "".join(f"<span>{t:+.2f}</span>" if lo < 0 else f"<span>{t:.2f}</span>"
                        for t in ticks)  # fmt: skip
    return (
        '<div style="font-size:13px;color:#1f2430;margin:4px 0 8px 0;max-width:420px">'
        f"<div>{html.escape(label)}</div>"
        f'<div style="height:12px;border:1px solid #ccc;background:linear-gradient(to right,'
        f'{stops})"></div><div style="display:flex;justify-content:space-between">'
        f"{tick_html}</div></div>"
    )


def char_label(ch: str) -> str:
    """How a character reads in a hover text or a table: newline and space spelled out."""
    return {"\n": "newline", " ": "space", "\t": "tab"}.get(ch, ch)


def activation_figure(
    text: str,
    values: np.ndarray,
    feature: np.ndarray | None,
    feature_name: str,
    title: str,
    height: int = 300,
    window: int = 400,
) -> go.Figure:
    """One unit's value by character position, with a text feature on a second axis.

    The x range starts on the first ``window`` characters so single characters stay
    readable; the whole text is in the figure (pan or zoom out).
    """
    hover = [char_label(c) for c in text]
    x = np.arange(len(text))
    fig = go.Figure(
        go.Scatter(
            x=x, y=values, name="activation", mode="lines", line=dict(color=COLORS["model"]),
            customdata=hover, hovertemplate="%{y:.3f} after %{customdata}",
        )
    )  # fmt: skip
    if feature is not None:
        fig.add_trace(
            go.Scatter(
                x=x, y=feature, name=feature_name, yaxis="y2", mode="lines",
                line=dict(color="#7f7f7f", width=1, dash="dot"), hovertemplate="%{y:.0f}",
            )
        )  # fmt: skip
        fig.update_layout(
            yaxis2=dict(title=feature_name, overlaying="y", side="right", showgrid=False)
        )
    fig.update_layout(
        xaxis=dict(title="character position in the text (drag to pan, double-click: all)",
                   range=[-0.5, min(len(text), window) - 0.5]),
        yaxis=dict(title="activation (unitless)"),
    )  # fmt: skip
    return layout(fig, title, height)
