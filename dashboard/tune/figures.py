"""Figures of a study, from its snapshot: Optuna's own plots where it has them (history,
parallel coordinates, importances), styled with the lab's layout, and the learning curves of
every trial (pruned ones marked)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from core.tune.evaluate import as_study
from dashboard.common.figures import COLORS, layout

PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
]
MIN_FOR_IMPORTANCE = 4  # completed trials before importances mean anything


def history_figure(snapshot: dict) -> go.Figure | None:
    """Each finished trial's value and the best so far (optuna.visualization)."""
    from optuna.visualization import plot_optimization_history

    study = as_study(snapshot)
    if not any(t.value is not None for t in study.trials):
        return None
    fig = plot_optimization_history(study, target_name="validation MSE")
    fig.update_traces(selector=dict(mode="markers"), marker=dict(size=9, color=COLORS["train"]))
    fig.update_traces(selector=dict(mode="lines"), line=dict(color=COLORS["model"], width=2))
    layout(
        fig,
        "Optimisation history (validation MSE of each trial)",
        340,
        hovermode="closest",
        xaxis_title="trial",
        yaxis_title="validation MSE (target units)",
        legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0),
        margin=dict(l=60, r=20, t=50, b=80),
    )
    fig.update_xaxes(dtick=1 if len(study.trials) <= 20 else None, rangemode="tozero")
    fig.update_yaxes(type="log")
    return fig


def curves_figure(snapshot: dict) -> go.Figure | None:
    """Every trial's validation loss per epoch; pruned trials dotted and ended with a cross,
    running ones thicker; the best trial in red."""
    trials = [t for t in snapshot.get("trials", []) if t["val_curve"]]
    if not trials:
        return None
    best = (snapshot.get("best") or {}).get("number")
    data = []
    for t in trials:
        xs = [s for s, _ in t["val_curve"]]
        ys = [v if v > 0 else None for _, v in t["val_curve"]]
        pruned, running = t["state"] == "pruned", t["state"] == "running"
        color = COLORS["model"] if t["number"] == best else PALETTE[t["number"] % len(PALETTE)]
        data.append(
            dict(
                type="scatter",
                x=xs,
                y=ys,
                mode="lines",
                name=f"#{t['number']}",
                legendgroup=str(t["number"]),
                showlegend=False,
                opacity=0.45 if pruned else 1.0,
                line=dict(
                    color=color,
                    width=3 if t["number"] == best or running else 1.5,
                    dash="dot" if pruned else "solid",
                ),
                hovertemplate=f"trial {t['number']} ({t['state']})<br>epoch %{{x}}: %{{y:.4g}}"
                "<extra></extra>",
            )
        )
        if pruned:
            data.append(
                dict(
                    type="scatter",
                    x=xs[-1:],
                    y=ys[-1:],
                    mode="markers",
                    marker=dict(symbol="x", size=10, color="#555"),
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
    if any(t["state"] == "pruned" for t in trials):
        data.append(
            dict(
                type="scatter",
                x=[None],
                y=[None],
                mode="markers",
                name="pruned (×)",
                marker=dict(symbol="x", size=10, color="#555"),
            )
        )
    if best is not None:
        data.append(
            dict(
                type="scatter",
                x=[None],
                y=[None],
                mode="lines",
                name="best trial",
                line=dict(color=COLORS["model"], width=3),
            )
        )
    fig = go.Figure(data=data)
    layout(
        fig,
        "Learning curves (validation MSE per epoch)",
        360,
        hovermode="closest",
        xaxis_title="epoch",
        yaxis_title="validation MSE (target units)",
        legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0),
        margin=dict(l=60, r=20, t=50, b=80),
    )
    fig.update_yaxes(type="log")
    return fig


def parallel_figure(snapshot: dict) -> go.Figure | None:
    """Each completed trial as a line across its parameters (optuna.visualization)."""
    from optuna.visualization import plot_parallel_coordinate

    study = as_study(snapshot)
    if sum(t.value is not None for t in study.trials) < 2:
        return None
    fig = plot_parallel_coordinate(study, target_name="val MSE")
    layout(
        fig,
        "Parallel coordinates (each completed trial, coloured by loss)",
        420,
        hovermode="closest",
        margin=dict(l=80, r=80, t=100, b=90),
    )
    return fig


def importance_figure(snapshot: dict) -> go.Figure | None:
    """Which settings mattered (fANOVA, optuna.visualization), once enough trials finished."""
    from optuna.visualization import plot_param_importances

    study = as_study(snapshot)
    done = [t for t in study.trials if t.value is not None]
    if len(done) < MIN_FOR_IMPORTANCE or len({k for t in done for k in t.params}) < 2:
        return None
    fig = plot_param_importances(study, target_name="val MSE")
    fig.update_traces(marker_color=COLORS["train"])
    layout(
        fig,
        "Parameter importances (fANOVA)",
        320,
        hovermode="closest",
        xaxis_title="importance for the validation MSE",
        yaxis_title="",
    )
    return fig


def trial_table(snapshot: dict) -> pd.DataFrame:
    """One row per trial: state, its parameters, value, epochs, duration."""
    rows = []
    for t in snapshot.get("trials", []):
        row = {"trial": t["number"], "state": t["state"]}
        for k, v in t["params"].items():
            row[k] = f"{v:.2g}" if isinstance(v, float) else v
        value = t["value"] if t["state"] == "complete" else None
        row["val MSE"] = value if value is not None and math.isfinite(value) else None
        row["epochs"] = len(t["val_curve"])
        row["seconds"] = round(t["duration_s"], 1) if t.get("duration_s") else None
        row["note"] = t.get("message") or ""
        rows.append(row)
    return pd.DataFrame(rows)
