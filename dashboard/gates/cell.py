"""One LSTM cell by hand: the equations with the numbers filled in, checked by nn.LSTMCell.

The LaTeX builders are pure (values in, strings out); ``render`` holds the widgets.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.forecast.run import ForecastRun
from core.gates.by_hand import GATES, check_unit, layer_weights, single_unit, step_inputs
from dashboard.common.urlstate import ctl

KEY = "gates-cell-"
ACT = {"i": r"\sigma", "f": r"\sigma", "g": r"\tanh", "o": r"\sigma"}
# a hand-picked unit that remembers: forget gate open, input gate half open
DEFAULTS = {
    "x": 0.5,
    "h": 0.1,
    "c": 0.8,
    "wx": {"i": 0.9, "f": 0.4, "g": 1.2, "o": 0.7},
    "wh": {"i": -0.3, "f": 0.5, "g": 0.6, "o": 0.2},
    "b": {"i": 0.0, "f": 1.0, "g": 0.0, "o": 0.0},
}


def num(v: float, digits: int = 4) -> str:
    """A number for LaTeX, in parentheses when negative (it is used as a factor)."""
    s = f"{v:.{digits}f}"
    return f"({s})" if v < 0 else s


def gate_latex(q: str, vals: dict, scalar: dict | None = None) -> str:
    """q_t = act(W_hq h_{t-1} + W_xq x_t + b_q) with every number substituted.

    scalar: for a one-input one-unit cell, {"x", "h", "wx": {q: .}, "wh": {q: .}} to show
    the products too; otherwise the dot products W_hq h_{t-1} and W_xq x_t are shown.
    """
    xp, hp, b, pre = vals[f"xpart_{q}"], vals[f"hpart_{q}"], vals[f"b_{q}"], vals[f"pre_{q}"]
    act = ACT[q]
    head = rf"{q}_t = {act}\left(W_{{h{q}}}\,h_{{t-1}} + W_{{x{q}}}\,x_t + b_{q}\right)"
    parts = rf"{act}\left({num(hp)} + {num(xp)} + {num(b)}\right)"
    if scalar is not None:
        wh, h, wx, x = scalar["wh"][q], scalar["h"], scalar["wx"][q], scalar["x"]
        parts = (
            rf"{act}\left({num(wh, 2)} \cdot {num(h, 2)} + {num(wx, 2)} \cdot {num(x, 2)}"
            rf" + {num(b, 2)}\right)"
        )
    return rf"{head} = {parts} = {act}({num(pre)}) = {num(vals[q])}"


def state_latex(vals: dict) -> tuple[str, str]:
    """The cell and hidden-state updates with numbers."""
    c = (
        rf"c_t = f_t\,c_{{t-1}} + i_t\,g_t = {num(vals['f'])} \cdot {num(vals['c_prev'])} + "
        rf"{num(vals['i'])} \cdot {num(vals['g'])} = {num(vals['c'])}"
    )
    h = (
        rf"h_t = o_t \tanh(c_t) = {num(vals['o'])} \cdot \tanh({num(vals['c'])}) = "
        rf"{num(vals['o'])} \cdot {num(vals['tanh_c'])} = {num(vals['h'])}"
    )
    return c, h


def _own_numbers():
    """Sliders: inputs, then 3 weights per gate. Returns (weights, x, h_prev, c_prev, scalar)."""
    c1, c2, c3 = st.columns(3)
    x = c1.slider("input x_t", -2.0, 2.0, DEFAULTS["x"], 0.05, key=KEY + "x")
    h = c2.slider("previous hidden h_(t-1)", -1.0, 1.0, DEFAULTS["h"], 0.05, key=KEY + "h")
    c = c3.slider("previous cell c_(t-1)", -3.0, 3.0, DEFAULTS["c"], 0.05, key=KEY + "c")
    wx, wh, b = [], [], []
    for col, q in zip(st.columns(4), GATES, strict=True):
        col.markdown(f"**gate {q}**")
        wx.append(col.slider(f"W_x{q}", -3.0, 3.0, DEFAULTS["wx"][q], 0.05, key=f"{KEY}wx{q}"))
        wh.append(col.slider(f"W_h{q}", -3.0, 3.0, DEFAULTS["wh"][q], 0.05, key=f"{KEY}wh{q}"))
        b.append(col.slider(f"b_{q}", -3.0, 3.0, DEFAULTS["b"][q], 0.05, key=f"{KEY}b{q}"))
    weights = single_unit(wx, wh, b)
    scalar = {
        "x": x,
        "h": h,
        "wx": dict(zip(GATES, wx, strict=True)),
        "wh": dict(zip(GATES, wh, strict=True)),
    }
    return weights, np.array([x]), np.array([h]), np.array([c]), 0, scalar


def _from_model(run: ForecastRun, gates: dict, x: np.ndarray, layer: int, direction: int, index):
    """A unit of the trained LSTM at one step of the chosen window (inputs from the window)."""
    hsz, t_len = gates["h"].shape[-1], gates["h"].shape[2]
    c1, c2 = st.columns(2)
    unit = c1.selectbox("Unit", range(hsz), **ctl(KEY + "unit"), format_func=lambda u: f"unit {u}")
    t = c2.slider(
        "Step t of the window",
        0,
        t_len - 1,
        t_len - 1,
        key=KEY + "t",
        help="x_t, h_(t-1) and c_(t-1) come from the window shown above.",
    )
    weights = layer_weights(run.model.rnn, layer, direction)
    x_t, h_prev, c_prev = step_inputs(gates, x, layer, direction, t)
    st.caption(
        f"Layer {layer + 1}, {'backward' if direction else 'forward'}, unit {unit}, step {t} "
        f"({index[t]}): x_t has {x_t.size} value(s), h_(t-1) and c_(t-1) have {hsz} (the whole "
        "layer's previous state feeds every unit)."
    )
    return weights, x_t, h_prev, c_prev, unit, None, float(gates["h"][layer, direction, t, unit])


def render(run: ForecastRun, gates: dict, x: np.ndarray, layer: int, direction: int, index) -> None:
    """The section: pick numbers or a trained unit, show every step, check with nn.LSTMCell."""
    modes = ["my own numbers"] + (
        ["a unit of the trained model"] if run.model_cfg.cell == "lstm" else []
    )
    mode = st.radio("Weights and inputs", modes, horizontal=True, key=KEY + "mode")
    if run.model_cfg.cell != "lstm":
        st.caption(
            f"This run is a {run.model_cfg.cell.upper()}: the trained-unit mode needs an LSTM."
        )
    drawn = None
    if mode == "my own numbers":
        weights, x_t, h_prev, c_prev, unit, scalar = _own_numbers()
    else:
        weights, x_t, h_prev, c_prev, unit, scalar, drawn = _from_model(
            run, gates, x, layer, direction, index
        )
    vals, diff = check_unit(weights, unit, x_t, h_prev, c_prev)
    for q in ("f", "i", "g", "o"):
        st.latex(gate_latex(q, vals, scalar))
    for line in state_latex(vals):
        st.latex(line)
    msg = (
        f"Checked against `torch.nn.LSTMCell` with the same weights: h = {vals['h']:.6f}, "
        f"c = {vals['c']:.6f}, max |difference| = {diff:.1e}."
    )
    if drawn is not None:
        msg += f" The heatmap above shows h = {drawn:.6f} for this unit and step."
    (st.success if diff < 1e-6 else st.error)(msg, icon=":material/check_circle:")
