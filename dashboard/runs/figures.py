"""Pure builders for the Runs page: a table of runs, loss overlays, metric comparisons."""

from __future__ import annotations

import math

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from dashboard.common.figures import COLORS, axis_values, layout, log_ticks

PALETTE = px.colors.qualitative.D3


def _finite(v) -> float | None:
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None


def runs_table(summaries: list[dict]) -> pd.DataFrame:
    """One row per run for st.dataframe (summaries from ``RunInfo.summary()``)."""
    cols = ["name", "kind", "data", "target", "model", "epochs", "best_val_loss", "units"]
    cols += ["test_mae"]
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
                **_baselines_columns(m.get("baselines")),
                "train seconds": _finite(fit.get("seconds")),
                "device": (fit.get("device") or {}).get("label", ""),
            }
        )
    return pd.DataFrame(rows)


def _baselines_columns(report) -> dict:
    """Best method on the test span and the network's MAE / best baseline's (saved runs from
    before the baseline comparison have neither: empty cells)."""
    spans = report.get("spans") if isinstance(report, dict) else None
    test = spans.get("test") if isinstance(spans, dict) else None
    if not isinstance(test, dict) or not isinstance(test.get("scores"), dict):
        return {"best on test": None, "MAE / best baseline": None}
    model = test["scores"].get(report.get("model"))
    rel = _finite(model.get("rel_mae")) if isinstance(model, dict) else None
    return {"best on test": test.get("best"), "MAE / best baseline": rel}


def text_metrics_table(metas: dict[str, dict]) -> pd.DataFrame:
    """Text models side by side (name -> meta.json), losses in bits per character.

    bpc = mean over predicted characters of -log2 p(next char); "unigram bpc" is the
    entropy of the character frequencies (a model without context); "saved vs unigram" =
    1 - bpc_best / bpc_unigram: the share of those bits the network saves (0 = it learned
    nothing beyond how often each character occurs).
    """
    rows = []
    for name, m in metas.items():
        fit, ds, base = m.get("fit") or {}, m.get("dataset") or {}, m.get("baselines") or {}
        best, uni = _finite(fit.get("best_val_loss")), _finite(base.get("unigram_bpc"))
        rows.append(
            {
                "run": name,
                "corpus": ds.get("name", ""),
                "characters": ds.get("chars"),
                "parameters": m.get("n_params"),
                "steps": fit.get("steps"),
                "best val bpc": best,
                "final val bpc": _finite(fit.get("final_val_loss")),
                "unigram bpc": uni,
                "saved vs unigram": 1 - best / uni if best is not None and uni else None,
                "train seconds": _finite(fit.get("seconds")),
                "chars/s": _finite(fit.get("chars_per_s")),
                "device": (fit.get("device") or {}).get("label", ""),
            }
        )
    return pd.DataFrame(rows)


def loss_overlay_figure(
    histories: dict[str, list[dict]],
    show_train: bool = False,
    height: int = 400,
    x_key: str = "epoch",
    x_title: str = "epoch",
    y_title: str = "val loss (MSE, scaled)",
    log_y: bool = True,
    title: str = "Validation loss of the selected runs",
) -> go.Figure:
    """Validation loss per ``x_key`` (epoch, step) of several runs (train loss dotted)."""
    fig = go.Figure()
    for i, (name, history) in enumerate(histories.items()):
        color = PALETTE[i % len(PALETTE)]
        epochs = [h.get(x_key) for h in history]
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
    ticks = log_ticks(axis_values(fig)) if log_y else {}
    fig.update_yaxes(type="log" if log_y else "linear", title=y_title, **ticks)
    xs = [h.get(x_key) for hist in histories.values() for h in hist]
    last = max((x for x in xs if isinstance(x, (int, float))), default=0)
    dtick = 1 if last <= 20 else None  # whole epochs/steps, never 0.5
    fig.update_xaxes(title=x_title, rangemode="tozero", dtick=dtick)
    fig = layout(fig, title, height)
    fig.update_layout(legend=dict(orientation="v", y=1, x=1.02, xanchor="left", yanchor="top"))
    return fig


def mae_ratio_figure(table: pd.DataFrame, height: int | None = None) -> go.Figure:
    """Test MAE of each run divided by the naive last-value baseline's test MAE.

    ratio = MAE_model / MAE_naive: unitless, so runs on different data compare;
    below 1 the model beats repeating the last observed value. One horizontal bar per run:
    run names read along their bars, and the figure grows with the number of runs.
    """
    ratio = table["test MAE"] / table["naive test MAE"].where(table["naive test MAE"] > 0)
    colors = [COLORS["test"] if r < 1 else COLORS["model"] for r in ratio.fillna(1.0)]
    values = [None if pd.isna(r) else float(r) for r in ratio]
    fig = go.Figure(
        go.Bar(
            y=table["run"].tolist(),
            x=values,
            orientation="h",
            name="model MAE ÷ naive MAE",
            marker_color=colors,
            text=[f"{r:.2f}" if pd.notna(r) else "" for r in ratio],
            textposition="inside",  # outside, ratios near 1 sat on the baseline's line
            insidetextanchor="end",
            textfont=dict(color="white"),
            customdata=table[["test MAE", "naive test MAE"]].to_numpy().tolist(),
            hovertemplate="%{y}<br>ratio %{x:.3f}<br>model MAE %{customdata[0]:.4g}"
            "<br>naive MAE %{customdata[1]:.4g}<extra></extra>",
        )
    )
    fig.add_vline(
        x=1.0,
        line=dict(color=COLORS["naive"], dash="dash"),
        annotation_text="naive baseline (last value)",
        annotation_position="top",
    )
    top = max([1.0, *(v for v in values if v is not None)])
    fig.update_xaxes(
        title="test MAE ÷ naive MAE (below 1 is better)", range=[0, top * 1.15], automargin=True
    )
    fig.update_yaxes(autorange="reversed", automargin=True)  # first run on top
    height = height or 150 + 38 * len(table)
    fig = layout(fig, "Test error relative to the naive last-value baseline", height)
    fig.update_layout(hovermode="closest", showlegend=False, margin=dict(t=70, b=60))
    return fig
