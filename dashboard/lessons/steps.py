"""The lesson track's steps: a few plain sentences and one live chart each.

Every number comes from the lab's own code: gates from ``core.gates`` (the one gate
implementation), gradients from ``core.compare.gradients``, forecasts and errors from
``core.forecast``; the trained models are the session's own or the shipped demo models
(``core.runs.demo``), labelled as such. Each step renders with nothing trained.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

from core.compare.gradients import input_gradient_profile
from core.compare.longmemory import make_task
from core.compare.specs import ArchSpec
from core.forecast.evaluation import directional_accuracy
from core.forecast.run import ForecastRun
from core.gates.view import memory_span, select, window_gates, window_input
from core.models.recurrent import RecurrentForecaster
from core.runs import demo
from dashboard.common import demo as demo_ui
from dashboard.common import state
from dashboard.common.figures import plot_config
from dashboard.common.safe_text import md_escape
from dashboard.lessons import figures

KEY = "lessons-"
COMPARE_PAGE = state.PAGES_DIR / "compare.py"
STOCKS_PAGE = state.PAGES_DIR / "stocks.py"
GATES_PAGE = state.PAGES_DIR / "gates.py"


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    render: Callable[[], None]


def chart(fig, key: str) -> None:
    st.plotly_chart(fig, width="stretch", key=KEY + key, config=plot_config(filename=key))


# -- (a) the gate equations on the live model ---------------------------------------------------
def lstm_run() -> tuple[ForecastRun | None, bool]:
    """The session's LSTM forecaster, else the shipped sine demo; (run, is_demo)."""
    run = state.current_run()
    if run is not None and run.model_cfg.cell == "lstm" and len(run.prepared.val):
        return run, False
    return demo_ui.try_forecaster(demo.SINE), True


def gate_equations() -> None:
    run, is_demo = lstm_run()
    st.markdown(
        "An LSTM unit keeps a **cell state** c, a running memory. At every step four gates, "
        "each a number between 0 and 1 (the candidate g between −1 and 1), decide what happens "
        "to it: the **forget gate f** keeps part of the old memory, the **input gate i** lets "
        "in part of the new candidate g, and the **output gate o** decides how much of the "
        "memory the unit shows as its output h. Below is one real step of a trained network."
    )
    if run is None:
        return
    if is_demo:
        demo_ui.label(demo.SINE, "Train an LSTM in the session and this step uses yours.")
    else:
        st.caption(f"Your session's model, trained on {md_escape(run.dataset.name)}.")
    win = window_input(run, "val", 0)
    g = select(window_gates(run.model, win.x), 0, 0)  # core.gates: key -> (T, H)
    hsz, t_len = g["h"].shape[1], g["h"].shape[0]
    span = memory_span(g["f"])
    c1, c2 = st.columns(2)
    unit = c1.selectbox(
        "Unit",
        range(hsz),
        index=int(np.argmax(span)),
        key=KEY + "unit",
        format_func=lambda u: f"unit {u} (remembers ~{span[u]:.0f} steps)",
        help="Listed with its memory span 1 / (1 − mean f); the longest is chosen first.",
    )
    t = c2.slider("Step t of the window", 1, t_len - 1, t_len - 1, key=KEY + "t")
    v = {k: float(g[k][t, unit]) for k in ("i", "f", "g", "o", "c", "h")}
    c_prev, h_prev = float(g["c"][t - 1, unit]), float(g["h"][t - 1, unit])
    left, right = st.columns([2, 3], gap="large")
    with left:
        st.latex(rf"f_t = \sigma(W_f x_t + U_f h_{{t-1}} + b_f) = {v['f']:.3f}")
        st.latex(rf"i_t = \sigma(W_i x_t + U_i h_{{t-1}} + b_i) = {v['i']:.3f}")
        st.latex(rf"g_t = \tanh(W_g x_t + U_g h_{{t-1}} + b_g) = {v['g']:.3f}")
        st.latex(rf"o_t = \sigma(W_o x_t + U_o h_{{t-1}} + b_o) = {v['o']:.3f}")
        st.latex(
            rf"c_t = f_t c_{{t-1}} + i_t g_t = {v['f']:.3f} \cdot {c_prev:.3f} + "
            rf"{v['i']:.3f} \cdot {v['g']:.3f} = {v['c']:.3f}"
        )
        st.latex(rf"h_t = o_t \tanh(c_t) = {v['h']:.3f}")
        st.caption(
            f"Unit {unit}, step {t} of validation window 0; h(t−1) = {h_prev:.3f}. Every "
            "number is the network's own (`core.gates`), equal to what `nn.LSTM` computes."
        )
    with right:
        chart(
            figures.unit_step_figure(
                win.raw.index, g, unit, t, f"Unit {unit}: its gates over the window"
            ),
            "gates",
        )
    st.page_link(GATES_PAGE, label="Every unit and gate: the Gates page", icon=":material/grid_on:")


# -- (b) forget-gate bias -----------------------------------------------------------------------
@st.cache_data(max_entries=16, show_spinner=False)
def init_profiles(bias: float, lag: int = 20, hidden: int = 64, seed: int = 0) -> dict:
    """Gradient reaching each earlier step at initialisation (core.compare.gradients)."""
    task = make_task("echo", lag, n_train=256, n_val=256, seed=seed)
    out = {}
    for name, fb in (("PyTorch's default init", None), (f"forget bias {bias:g}", bias)):
        torch.manual_seed(seed)
        model = RecurrentForecaster(
            ArchSpec(name, "lstm", forget_bias=fb).model_config(task, hidden)
        )
        out[name] = input_gradient_profile(model, task.x_val, task.y_val, task.loss_fn())
    return out


def _val(summary, label: str) -> float | None:
    row = next((a for a in summary.archs if a["label"] == label), None) if summary else None
    return None if row is None else float(row["val_loss"])


def comparison():
    try:
        return demo_ui.comparison()
    except (ValueError, OSError) as e:
        st.warning(f"The demo comparison could not be opened ({md_escape(e)}).")
        return None


def forget_bias() -> None:
    st.markdown(
        "A new LSTM starts with random weights, so its forget gate sits near **0.5**: every "
        "step it halves its memory, and after 20 steps almost nothing of an early input is "
        "left, neither in the memory nor in the gradient that training needs to learn from. "
        "Setting the forget gate's bias to **1** at the start (sigmoid(1) ≈ 0.73; the "
        "tutorials' advice, Keras's default) keeps the memory, and the gradient, alive."
    )
    bias = st.slider(
        "Forget-gate bias at initialisation", 0.0, 3.0, 1.0, 0.5, key=KEY + "bias",
        help="Compared with PyTorch's default (about 0): same seed, same other weights.",
    )  # fmt: skip
    profiles = init_profiles(float(bias))
    chart(
        figures.gradient_figure(
            profiles, 20, "How much learning signal reaches back in time (untrained LSTM)"
        ),
        "forget-bias",
    )
    a, b = (np.asarray(p) for p in profiles.values())
    text = (
        f"Measured now on the echo task (64 units, seed 0): 20 steps back the default LSTM "
        f"gets {a[20] / a[0]:.1e} of the last step's gradient, the forget-bias-{bias:g} one "
        f"{b[20] / b[0]:.1e}."
    )
    summary = comparison()
    fb1, plain = _val(summary, "LSTM"), _val(summary, "LSTM (PyTorch forget bias)")
    if fb1 is not None and plain is not None:
        trivial = float(summary.task["trivial"])
        text += (
            f" Trained for 320 steps (demo models), the forget-bias-1 LSTM reached "
            f"{fb1 / trivial:.3f}× the trivial loss, the default one {plain / trivial:.2f}×: "
            "it learned nothing."
        )
    st.caption(text)


# -- (c) RNN vs LSTM on the echo task -----------------------------------------------------------
def rnn_vs_lstm() -> None:
    st.markdown(
        "The **echo task**: a stream of random numbers goes in, and at the end the network must "
        "say the number it saw **20 steps earlier**. A plain RNN squashes its memory through "
        "the same weights at every step, so the signal fades; an LSTM's cell state can carry "
        "it unchanged, as long as its forget gate stays open. Same data, seed and budget:"
    )
    summary = comparison()
    if summary is None:
        return
    demo_ui.label(demo.ECHO, "The Compare page trains them live.")
    trivial = float(summary.task["trivial"])
    hist = {a["label"]: a.get("history") or [] for a in summary.archs}
    shown = {k: hist[k] for k in ("RNN", "LSTM") if k in hist}
    chart(
        figures.echo_figure(shown, trivial, "Echo, lag 20: the LSTM learns it, the RNN never does"),
        "echo",
    )
    rnn, lstm = _val(summary, "RNN"), _val(summary, "LSTM")
    if rnn is not None and lstm is not None:
        st.caption(
            f"After {summary.budget.get('steps', 320)} Adam steps: RNN {rnn / trivial:.2f}× the "
            f"trivial loss (saying the average every time), LSTM {lstm / trivial:.3f}×. Over 6 "
            "seeds the RNN ended at 1.00-1.05×, the LSTM at 0.006-0.075× (README); at lags "
            "5-10 both succeed, so the gap is about long memory."
        )
    st.page_link(COMPARE_PAGE, label="Train them live: RNN vs GRU vs LSTM",
                 icon=":material/compare_arrows:")  # fmt: skip


# -- (d) stock honesty --------------------------------------------------------------------------
def stock_honesty() -> None:
    st.markdown(
        "Now a real LSTM on real stock prices (MSFT daily closes). Its forecast chart looks "
        "impressive, the red line hugs the black one, but so does the **naive** forecast "
        "*tomorrow = today*. The honest question is always: does the model beat the naive "
        "forecast on days it never saw?"
    )
    run = demo_ui.try_forecaster(demo.MSFT)
    if run is None:
        return
    demo_ui.label(demo.MSFT, "The Stocks page runs a full walk-forward backtest.")
    df = run.predictions("test")
    s = run.scores("test")  # core.forecast.metrics: MAE of the model and of the naive forecast
    last = df.tail(60)
    chart(
        figures.stock_figure(last, "MSFT, the last 60 test days: LSTM vs naive", "close (USD)"),
        "stocks",
    )
    ratio = s["model_mae"] / s["naive_mae"]
    hits = directional_accuracy(df.truth, df.prediction, df.naive)
    st.caption(
        f"On all {s['n']} test days: LSTM MAE {s['model_mae']:.2f} USD, naive "
        f"{s['naive_mae']:.2f} USD, ratio {ratio:.3f}. "
        f"{'A tie' if abs(ratio - 1) < 0.05 else 'Better' if ratio < 1 else 'Worse'}: "
        f"it called the direction right on {hits:.0%} of days. Daily moves are close to "
        "noise; a model that seems to beat the naive forecast by a lot usually saw the future."
    )
    st.page_link(STOCKS_PAGE, label="The honest backtest: Stocks",
                 icon=":material/candlestick_chart:")  # fmt: skip


STEPS = [
    Step("gates", "The gate equations, live", gate_equations),
    Step("forget-bias", "Forget-gate bias", forget_bias),
    Step("echo", "RNN vs LSTM on the echo task", rnn_vs_lstm),
    Step("stocks", "Stock honesty", stock_honesty),
]
