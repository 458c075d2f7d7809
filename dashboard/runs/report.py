"""A static HTML report of a forecaster run: loss curves, forecasts vs the naive one and the
gate heatmaps of one validation window, in one file that opens offline (plotly.js inlined,
no external script, style or font), for a slide deck or an e-mail.

``report_html`` is pure (run in, text out); ``download`` is the Runs page's button.
"""

from __future__ import annotations

import html
import json

import plotly.graph_objects as go
import streamlit as st

from core.forecast.run import ForecastRun
from core.gates.view import gate_keys, select, window_gates, window_input
from core.runs.kinds import forecaster as forecaster_runs
from core.runs.store import RunStore
from dashboard.common.figures import loss_figure, plot_config
from dashboard.common.safe_text import md_escape
from dashboard.gates.figures import gate_heatmaps_figure
from dashboard.runs.kept import keep, kept, offer
from dashboard.train.figures import forecast_figure

STYLE = """body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;
max-width:1200px;color:#222;padding:0 16px}h1{font-size:26px}h2{font-size:20px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 10px;
text-align:left}th{background:#f4f4f4}.note{color:#555;font-size:14px}"""


def _figures(run: ForecastRun) -> list[tuple[str, go.Figure, str]]:
    """(heading, figure, caption) of each chart of the report."""
    fit, out = run.fit, []
    if fit is not None and fit.history:
        fig = loss_figure(fit.history, "Training and validation loss", fit.best_epoch, 400)
        out.append(("Loss", fig, "Mean squared error of the scaled target, per epoch."))
    spans = {s: run.predictions(s) for s in ("val", "test") if len(run.prepared.span(s))}
    if spans:
        fig = forecast_figure(spans, run.data_cfg.target, 420)
        out.append(("Forecasts", fig, "One step ahead, in original units, against the naive "
                    "last-value forecast."))  # fmt: skip
    if len(run.prepared.val):
        win = window_input(run, "val", 0)
        keys = gate_keys(run.model_cfg.cell)
        g = select(window_gates(run.model, win.x), 0, 0)
        order = list(range(g["h"].shape[1]))
        title = f"Gates of every unit, layer 1, validation window 0 ({run.model_cfg.cell.upper()})"
        fig = gate_heatmaps_figure(win.raw, g, keys, order, title=title, row_px=140)
        out.append(("Gates", fig, "Recomputed from the model's own weights (core.gates), "
                    "equal to what PyTorch computes."))  # fmt: skip
    return out


def _scores_table(run: ForecastRun) -> str:
    rows = []
    for span in ("val", "test"):
        if not len(run.prepared.span(span)):
            continue
        s = run.scores(span)
        ratio = s["model_mae"] / s["naive_mae"] if s["naive_mae"] else float("nan")
        rows.append(
            f"<tr><td>{span}</td><td>{s['n']}</td><td>{s['model_mae']:.4g}</td>"
            f"<td>{s['naive_mae']:.4g}</td><td>{ratio:.3f}</td></tr>"
        )
    head = "<tr><th>span</th><th>windows</th><th>model MAE</th><th>naive MAE</th><th>ratio</th>"
    return f"<table>{head}</tr>{''.join(rows)}</table>" if rows else ""


def report_html(run: ForecastRun, name: str) -> str:
    """The whole report as one HTML document (about 5 MB: plotly.js is inside it)."""
    e = html.escape
    settings = {
        "data": run.dataset.name,
        "data settings": run.data_cfg.to_dict(),
        "model": run.model_cfg.to_dict(),
        "training": run.train_cfg.to_dict(),
        "epochs run": len(run.fit.history) if run.fit else 0,
    }
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>LSTM Lab report: {e(name)}</title><style>{STYLE}</style></head><body>",
        f"<h1>LSTM Lab run: {e(name)}</h1>",
        f"<p class='note'>A {e(run.model_cfg.cell.upper())} forecaster with "
        f"{run.n_params:,} weights, trained on {e(run.dataset.name)} "
        f"({e(run.data_cfg.target)}, lookback {run.data_cfg.lookback}). Made by LSTM Lab; "
        "this file needs no network: the charts' code is inside it.</p>",
        _scores_table(run),
    ]
    config = json.dumps(plot_config(filename="lstm-lab-report"))
    for i, (heading, fig, caption) in enumerate(_figures(run)):
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=(i == 0),  # inlined once, in the first chart
            config=json.loads(config),
            div_id=f"chart-{i}",
        )
        parts += [f"<h2>{e(heading)}</h2>", div, f"<p class='note'>{e(caption)}</p>"]
    parts.append("<h2>Settings</h2><pre>")
    parts.append(e(json.dumps(settings, indent=1, default=str)))
    parts.append("</pre></body></html>")
    return "\n".join(parts)


def download(store: RunStore, run_id: str, name: str, slug: str) -> None:
    """Build the report of a saved forecaster on request, then offer it for download."""
    key = "_runs_report"
    if st.button("Build the HTML report", key="runs-report-build", icon=":material/summarize:"):
        try:
            keep(key, run_id, html=report_html(forecaster_runs.load(store, run_id), name))
        except (ValueError, OSError) as err:
            st.error(f"Could not build the report: {md_escape(err)}.", icon=":material/error:")
    built = kept(key, run_id)
    if built is not None:
        offer(
            "Report (.html)",
            built["html"],
            f"{slug}-report.html",
            "text/html",
            key="runs-dl-report",
            help="Loss, forecasts and gate heatmaps in one file that opens offline in a browser.",
        )
