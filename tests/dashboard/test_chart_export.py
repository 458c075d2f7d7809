"""Every chart can be saved for slides (issue 18): each ``plotly_chart`` call in the dashboard
and the pages passes the shared ``chart_config()`` (the camera saves PNG 2x or SVG), and that
config really names the chosen format."""

from __future__ import annotations

import ast

from conftest import ROOT

from dashboard.common.figures import plot_config


def chart_calls():
    for top in ("dashboard", "pages"):
        for path in sorted((ROOT / top).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "plotly_chart"
                ):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", node


def test_every_chart_passes_the_export_config():
    calls = list(chart_calls())
    assert len(calls) > 30  # the scan sees the app's charts
    missing = [
        where
        for where, node in calls
        if not any(
            k.arg == "config"
            and isinstance(k.value, ast.Call)
            and getattr(k.value.func, "id", "") == "chart_config"
            for k in node.keywords
        )
    ]
    assert not missing, f"charts without config=chart_config(): {missing}"


def test_the_config_saves_the_chosen_format():
    for fmt in ("png", "svg"):
        options = plot_config(fmt, "lstm-lab-x")["toImageButtonOptions"]
        assert options["format"] == fmt and options["filename"] == "lstm-lab-x"
