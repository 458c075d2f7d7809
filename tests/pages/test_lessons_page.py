"""The Lessons page (AppTest): every step renders with nothing trained, Next through all and
Back again; the gate-equation step shows the demo model's real numbers (core.gates)."""

from __future__ import annotations

import json
import re

import numpy as np
import torch
from conftest import errors_of, run_page, shown
from gate_reference import reference

from core.gates.view import window_input
from core.runs import demo
from dashboard.lessons.steps import STEPS


def _titles(at) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def _step(at) -> str:
    return at.get("subheader")[0].value if at.get("subheader") else ""


def _check_step(at, i: int) -> None:
    assert not at.exception, at.exception
    assert not errors_of(at), errors_of(at)
    assert _step(at) == STEPS[i].title
    assert len(_titles(at)) == 1, _titles(at)  # one live chart per step
    assert at.query_params["step"] in (str(i + 1), [str(i + 1)])


def test_every_step_renders_next_and_back(app):
    at = run_page(app, "lessons.py")
    _check_step(at, 0)
    assert at.button(key="lessons-back-top").disabled
    seen = [_titles(at)[0]]
    for i in range(1, len(STEPS)):
        at = at.button(key="lessons-next-bottom").click().run()
        _check_step(at, i)
        seen.append(_titles(at)[0])
    assert at.button(key="lessons-next-top").disabled
    assert len(set(seen)) == len(STEPS)  # a different chart on each step
    for i in reversed(range(len(STEPS) - 1)):
        at = at.button(key="lessons-back-top").click().run()
        _check_step(at, i)
    # demo models are labelled wherever they appear
    assert any("Demo model" in shown(c.value) for c in at.caption)


def test_a_link_opens_its_step_and_junk_is_ignored(app):
    app.query_params["step"] = "3"
    at = run_page(app, "lessons.py")
    _check_step(at, 2)
    echo = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert {t["name"] for t in echo["data"]} == {"RNN", "LSTM"}


def test_gate_step_shows_the_demo_models_real_gates(app):
    at = run_page(app, "lessons.py")
    run = demo.load_forecaster(demo.SINE)
    win = window_input(run, "val", 0)
    ref = reference(run.model.rnn, torch.from_numpy(win.x)[None])  # nn.LSTMCell, float64
    unit = at.selectbox(key="lessons-unit").value
    t = at.slider(key="lessons-t").value
    latex = " ".join(x.value for x in at.get("latex"))
    rows = latex.split(" \\\\ ")  # the aligned block's rows; the last number is the value
    last = [float(re.findall(r"-?\d+\.\d+", row)[-1]) for row in rows if re.search(r"\d\.\d", row)]
    drawn = dict(zip(("f", "i", "g", "o", "c", "h"), last, strict=True))
    for key, value in drawn.items():
        want = float(ref[key][0, 0, 0, t, unit])
        assert abs(value - want) < 6e-4, (key, value, want)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    f_trace = next(tr for tr in spec["data"] if tr["name"] == "f forget")
    from test_gates_page import _decode

    np.testing.assert_allclose(
        _decode(f_trace["y"]), ref["f"][0, 0, 0, :, unit].numpy(), atol=1e-5, rtol=0
    )


def test_charts_export_as_png_or_svg(app):
    """The camera button of every chart saves PNG by default, SVG once chosen in the sidebar."""
    at = run_page(app, "lessons.py")

    def formats(a):
        return {
            json.loads(c.proto.config)["toImageButtonOptions"]["format"]
            for c in a.get("plotly_chart")
        }

    assert formats(at) == {"png"}
    at.radio(key="chart-export").set_value("svg").run()
    assert formats(at) == {"svg"} and not errors_of(at)
    at = run_page(at, "gates.py")  # the demo model's charts too
    assert len(at.get("plotly_chart")) >= 3 and formats(at) == {"svg"}
