"""Pure Plotly builders for the Sentiment page: data in, go.Figure out, no Streamlit calls.

Words on an axis are placed at positions 1..T with the words as tick labels (a sentence
can repeat a word). Tokens are single words or single punctuation marks, so no markup can
form inside a label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.common.figures import COLORS, layout

SCORE_COLORS = {"model": COLORS["model"], "bag_of_words": "#9467bd", "majority": COLORS["naive"]}
SCORE_NAMES = {"model": "LSTM model", "bag_of_words": "bag of words + logistic regression",
               "majority": "majority class"}  # fmt: skip
GATE_COLORS = {"i": "#2ca02c", "f": "#1f77b4", "o": "#ff7f0e", "g": "#8c564b",
               "r": "#d62728", "z": "#1f77b4", "n": "#8c564b"}  # fmt: skip
SIGMOID_GATES = ("i", "f", "o", "r", "z")
GATE_LEGEND = {"i": "input gate i", "f": "forget gate f", "o": "output gate o",
               "r": "reset gate r", "z": "update gate z"}  # fmt: skip


def _finite(values: Sequence) -> list:
    return [v if v is not None and math.isfinite(v) else None for v in values]


def plain(text: str) -> str:
    """User text in a figure title: angle brackets as entities, so Plotly draws no tags."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def word_labels(words: Sequence[str], known: Sequence[bool]) -> list[str]:
    """Tick labels: out-of-vocabulary words get a trailing * (they were read as <unk>)."""
    return [w if k else f"{w}*" for w, k in zip(words, known, strict=True)]


def curves_figure(
    history: list[dict], baselines: dict[str, float] | None = None, title: str = "Training"
) -> go.Figure:
    """Cross-entropy (left) and accuracy (right) per epoch, train and validation; the
    baselines' test accuracy as dashed lines for scale."""
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("loss (cross-entropy)", "accuracy"), horizontal_spacing=0.1
    )
    epochs = [h["epoch"] for h in history]
    splits = (("train", "train", COLORS["train"]), ("val", "validation", COLORS["val"]))
    for split, name, color in splits:
        for col, key, scale in ((1, f"{split}_loss", 1.0), (2, f"{split}_acc", 100.0)):
            ys = _finite([h.get(key) for h in history])
            fig.add_trace(
                go.Scatter(
                    x=epochs,
                    y=[y * scale if y is not None else None for y in ys],
                    mode="lines+markers",
                    name=name,
                    legendgroup=split,
                    showlegend=col == 1,
                    line=dict(color=color, width=2),
                    marker=dict(size=6),
                ),
                row=1,
                col=col,
            )
    for key, acc in (baselines or {}).items():
        if acc is None or not math.isfinite(acc):
            continue
        fig.add_trace(
            go.Scatter(
                x=[0.5, max(epochs, default=1) + 0.5],
                y=[acc * 100, acc * 100],
                mode="lines",
                name=f"{SCORE_NAMES.get(key, key)} (test)",
                line=dict(color=SCORE_COLORS.get(key, "#999"), dash="dash", width=1.5),
            ),
            row=1,
            col=2,
        )
    fig.update_xaxes(title="epoch", dtick=1 if len(epochs) <= 20 else None)
    fig.update_yaxes(title="loss (nats per sentence)", row=1, col=1)
    fig.update_yaxes(title="accuracy (%)", row=1, col=2)
    layout(fig, plain(title), 400)
    # legend under the plots: above them it would cover the subplot titles
    fig.update_layout(
        legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="center", x=0.5),
        margin=dict(t=70, b=90),
    )
    return fig


def scores_figure(results: dict[str, dict]) -> go.Figure:
    """Accuracy and macro F1 on the test split: the model next to both baselines."""
    fig = go.Figure()
    for key in ("model", "bag_of_words", "majority"):
        if key not in results:
            continue
        vals = [results[key]["accuracy"] * 100, results[key]["macro_f1"] * 100]
        fig.add_trace(
            go.Bar(
                x=["accuracy", "macro F1"],
                y=vals,
                name=SCORE_NAMES[key],
                marker_color=SCORE_COLORS[key],
                text=[f"{v:.1f}%" for v in vals],
                textposition="outside",
            )
        )
    fig.update_yaxes(title="score on the test split (%)", range=[0, 105])
    layout(fig, "Test scores: model vs baselines", 380)
    fig.update_layout(
        barmode="group",
        hovermode="closest",
        legend=dict(orientation="h", yanchor="top", y=-0.15, xanchor="center", x=0.5),
        margin=dict(b=100),
    )
    return fig


def confusion_figure(scores: dict, title: str) -> go.Figure:
    """Counts of (true class, predicted class) with each cell's share of its true class."""
    m = np.asarray(scores["confusion"], dtype=float)  # (C, C), rows = true class
    classes = scores["classes"]
    share = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    text = [[f"{int(m[i, j])}<br>{share[i, j]:.0%}" for j in range(len(classes))]
            for i in range(len(classes))]  # fmt: skip
    fig = go.Figure(
        go.Heatmap(
            z=share * 100,
            x=classes,
            y=classes,
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=100,
            colorbar=dict(title="% of true class"),
            hovertemplate="true %{y}<br>predicted %{x}<br>%{text}<extra></extra>",
        )
    )
    fig.update_xaxes(title="predicted class", type="category")
    fig.update_yaxes(title="true class", type="category", autorange="reversed")
    fig.update_layout(hovermode="closest")
    return layout(fig, title, 320)


def probability_figure(classes: Sequence[str], probs: Sequence[float]) -> go.Figure:
    """The predicted probability of each class for one sentence."""
    probs = [float(p) * 100 for p in probs]
    best = int(np.argmax(probs))
    fig = go.Figure(
        go.Bar(
            x=probs,
            y=list(classes),
            orientation="h",
            marker_color=[COLORS["model"] if i == best else "#bbbbbb" for i in range(len(probs))],
            text=[f"{p:.1f}%" for p in probs],
            textposition="auto",
            hovertemplate="%{y}: %{x:.1f}%<extra></extra>",
        )
    )
    fig.update_xaxes(title="predicted probability (%)", range=[0, 100])
    fig.update_yaxes(title="class", type="category")
    fig.update_layout(hovermode="closest")
    return layout(fig, "Prediction", 60 + 45 * len(probs) + 60)


def attention_figure(labels: Sequence[str], weights: Sequence[float]) -> go.Figure:
    """Attention weight of every word (they sum to 100%)."""
    pos = list(range(1, len(labels) + 1))
    fig = go.Figure(
        go.Bar(
            x=pos,
            y=[float(w) * 100 for w in weights],
            marker_color="#9467bd",
            customdata=list(labels),
            hovertemplate="%{customdata}: %{y:.1f}%<extra></extra>",
        )
    )
    fig.update_xaxes(title="word", tickvals=pos, ticktext=list(labels), tickangle=-45)
    fig.update_yaxes(title="attention weight (%)", rangemode="tozero")
    fig.update_layout(hovermode="closest")
    return layout(fig, "Attention: which words the classifier reads from", 320)


def word_gates_figure(table: pd.DataFrame, labels: Sequence[str], keys: Sequence[str]) -> go.Figure:
    """Mean gate value over the units, word by word (one line per gate)."""
    pos = list(range(1, len(labels) + 1))
    fig = go.Figure()
    for key in keys:
        fig.add_trace(
            go.Scatter(
                x=pos,
                y=table[f"mean {key}"],
                mode="lines+markers",
                name=GATE_LEGEND.get(key, key),
                line=dict(color=GATE_COLORS.get(key, "#444"), width=2),
                customdata=list(labels),
                hovertemplate="%{customdata}: %{y:.2f}<extra>" + key + "</extra>",
            )
        )
    fig.update_xaxes(title="word", tickvals=pos, ticktext=list(labels), tickangle=-45)
    fig.update_yaxes(title="mean over units (0 closed, 1 open)", range=[0, 1.02])
    fig.update_layout(hovermode="closest")
    return layout(fig, "Gates word by word (mean over units)", 340)


def gate_heatmap(values: np.ndarray, labels: Sequence[str], key: str, title: str) -> go.Figure:
    """One gate or state of one layer/direction: units (rows) x words (columns).

    values: (T, H). Sigmoid gates use a 0..1 scale, the others a diverging -1..1 scale
    (the cell state c is unbounded: its scale follows its largest magnitude).
    """
    t_len, h = values.shape
    pos = list(range(1, t_len + 1))
    if key in SIGMOID_GATES:
        scale, zmin, zmax = "Viridis", 0.0, 1.0
    else:
        bound = max(1.0, float(np.abs(values).max())) if key == "c" else 1.0
        scale, zmin, zmax = "RdBu", -bound, bound
    fig = go.Figure(
        go.Heatmap(
            z=values.T,  # (H, T)
            x=pos,
            y=list(range(h)),
            colorscale=scale,
            zmin=zmin,
            zmax=zmax,
            colorbar=dict(title=key),
            customdata=np.tile(np.array(labels, dtype=object), (h, 1)),
            hovertemplate="word %{customdata}<br>unit %{y}<br>"
            + key
            + " = %{z:.3f}<extra></extra>",
        )
    )
    fig.update_xaxes(title="word", tickvals=pos, ticktext=list(labels), tickangle=-45)
    fig.update_yaxes(title="hidden unit")
    fig.update_layout(hovermode="closest")
    return layout(fig, plain(title), max(320, 14 * h + 160))
