"""Pure builders for the Runs page: a table of runs, loss overlays, metric comparisons."""

from __future__ import annotations

import math

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from dashboard.figures import COLORS, _layout

PALETTE = px.colors.qualitative.D3


def _finite(v) -> float | None:
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None


def runs_table(summaries: list[dict]) -> pd.DataFrame:
    """One row per run for st.dataframe (summaries from ``RunInfo.summary()``)."""
    cols = ["name", "data", "target", "model", "epochs", "best_val_loss", "test_mae"]
    cols += ["created", "device", "pinned"]
    return pd.DataFrame([{c: s.get(c) for c in cols} for s in summaries], columns=cols)


def metrics_table(metas: dict[str, dict]) -> pd.DataFrame:
    """Metrics of selected runs (name -> meta.json): losses, errors in data units, cost.

    skill = 1 - MAE_model / MAE_naive on the test span: > 0 means the model beats
    repeating the last observed value, 0 means it ties, < 0 means it is worse.
    """
    rows = []
    for name, m in metas.items():
        scores = m.get("scores") or {}
        val, test = scores.get("val") or {}, scores.get("test") or {}
        fit = m.get("fit") or {}
        mae, naive = _finite(test.get("model_mae")), _finite(test.get("naive_mae"))
        rows.append(
            {
                "run": name,
                "data": (m.get("dataset") or {}).get("name", ""),
                "parameters": m.get("n_params"),
                "epochs": m.get("n_epochs"),
                "best val loss (MSE, scaled)": _finite(fit.get("best_val_loss")),
                "val MAE": _finite(val.get("model_mae")),
                "test MAE": mae,
                "test RMSE": _finite(test.get("model_rmse")),
                "naive test MAE": naive,
                "skill vs naive": 1 - mae / naive if mae is not None and naive else None,
                "train seconds": _finite(fit.get("seconds")),
                "device": (fit.get("device") or {}).get("label", ""),
            }
        )
    return pd.DataFrame(rows)


def loss_overlay_figure(
    histories: dict[str, list[dict]], show_train: bool = False, height: int = 400
) -> go.Figure:
    """Validation loss per epoch of several runs on one log axis (train loss dotted)."""
    fig = go.Figure()
    for i, (name, history) in enumerate(histories.items()):
        color = PALETTE[i % len(PALETTE)]
        epochs = [h.get("epoch") for h in history]
        keys = [("val_loss", "validation", "solid")]
        if show_train:
            keys.append(("train_loss", "train", "dot"))
        for key, label, dash in keys:
            ys = [_finite(h.get(key)) for h in history]
            ys = [y if y is not None and y > 0 else None for y in ys]
            if not any(y is not None for y in ys):
                continue
            fig.add_trace(
                go.Scatter(
                    x=epochs,
                    y=ys,
                    mode="lines+markers",
                    name=f"{name} · {label}" if show_train else name,
                    line=dict(color=color, width=2, dash=dash),
                    marker=dict(size=4),
                )
            )
    fig.update_yaxes(type="log", title="loss (MSE, scaled units of each run)")
    longest = max((len(h) for h in histories.values()), default=0)
    fig.update_xaxes(title="epoch", rangemode="tozero", dtick=1 if longest <= 20 else None)
    fig = _layout(fig, "Validation loss of the selected runs", height)
    fig.update_layout(legend=dict(orientation="v", y=1, x=1.02, xanchor="left", yanchor="top"))
    return fig


def mae_figure(table: pd.DataFrame, height: int = 360) -> go.Figure:
    """Test MAE of each run next to the naive last-value baseline, in the data's units."""
    fig = go.Figure()
    fig.add_trace(
        go.Bar(x=table["run"], y=table["test MAE"], name="model", marker_color=COLORS["model"])
    )
    fig.add_trace(
        go.Bar(
            x=table["run"],
            y=table["naive test MAE"],
            name="naive (last value)",
            marker_color=COLORS["naive"],
        )
    )
    fig.update_yaxes(title="test MAE (units of each run's target)", rangemode="tozero")
    fig.update_xaxes(title="run")
    fig = _layout(fig, "Test error: model vs naive baseline (lower is better)", height)
    fig.update_layout(barmode="group", hovermode="closest")
    return fig
