"""Window extraction, gate summaries and the by-hand LSTM step, against references."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import load_sample, synthetic
from core.forecast.run import build_run
from core.gates.by_hand import (
    check_unit,
    layer_weights,
    lstmcell_step,
    single_unit,
    step_by_hand,
    step_inputs,
)
from core.gates.view import (
    SPAN_CAP,
    activity,
    gate_keys,
    memory_span,
    saturation,
    select,
    unit_order,
    unit_saturation,
    window_gates,
    window_input,
)


@pytest.fixture(scope="module")
def run():
    data = load_sample("MSFT", last=200)
    cfg = DataConfig(target="Close", features=("Close", "Open", "Volume"), lookback=10)
    model = ModelConfig(cell="lstm", hidden_size=5, num_layers=2, bidirectional=True)
    return build_run(data, cfg, model, TrainConfig(epochs=1))


def test_window_input_is_the_real_rows_before_the_target(run):
    p = run.prepared
    w = window_input(run, "test", 3)
    start = int(p.test.start[3])
    np.testing.assert_array_equal(w.x, p.test.x[3])
    frame = run.dataset.frame
    cols = list(run.data_cfg.input_columns)
    assert list(w.raw.columns) == cols
    expected = frame[cols].iloc[start - 10 : start]
    np.testing.assert_allclose(w.raw.to_numpy(), expected.to_numpy(), rtol=1e-6)
    assert list(w.raw.index) == list(expected.index)  # real dates, index[start - T + t]
    assert w.target_label == frame.index[start]
    with pytest.raises(ValueError, match=r"^window 999 is outside the val span \(0 to \d+\)$"):
        window_input(run, "val", 999)


def test_window_input_in_ratio_mode_shows_the_original_rows():
    """The network reads x / last - 1 (scaled); the chart still gets the real prices."""
    data = load_sample("MSFT", last=200)
    cfg = DataConfig(target="Close", lookback=10, normalize="ratio")
    r = build_run(data, cfg, ModelConfig(hidden_size=3), TrainConfig(epochs=1))
    w = window_input(r, "val", 5)
    start = int(r.prepared.val.start[5])
    rows = data.frame["Close"].to_numpy()[start - 10 : start]
    np.testing.assert_array_equal(w.raw["Close"].to_numpy(), rows)
    relative = r.prepared.feature_scaler.transform((rows / rows[-1] - 1.0)[:, None])[:, 0]
    np.testing.assert_allclose(w.x[:, 0], relative, rtol=1e-5, atol=1e-6)


def test_window_gates_equal_the_fused_lstm(run):
    w = window_input(run, "val", 0)
    g = window_gates(run.model, w.x)
    assert g["h"].shape == (2, 2, 10, 5) and g["h"].dtype == np.float32
    out, (_, c_n) = run.model.rnn(torch.from_numpy(w.x)[None])
    top = np.concatenate([g["h"][-1, 0], g["h"][-1, 1]], axis=-1)  # (T, D*H)
    np.testing.assert_allclose(top, out[0].detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(g["c"][0, 0, -1], c_n[0, 0].detach().numpy(), atol=1e-5)


def test_saturation_counts_values_beyond_the_bounds():
    v = np.array([[0.05, 0.5, 0.95], [0.1, 0.9, 0.99]])
    assert saturation(v) == (1 / 6, 2 / 6)  # 0.1 and 0.9 themselves are not saturated
    assert saturation(np.array([-0.95, 0.0, 0.95, 0.5]), -0.9, 0.9) == (0.25, 0.25)
    per_unit = unit_saturation({"f": v, "h": np.zeros_like(v)})  # only sigmoid gates count
    np.testing.assert_allclose(per_unit, [0.5, 0.0, 1.0])


def test_memory_span_is_one_over_one_minus_mean_keep():
    f = np.array([[0.9, 0.5, 1.0, 0.0], [0.9, 0.5, 1.0, 0.0]])
    np.testing.assert_allclose(memory_span(f), [10.0, 2.0, SPAN_CAP, 1.0])
    np.testing.assert_allclose(memory_span(np.array([[0.8], [0.9]])), [1 / (1 - 0.85)])


def test_unit_orders_sort_largest_first():
    gates = {
        "f": np.array([[0.2, 0.95, 0.5], [0.2, 0.97, 0.6]]),
        "i": np.full((2, 3), 0.5),
        "h": np.array([[0.1, -0.8, 0.3], [0.1, -0.6, -0.5]]),
    }
    assert unit_order(gates, "lstm", "unit index").tolist() == [0, 1, 2]
    assert (
        unit_order(gates, "lstm", "activity").tolist() == np.argsort(-activity(gates["h"])).tolist()
    )
    assert unit_order(gates, "lstm", "activity").tolist() == [1, 2, 0]
    assert unit_order(gates, "lstm", "memory span").tolist() == [1, 2, 0]
    assert unit_order(gates, "lstm", "saturation").tolist()[0] == 1
    with pytest.raises(ValueError, match=r"^a vanilla RNN has no gate to estimate memory span"):
        unit_order({"h": gates["h"]}, "rnn", "memory span")
    with pytest.raises(ValueError, match=r"^sort must be one of unit index, activity, saturation"):
        unit_order(gates, "lstm", "size")
    with pytest.raises(ValueError, match=r"^cell must be one of lstm, gru, rnn, got 'tcn'$"):
        gate_keys("tcn")


def test_gru_memory_span_uses_the_update_gate():
    data = synthetic("sine", n=200)
    cfg = DataConfig(target="value", lookback=8)
    r = build_run(data, cfg, ModelConfig(cell="gru", hidden_size=4), TrainConfig(epochs=1))
    g = select(window_gates(r.model, window_input(r, "val", 0).x), 0, 0)
    assert set(g) == {"r", "z", "n", "h"}
    np.testing.assert_array_equal(
        unit_order(g, "gru", "memory span"), np.argsort(-memory_span(g["z"]), kind="stable")
    )


@pytest.mark.parametrize("seed", range(5))
def test_step_by_hand_equals_nn_lstmcell(seed):
    rng = np.random.default_rng(seed)
    f, h = 3, 4
    cell = nn.LSTMCell(f, h).double()
    w = layer_weights(_as_lstm(cell), 0, 0)
    x, h_prev, c_prev = rng.normal(size=f), rng.normal(size=h), rng.normal(size=h)
    with torch.no_grad():
        h_ref, c_ref = cell(
            torch.tensor(x)[None], (torch.tensor(h_prev)[None], torch.tensor(c_prev)[None])
        )
    for u in range(h):
        vals, diff = check_unit(w, u, x, h_prev, c_prev)
        assert diff < 1e-12
        assert vals["h"] == pytest.approx(float(h_ref[0, u]), abs=1e-12)
        assert vals["c"] == pytest.approx(float(c_ref[0, u]), abs=1e-12)
        assert vals["pre_f"] == pytest.approx(vals["xpart_f"] + vals["hpart_f"] + vals["b_f"])


def _as_lstm(cell: nn.LSTMCell) -> nn.LSTM:
    lstm = nn.LSTM(cell.input_size, cell.hidden_size, batch_first=True).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(lstm, name + "_l0").copy_(getattr(cell, name))
    return lstm


def test_single_unit_by_hand_matches_the_textbook_numbers():
    w = single_unit([0.9, 0.4, 1.2, 0.7], [-0.3, 0.5, 0.6, 0.2], [0.0, 1.0, 0.0, 0.0])
    vals = step_by_hand(np.array([0.5]), np.array([0.1]), 0.8, w.unit(0))
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    f = sig(0.5 * 0.1 + 0.4 * 0.5 + 1.0)
    i = sig(-0.3 * 0.1 + 0.9 * 0.5)
    g = np.tanh(0.6 * 0.1 + 1.2 * 0.5)
    o = sig(0.2 * 0.1 + 0.7 * 0.5)
    c = f * 0.8 + i * g
    assert vals["f"] == pytest.approx(f) and vals["c"] == pytest.approx(c)
    assert vals["h"] == pytest.approx(o * np.tanh(c))
    h_ref, _ = lstmcell_step(w, np.array([0.5]), np.array([0.1]), np.array([0.8]))
    assert h_ref[0] == pytest.approx(vals["h"], abs=1e-12)


def test_by_hand_steps_reproduce_every_recorded_gate_value(run):
    """Every layer, direction, step and unit of a real window, from its recorded inputs."""
    x = window_input(run, "val", 2).x
    g = window_gates(run.model, x)
    for layer in range(2):
        for d in range(2):
            w = layer_weights(run.model.rnn, layer, d)
            for t in (0, 4, 9):
                x_t, h_prev, c_prev = step_inputs(g, x, layer, d, t)
                assert x_t.shape == ((3,) if layer == 0 else (10,))
                for u in range(5):
                    vals, diff = check_unit(w, u, x_t, h_prev, c_prev)
                    assert diff < 1e-9
                    for key in ("i", "f", "g", "o", "c", "h"):
                        assert vals[key] == pytest.approx(float(g[key][layer, d, t, u]), abs=1e-5)
    with pytest.raises(ValueError, match=r"^step must be between 0 and 9, got 10$"):
        step_inputs(g, x, 0, 0, 10)
    with pytest.raises(TypeError, match=r"^expected a torch\.nn\.LSTM, got GRU$"):
        layer_weights(nn.GRU(2, 2), 0, 0)
    with pytest.raises(ValueError, match=r"^the LSTM has no layer 5 direction 0$"):
        layer_weights(run.model.rnn, 5, 0)
