"""The Gates page (AppTest): guard, every chart, drawn numbers equal core.gates.compute and
nn.LSTM."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import threading

import numpy as np
import pytest
import torch
from conftest import errors_of, poll, run_page, shown

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import load_sample
from core.forecast.run import build_run, train_run
from core.gates.compute import gru_gates, lstm_gates, rnn_states
from core.gates.probe import attach_probe
from core.gates.view import memory_span, select, unit_order, window_gates, window_input
from core.jobs.threads import training_job
from core.tasks.forecast import forecast_task
from core.training.trainer import Callback
from dashboard.common.jobs import HOLDER_KEY, SessionJobs
from dashboard.gates.cell import gate_latex, num

DATA = DataConfig(target="Close", lookback=15, normalize="ratio")  # as the app's quick demo
TRAIN = TrainConfig(epochs=3, batch_size=64, lr=5e-3)


def _train(model: ModelConfig, probe: bool = True):
    run = build_run(load_sample("MSFT", last=240), DATA, model, TRAIN)
    return train_run(run, [attach_probe(run)] if probe else [])


@pytest.fixture(scope="module")
def lstm_run():
    return _train(ModelConfig(cell="lstm", hidden_size=6, num_layers=2, bidirectional=True))


@pytest.fixture(scope="module")
def gru_run():
    return _train(ModelConfig(cell="gru", hidden_size=5))


@pytest.fixture(scope="module")
def rnn_run():
    return _train(ModelConfig(cell="rnn", hidden_size=4), probe=False)


def _open(app, run):
    app.session_state["run"] = run
    at = run_page(app, "gates.py")
    assert not errors_of(at), errors_of(at)
    return at


def _decode(v):
    """Plotly JSON arrays: plain lists or {"dtype", "bdata", "shape"} typed arrays."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        shape = v.get("shape")
        return a.reshape([int(s) for s in str(shape).split(",")]) if shape else a
    return np.asarray(v)


def _charts(at) -> dict[str, dict]:
    """Charts by their title: the spec JSON of each."""
    out = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        key = spec["layout"]["title"]["text"]
        out[key] = spec
    return out


def _find(at, start: str) -> dict:
    hits = [s for t, s in _charts(at).items() if t.startswith(start)]
    assert len(hits) == 1, list(_charts(at))
    return hits[0]


def _heatmaps(spec: dict) -> dict[str, np.ndarray]:
    """Trace name -> z (H, T) of every heatmap of a figure."""
    return {t["name"]: _decode(t["z"]) for t in spec["data"] if t["type"] == "heatmap"}


def test_without_a_run_the_demo_model_is_shown_with_real_gates(app):
    """Nothing trained: the shipped demo LSTM, labelled, with the gates nn.LSTM computes."""
    from gate_reference import reference

    from core.runs import demo

    at = run_page(app, "gates.py")
    assert not at.exception and not errors_of(at), errors_of(at)
    label = next(shown(i.value) for i in at.info if "Demo model" in shown(i.value))
    assert "scripts/train_demo_models.py" in label and "noisy sine" in label
    assert "Train your own model" in [link.proto.label for link in at.get("page_link")]
    run = demo.load_forecaster(demo.SINE)
    win = window_input(run, "val", 0)  # the page's default window
    ref = reference(run.model.rnn, torch.from_numpy(win.x)[None])  # float64, nn.LSTMCell
    drawn = _heatmaps(_find(at, "i, f, g, o, c, h of every unit (layer 1)"))
    assert set(drawn) >= {"i", "f", "g", "o", "c", "h"}, list(drawn)
    for key in ("i", "f", "g", "o", "c", "h"):
        np.testing.assert_allclose(
            drawn[key], ref[key][0, 0, 0].numpy().T, atol=1e-5, rtol=0, err_msg=key
        )
    # once the session has its own run, the demo is gone
    app.session_state["run"] = _train(ModelConfig(cell="lstm", hidden_size=3), probe=False)
    at = app.run()
    assert not any("Demo model" in shown(i.value) for i in at.info)


def test_lstm_page_draws_the_gates_of_core_and_nn_lstm(app, lstm_run):
    at = _open(app, lstm_run)
    titles = list(_charts(at))
    # heatmaps, traces, saturation, memory span; replay: loss, gate trend, heatmaps
    assert len(titles) == 7, titles
    spec = _find(at, "i, f, g, o, c, h of every unit (layer 1)")
    # default: the first validation window, layer 1, forward, units in index order
    win = window_input(lstm_run, "val", 0)
    x = torch.from_numpy(win.x)[None]
    ref = lstm_gates(lstm_run.model.rnn, x)  # (L, D, 1, T, H)
    drawn = _heatmaps(spec)
    assert list(drawn) == ["i", "f", "g", "o", "c", "h"]
    for key, z in drawn.items():
        assert z.shape == (6, 15)  # units x time
        np.testing.assert_allclose(z, ref[key][0, 0, 0].numpy().T, atol=1e-6)
    # and core.gates.compute equals the fused nn.LSTM
    # (layer 1 feeds layer 2; h of layer 2 is its output)
    out, _ = lstm_run.model.rnn(x)
    top = torch.cat([ref["h"][1, 0, 0], ref["h"][1, 1, 0]], dim=-1)
    torch.testing.assert_close(top, out[0].detach(), atol=1e-5, rtol=0)
    # the input line: the real Close prices on real dates
    line = next(t for t in spec["data"] if t["type"] == "scatter")
    start = int(lstm_run.prepared.val.start[0])
    prices = lstm_run.dataset.frame["Close"].to_numpy()[start - 15 : start]
    np.testing.assert_array_equal(_decode(line["y"]), prices)
    assert line["x"] == [d.strftime("%Y-%m-%d") for d in win.raw.index]
    heat = next(t for t in spec["data"] if t["type"] == "heatmap")
    assert heat["x"] == line["x"] and heat["y"][0] == "unit 0"
    assert "%{z" in heat["hovertemplate"] and "%{y}" in heat["hovertemplate"]


def test_layer_direction_window_and_sort_change_what_is_drawn(app, lstm_run):
    at = _open(app, lstm_run)
    at.selectbox(key="gates-layer").set_value(1)
    at.radio(key="gates-dir").set_value(1)
    at.radio(key="gates-span").set_value("test")
    at.run()
    at.radio(key="gates-by").set_value("index").run()
    at.slider(key="gates-k-test").set_value(7)
    at.selectbox(key="gates-sort").set_value("memory span")
    at.run()
    assert not errors_of(at)
    win = window_input(lstm_run, "test", 7)
    g = select(window_gates(lstm_run.model, win.x), 1, 1)  # layer 2, backward
    order = unit_order(g, "lstm", "memory span")
    spec = _find(at, "i, f, g, o, c, h of every unit (layer 2, backward)")
    drawn = _heatmaps(spec)
    heat = next(t for t in spec["data"] if t["type"] == "heatmap")
    assert heat["y"] == [f"unit {u}" for u in order]
    np.testing.assert_allclose(drawn["f"], g["f"][:, order].T, atol=1e-6)
    mem = _find(at, "Memory span of each unit (layer 2, backward)")
    np.testing.assert_allclose(_decode(mem["data"][0]["y"]), memory_span(g["f"])[order], rtol=1e-9)
    # pick by date: the window predicting that day
    at.radio(key="gates-by").set_value("date").run()
    labels = lstm_run.prepared.index[lstm_run.prepared.test.start]
    at.date_input(key="gates-date-test").set_value(labels[4].date()).run()
    spec = _find(at, "i, f, g, o, c, h of every unit (layer 2, backward)")
    expect = select(window_gates(lstm_run.model, window_input(lstm_run, "test", 4).x), 1, 1)
    np.testing.assert_allclose(_heatmaps(spec)["h"], expect["h"][:, order_of(expect)].T, atol=1e-6)


def order_of(g):
    return unit_order(g, "lstm", "memory span")


def test_epoch_slider_and_play_change_the_replayed_gates(app, lstm_run):
    at = _open(app, lstm_run)
    rec = lstm_run.extras["probe"]
    slider = at.select_slider(key="gates-epoch")
    assert slider.value == 3 and list(slider.options) == ["0", "1", "2", "3"]
    last = _heatmaps(_find(at, "Probe window (validation window 0) after epoch 3"))
    slider.set_value(0).run()
    first = _heatmaps(_find(at, "Probe window (validation window 0) after epoch 0"))
    for key in ("i", "f", "h"):
        np.testing.assert_allclose(first[key], rec.at(0).gates[key][0, 0].astype(np.float32).T)
        np.testing.assert_allclose(last[key], rec.at(3).gates[key][0, 0].astype(np.float32).T)
    assert np.abs(first["h"] - last["h"]).max() > 1e-3  # the slider changed the data drawn
    trend = _find(at, "How the probe window's gates changed")
    mean_f = next(t for t in trend["data"] if t["name"] == "mean f")
    expect = [float(s.gates["f"][0, 0].astype(np.float32).mean()) for s in rec.snapshots]
    np.testing.assert_allclose(_decode(mean_f["y"]), expect, rtol=1e-6)
    assert trend["layout"]["shapes"][0]["x0"] == 0  # the replayed epoch is marked
    # Play advances one epoch per redraw and stops at the end
    at.button(key="gates-play").click().run()
    assert at.select_slider(key="gates-epoch").value == 1
    assert at.button(key="gates-play").label == "Pause"
    at.run()
    at.run()
    at.run()
    assert at.select_slider(key="gates-epoch").value == 3
    assert at.button(key="gates-play").label == "Play"


def test_gru_and_rnn_runs_show_their_own_gates(app, gru_run, rnn_run):
    at = _open(app, gru_run)
    spec = _find(at, "r, z, n, h of every unit (layer 1)")
    x = torch.from_numpy(window_input(gru_run, "val", 0).x)[None]
    ref = gru_gates(gru_run.model.rnn, x)
    drawn = _heatmaps(spec)
    assert list(drawn) == ["r", "z", "n", "h"]
    for key, z in drawn.items():
        np.testing.assert_allclose(z, ref[key][0, 0, 0].numpy().T, atol=1e-6)
    assert "Memory span of each unit (layer 1)" in _charts(at)
    mem = _find(at, "Memory span of each unit (layer 1)")
    assert "mean z" in mem["layout"]["yaxis"]["title"]["text"]
    assert len(_charts(at)) == 7

    at = _open(app, rnn_run)
    drawn = _heatmaps(_find(at, "h of every unit (layer 1)"))
    ref = rnn_states(rnn_run.model.rnn, torch.from_numpy(window_input(rnn_run, "val", 0).x)[None])
    assert list(drawn) == ["h"]
    np.testing.assert_allclose(drawn["h"], ref["h"][0, 0, 0].numpy().T, atol=1e-6)
    assert "memory span" not in at.selectbox(key="gates-sort").options
    assert not any(t.startswith("Memory span") for t in _charts(at))
    assert any(
        "has no gate recording" in shown(i.value) for i in at.info
    )  # trained without the probe


def test_one_cell_by_hand_is_checked_against_lstmcell(app, lstm_run):
    at = _open(app, lstm_run)
    assert _max_diff(at) < 1e-9
    bodies = _latex(at)
    assert len(bodies) == 6 and bodies[0].startswith("f_t = \\sigma")
    at.slider(key="gates-cell-x").set_value(-1.5)
    at.slider(key="gates-cell-bf").set_value(-2.0).run()
    f = 1 / (1 + np.exp(-(0.5 * 0.1 + 0.4 * -1.5 - 2.0)))
    assert _latex(at)[0].endswith(f"= {num(f)}")
    # a unit of the trained model, at one step of the window shown above
    at.radio(key="gates-cell-mode").set_value("a unit of the trained model").run()
    at.selectbox(key="gates-cell-unit").set_value(3)
    at.slider(key="gates-cell-t").set_value(6).run()
    assert not errors_of(at)
    g = window_gates(lstm_run.model, window_input(lstm_run, "val", 0).x)
    h = float(g["h"][0, 0, 6, 3])
    assert _latex(at)[5].endswith(f"= {num(h)}")
    msg = next(s.value for s in at.success if "nn.LSTMCell" in s.value)
    assert _max_diff(at) < 1e-9
    assert f"The heatmap above shows h = {h:.6f}" in msg


def _latex(at) -> list[str]:
    return [el.value.strip("$\n") for el in at.latex]


def _max_diff(at) -> float:
    msg = next(s.value for s in at.success if "nn.LSTMCell" in s.value)
    return float(re.search(r"max \|difference\| = ([0-9.e+-]+)\.", msg).group(1))


def test_gate_latex_substitutes_every_number():
    vals = {"xpart_f": 0.2, "hpart_f": -0.05, "b_f": 1.0, "pre_f": 1.15, "f": 0.7595}
    s = gate_latex("f", vals)
    assert s == (
        r"f_t = \sigma\left(W_{hf}\,h_{t-1} + W_{xf}\,x_t + b_f\right) = "
        r"\sigma\left((-0.0500) + 0.2000 + 1.0000\right) = \sigma(1.1500) = 0.7595"
    )
    scalar = {"x": 0.5, "h": -0.1, "wx": {"f": 0.4}, "wh": {"f": 0.5}}
    assert r"0.50 \cdot (-0.10) + 0.40 \cdot 0.50 + 1.00" in gate_latex("f", vals, scalar)


def test_a_new_run_resets_the_page_selection(app, lstm_run, gru_run):
    at = _open(app, lstm_run)
    at.selectbox(key="gates-layer").set_value(1).run()
    at.session_state["run"] = gru_run  # one layer: the old "layer 2" must not survive
    at.run()
    assert not errors_of(at)
    assert _find(at, "r, z, n, h of every unit (layer 1)")


def test_a_saved_checkpoint_can_be_inspected(app, tmp_path, lstm_run):
    from core.runs.formats.forecaster import save

    sample = load_sample("MSFT", last=2500)  # the session's offline sample
    model = ModelConfig(cell="lstm", hidden_size=4)
    run = train_run(build_run(sample, DATA, model, TRAIN.replace(epochs=1)))
    path = save(run, tmp_path / "run.pt")
    app.session_state["run"] = lstm_run  # earlier work in the session
    at = _open(app, lstm_run)
    at.file_uploader(key="gates_checkpoint").set_value(
        ("run.pt", path.read_bytes(), "application/octet-stream")
    )
    at.run()
    assert not errors_of(at)
    at.radio(key="gates_which").set_value("the opened checkpoint").run()
    spec = _find(at, "i, f, g, o, c, h of every unit (layer 1)")
    x = torch.from_numpy(window_input(run, "val", 0).x)[None]
    ref = lstm_gates(run.model.rnn, x)
    np.testing.assert_allclose(_heatmaps(spec)["f"], ref["f"][0, 0, 0].numpy().T, atol=1e-6)
    assert any("has no gate recording" in shown(i.value) for i in at.info)
    # back to the session's run: it survived
    at.radio(key="gates_which").set_value("the session's trained run").run()
    assert _heatmaps(_find(at, "i, f, g, o, c, h of every unit (layer 1)"))["f"].shape == (6, 15)


def test_bad_checkpoints_get_a_clear_message_and_the_run_survives(app, tmp_path, lstm_run):
    from core.runs.formats.forecaster import save

    at = _open(app, lstm_run)
    at.file_uploader(key="gates_checkpoint").set_value(("x.pt", b"not a checkpoint", "text/plain"))
    at.run()
    assert len(at.error) == 1
    assert shown(at.error[0].value) == (
        "Could not open this checkpoint: this file is not a PyTorch file, not a checkpoint "
        "saved by LSTM Lab (PyTorch's zip format); it was not loaded."
    )
    assert not at.exception
    assert _find(at, "i, f, g, o, c, h of every unit (layer 1)")  # the session run is still shown
    # trained on data this session does not have (the last 240 rows only)
    path = save(lstm_run, tmp_path / "other.pt")
    at.file_uploader(key="gates_checkpoint").set_value(
        ("other.pt", path.read_bytes(), "application/octet-stream")
    )
    at.run()
    assert [shown(e.value) for e in at.error] == [
        "Could not open this checkpoint: this checkpoint was trained on data that is not loaded "
        "in this session (MSFT (offline sample)): open the same data first (Your data or Stocks "
        "page), then the checkpoint."
    ]
    assert _find(at, "i, f, g, o, c, h of every unit (layer 1)")


class _Hold(Callback):
    """Holds a tiny training job at the end of epoch 2 (after its probe snapshot) until the
    test lets it go: it is still training however slowly the page is polled."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def on_epoch_end(self, trainer, record):
        if record["epoch"] == 2:
            self.release.wait(600)


def test_live_gates_while_a_model_trains(app):
    """A running job's latest probe snapshot is drawn, and equals what the run keeps."""
    sample = load_sample("MSFT", last=240)
    hold = _Hold()
    task = forecast_task(
        sample, DATA, ModelConfig(hidden_size=4), TRAIN.replace(epochs=50), callbacks=[hold]
    )
    job = training_job(task, name="live", kind="train", meta={"result_key": "run"})
    holder = SessionJobs()
    holder.jobs["train"] = job
    app.session_state[HOLDER_KEY] = holder
    job.start()
    try:
        at = run_page(app, "gates.py")
        at = poll(at, lambda a: _live_epoch(a) >= 2, timeout=300)
        epoch = _live_epoch(at)
        drawn = _heatmaps(_find(at, "Live: the probe window's gates (layer 1)"))
        assert any("A model is training now" in shown(i.value) for i in at.info)
        # issue 13.8: the live view is the page, not "Train a model first" under it
        assert next(i.value for i in at.info if "training now" in i.value).endswith(
            "The full explorer opens here when training finishes."
        )
        assert not any(i.value.startswith("Train a model first") for i in at.info)
        links = [link.proto.label for link in at.get("page_link")]
        assert "Go to the Train page" not in links and not errors_of(at)  # no guard's link
    finally:
        job.stop()  # seen at the first batch of epoch 3: the run keeps epoch 2
        hold.release.set()
        job.join(300)
    at = poll(at, lambda a: "run" in a.session_state, timeout=300)
    assert not errors_of(at)
    rec = at.session_state["run"].extras["probe"]
    for key in ("i", "f", "g", "o", "c", "h"):
        np.testing.assert_array_equal(
            drawn[key], rec.at(epoch).gates[key][0, 0].astype(np.float32).T
        )
    assert _find(at, "i, f, g, o, c, h of every unit (layer 1)")  # the full explorer now


def _live_epoch(at) -> int:
    for title in _charts(at):
        m = re.match(r"Live: the probe window's gates \(layer 1\) after epoch (\d+)", title)
        if m:
            return int(m.group(1))
    return -1


def test_a_saved_runs_recording_is_replayed(app, lstm_run):
    """Runs reopened from the run store carry only the plain copy of the recording."""
    saved = dataclasses.replace(lstm_run, extras={"probe_data": lstm_run.extras["probe_data"]})
    at = _open(app, saved)
    at.select_slider(key="gates-epoch").set_value(1).run()
    drawn = _heatmaps(_find(at, "Probe window (validation window 0) after epoch 1"))
    expect = lstm_run.extras["probe"].at(1).gates["f"][0, 0].astype(np.float32).T
    np.testing.assert_array_equal(drawn["f"], expect)
