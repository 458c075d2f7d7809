"""The RNN vs GRU vs LSTM page in AppTest: real jobs, real models, small budgets."""

from __future__ import annotations

import json

import pytest
from conftest import errors_of, poll, run_page, shown

from core.data import synthetic

RESULT_KEY = "compare_result"


def _small(at, lag: int = 4, epochs: int = 2):
    at.slider(key="cmp-lag").set_value(lag)
    at.select_slider(key="cmp-n").set_value(1024)
    at.slider(key="cmp-epochs").set_value(epochs)
    at.select_slider(key="cmp-hidden").set_value(16)
    return at.run()


def _finished(at) -> bool:
    job = at.session_state["_lstmlab_jobs"].get("compare")
    return job is not None and job.done


def _traces(chart) -> list[str]:
    return [t.get("name") for t in json.loads(chart.proto.spec)["data"]]


def test_page_renders_with_defaults_and_a_hint(app):
    at = run_page(app, "compare.py")
    assert not errors_of(at)
    assert at.title[0].value == "RNN vs GRU vs LSTM"
    assert at.multiselect(key="cmp-archs").value == ["RNN", "GRU", "LSTM"]
    assert at.slider(key="cmp-lag").value == 20
    assert at.checkbox(key="cmp-ortho").value is False
    assert "press **Compare**" in shown(at.info[0].value)
    assert not at.button(key="compare-start").disabled


@pytest.mark.parametrize("task", ["Delayed echo", "Copy / recall"])
def test_compare_trains_side_by_side_and_explains(app, task):
    at = run_page(app, "compare.py")
    at.selectbox(key="cmp-task").set_value(task)
    at = _small(at.run())
    at.button(key="compare-start").click().run()
    assert not errors_of(at)
    at = poll(at, _finished, timeout=300)
    at.run()
    assert not errors_of(at)
    result = at.session_state[RESULT_KEY]
    assert [r.spec.label for r in result.results] == ["RNN", "GRU", "LSTM"]
    assert all(len(r.fit.history) == 2 for r in result.results)
    loss_chart, grad_chart = at.get("plotly_chart")
    names = _traces(loss_chart)
    assert {"RNN", "GRU", "LSTM"} <= set(names)
    trivial = "a constant (the training mean)" if task == "Delayed echo" else "guessing"
    assert any(n.startswith(trivial) for n in names), names
    spec = json.loads(loss_chart.proto.spec)
    assert spec["layout"]["yaxis"]["type"] == "log"
    assert "loss" in spec["layout"]["yaxis"]["title"]["text"]
    assert set(_traces(grad_chart)) == {
        f"{a}, {w}" for a in ("RNN", "GRU", "LSTM") for w in ("at init", "trained")
    }
    table = at.dataframe[0].value
    assert list(table["architecture"]) == ["RNN", "GRU", "LSTM"]
    assert list(table["parameters"]) == [r.n_params for r in result.results]
    assert ("symbols recalled" in table.columns) == (task == "Copy / recall")
    reading = [shown(m.value) for m in at.markdown if m.value.startswith("- Same data")]
    assert reading and "same budget: 2 epochs of batch 128" in reading[0]
    for r in result.results:
        assert f"**{r.spec.label}**" in reading[0]


def test_depth_experiment_trains_each_cell_with_and_without_clipping(app):
    at = run_page(app, "compare.py")
    at.radio(key="cmp-experiment").set_value("Deeper stack, with and without clipping").run()
    at.slider(key="cmp-layers").set_value(2)
    at.selectbox(key="cmp-task").set_value("Adding problem")
    at = _small(at.run())
    at.button(key="compare-start").click().run()
    at = poll(at, _finished, timeout=300)
    at.run()
    assert not errors_of(at)
    labels = [r.spec.label for r in at.session_state[RESULT_KEY].results]
    assert labels == ["RNN ×2, clipped", "RNN ×2, no clip", "LSTM ×2, clipped", "LSTM ×2, no clip"]
    assert list(at.dataframe[0].value["clipping"]) == ["1", "off", "1", "off"]
    assert any("RNN ×2: validation loss" in shown(m.value) for m in at.markdown)


def test_stop_keeps_what_was_trained(app):
    at = run_page(app, "compare.py")
    at = _small(at, lag=10, epochs=60)
    at.button(key="compare-start").click().run()
    at = poll(at, lambda a: any(b.key == "compare-stop" for b in a.button), timeout=300)
    at.button(key="compare-stop").click().run()
    at = poll(at, _finished, timeout=300)
    at.run()
    result = at.session_state[RESULT_KEY]
    assert result.stopped and len(result.results) < 3
    assert any("You stopped the comparison" in shown(m.value) for m in at.markdown)


def test_no_architecture_gives_a_warning_and_no_button(app):
    at = run_page(app, "compare.py")
    at.multiselect(key="cmp-archs").set_value([]).run()
    assert [shown(w.value) for w in at.warning] == [
        "Choose at least one architecture (or cell) to compare."
    ]
    assert at.button(key="compare-start").disabled
    assert not at.exception


def test_bad_data_fails_with_a_message_and_keeps_earlier_work(app):
    tiny = synthetic("sine", n=20, seed=0)
    tiny = type(tiny)(tiny.frame, "tiny upload", {"kind": "upload"})
    app.session_state["datasets"] = {tiny.name: tiny}
    app.session_state["run"] = "an earlier trained run"
    at = run_page(app, "compare.py")
    at.selectbox(key="cmp-task").set_value("A dataset of the lab").run()
    at.selectbox(key="cmp-data").set_value("tiny upload").run()
    at.button(key="compare-start").click().run()
    at = poll(at, _finished, timeout=300)
    at.run()
    assert [shown(e.value) for e in at.error] == [
        "The comparison failed: only 14 training rows for lookback 30 + horizon 1: use a "
        "shorter lookback, a smaller validation/test share or more data. Change the settings "
        "and try again."
    ]
    assert not at.exception
    assert at.session_state["run"] == "an earlier trained run"
    assert "tiny upload" in at.session_state["datasets"]


def test_figure_builders_draw_the_trivial_line_and_relative_gradients():
    from dashboard.compare.figures import gradient_figure, overlay_loss_figure

    hist = {
        "RNN": [{"epoch": 1, "val_loss": 1.0, "train_loss": 1.1}],
        "LSTM": [{"epoch": 1, "val_loss": 0.5, "train_loss": 0.6},
                 {"epoch": 2, "val_loss": 0.01, "train_loss": 0.02}],
    }  # fmt: skip
    fig = overlay_loss_figure(hist, ["RNN", "LSTM"], trivial=0.95, trivial_label="a constant")
    trivial = next(t for t in fig.data if t.name == "a constant: 0.95")
    assert list(trivial.y) == [0.95, 0.95] and list(trivial.x) == [0, 2]
    lo, hi = fig.layout.yaxis.range  # log10 units: every value is inside
    assert 10**lo < 0.01 and 10**hi > 1.1
    assert fig.layout.xaxis.title.text == "epoch"
    g = {"RNN": ([2.0, 0.2, 0.02], [4.0, 1.0, 0.5])}
    rel = gradient_figure(g, ["RNN"], lag=2, relative=True)
    assert [list(t.y) for t in rel.data] == [[1.0, 0.1, 0.01], [1.0, 0.25, 0.125]]
    absolute = gradient_figure(g, ["RNN"], lag=2, relative=False)
    assert [list(t.y) for t in absolute.data] == [[2.0, 0.2, 0.02], [4.0, 1.0, 0.5]]
    assert "relative" not in absolute.layout.yaxis.title.text


def test_lag_sweep_draws_loss_share_against_lag(app):
    at = run_page(app, "compare.py")
    at.radio(key="cmp-experiment").set_value("Lag sweep").run()
    at.multiselect(key="cmp-lags").set_value([2, 5])
    at.select_slider(key="cmp-sn").set_value(1024)
    at.multiselect(key="cmp-archs").set_value(["RNN", "LSTM"])
    at.slider(key="cmp-epochs").set_value(1)
    at.select_slider(key="cmp-hidden").set_value(16)
    at.run().button(key="compare-start").click().run()
    at = poll(at, _finished, timeout=300)
    at.run()
    assert not errors_of(at)
    result = at.session_state[RESULT_KEY]
    assert [run.task.lag for run in result.runs] == [2, 5]
    sweep_chart = at.get("plotly_chart")[0]
    spec = json.loads(sweep_chart.proto.spec)
    assert [t["name"] for t in spec["data"]] == ["RNN", "LSTM"]
    assert [t["x"] for t in spec["data"]] == [[2, 5], [2, 5]]
    assert spec["layout"]["xaxis"]["title"]["text"] == "lag (steps to remember)"
    assert any(m.value.startswith("- **RNN**") for m in at.markdown)


def test_lag_sweep_without_lags_warns(app):
    at = run_page(app, "compare.py")
    at.radio(key="cmp-experiment").set_value("Lag sweep").run()
    at.multiselect(key="cmp-lags").set_value([]).run()
    assert [shown(w.value) for w in at.warning] == ["Choose at least one lag for the sweep."]
    assert at.button(key="compare-start").disabled
