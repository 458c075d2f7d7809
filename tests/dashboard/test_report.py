"""The static HTML report of a forecaster run: its charts, plotly.js inside (no external script,
style or font), the run's name escaped, and its download on the Runs page."""

from __future__ import annotations

import json
import re

from conftest import errors_of, run_page

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import synthetic
from core.forecast.run import fit_forecaster
from core.runs import demo
from core.runs.kinds import forecaster as forecaster_runs
from dashboard.runs.report import report_html


def _plots(text: str) -> list[dict]:
    """The figure specs Plotly.newPlot receives, in order."""
    out = []
    for m in re.finditer(r'Plotly\.newPlot\(\s*"(chart-\d)",\s*(\[.*?\]),\s*(\{.*?\}),', text):
        out.append({"id": m.group(1), "data": json.loads(m.group(2))})
    return out


def test_report_holds_its_charts_and_needs_no_network():
    run = demo.load_forecaster(demo.SINE)
    text = report_html(run, "<script>alert(1)</script> sine")
    plots = _plots(text)
    assert [p["id"] for p in plots] == ["chart-0", "chart-1", "chart-2"]
    loss, forecast, gates = (p["data"] for p in plots)
    assert {t["name"] for t in loss} >= {"train", "validation"}
    assert {t["name"] for t in forecast} >= {"truth", "model", "naive (last value)"}
    assert {t["name"] for t in gates if t["type"] == "heatmap"} == set("ifgoch")
    # offline: no script, stylesheet or font is fetched; plotly.js is inlined once
    assert not re.search(r"<script[^>]*\bsrc=", text)
    assert not re.search(r"<link\b", text) and "@import" not in text
    assert text.count("Plotly.newPlot(") == 3 and "window.PlotlyConfig" in text
    assert len(text) > 3_000_000  # plotly.js itself is inside
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text


def test_runs_page_offers_the_report_of_a_forecaster(app, store):
    run = fit_forecaster(
        synthetic("sine", n=140),
        DataConfig(target="value", lookback=6),
        ModelConfig(hidden_size=3),
        TrainConfig(epochs=2, batch_size=32),
    )
    forecaster_runs.save(store, run, name="tiny sine")
    at = run_page(app, "runs.py")
    at.button(key="runs-report-build").click().run()
    assert not errors_of(at), errors_of(at)
    button = next(b for b in at.get("download_button") if b.proto.label == "Report (.html)")
    assert button.proto.url  # the file is served
    assert len(_plots(at.session_state["_runs_report"]["html"])) == 3
