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
from dashboard.common.safe_text import md_escape
from dashboard.common.ui import chart_config
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
    st.plotly_chart(fig, width="stretch", key=KEY + key, config=chart_config(f"lstm-lab-{key}"))


# -- (a) the gate equations on the live model ---------------------------------------------------
def lstm_run() -> tuple[ForecastRun | None, bool]:
    """The session's LSTM forecaster, else the shipped sine demo; (run, is_demo)."""
    run = state.current_run()
    if run is not None and run.model_cfg.cell == "lstm" and len(run.prepared.val):
        return run, False
    return demo_ui.try_forecaster(demo.SINE), True


def equations(v: dict[str, float], c_prev: float) -> str:
    """The step's equations with its numbers, one aligned LaTeX block."""
    rows = [
        rf"f_t &= \sigma(W_f x_t + U_f h_{{t-1}} + b_f) = {v['f']:.3f}",
        rf"i_t &= \sigma(W_i x_t + U_i h_{{t-1}} + b_i) = {v['i']:.3f}",
        rf"g_t &= \tanh(W_g x_t + U_g h_{{t-1}} + b_g) = {v['g']:.3f}",
        rf"o_t &= \sigma(W_o x_t + U_o h_{{t-1}} + b_o) = {v['o']:.3f}",
        r"c_t &= f_t\, c_{t-1} + i_t\, g_t",
        rf"&= {v['f']:.3f} \cdot {c_prev:.3f} + {v['i']:.3f} \cdot {v['g']:.3f} = {v['c']:.3f}",
        rf"h_t &= o_t \tanh(c_t) = {v['h']:.3f}",
    ]
    return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"


def gate_equations() -> None:
    run, is_demo = lstm_run()
    st.markdown(
        "An LSTM unit keeps a memory, its **cell state c**: the **forget gate f** keeps part of "
        "it, the **input gate i** adds part of a new candidate **g**, the **output gate o** "
        "sets how much the unit shows as its output **h**. One real step of a trained network "
        "(its own numbers, from `core.gates`, equal to what `nn.LSTM` computes):"
    )
    if run is None:
        return
    win = window_input(run, "val", 0)
    g = select(window_gates(run.model, win.x), 0, 0)  # core.gates: key -> (T, H)
    hsz, t_len = g["h"].shape[1], g["h"].shape[0]
    span = memory_span(g["f"])
    left, right = st.columns([1, 1], gap="medium")
    with left:
        c1, c2 = st.columns(2)
        unit = c1.selectbox(
            "Unit",
            range(hsz),
            index=int(np.argmax(span)),
            key=KEY + "unit",
            format_func=lambda u: f"unit {u} (~{span[u]:.0f} steps)",
            help="With its memory span 1 / (1 − mean f); the longest is chosen first.",
        )
        t = c2.slider("Step t", 1, t_len - 1, t_len - 1, key=KEY + "t")
        v = {k: float(g[k][t, unit]) for k in ("i", "f", "g", "o", "c", "h")}
        c_prev = float(g["c"][t - 1, unit])
        st.latex(equations(v, c_prev))
        if is_demo:
            demo_ui.badge(demo.SINE, "Train an LSTM and this step uses yours.")
        else:
            st.caption(f"Your session's model, trained on {md_escape(run.dataset.name)}.")
    with right:
        chart(
            figures.unit_step_figure(range(t_len), g, unit, t, f"Unit {unit}, step {t} marked"),
            "gates",
        )


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
    left, right = st.columns([2, 3], gap="medium")
    with left:
        st.markdown(
            "A new LSTM starts with its forget gate near **0.5**: each step it halves its "
            "memory, so after 20 steps almost nothing of an early input is left, in the memory "
            "or in the gradient training learns from. Starting the forget gate's bias at **1** "
            "(sigmoid(1) ≈ 0.73; the tutorials' advice, Keras's default) keeps both alive."
        )
        bias = st.slider(
            "Forget-gate bias at initialisation", 0.0, 3.0, 1.0, 0.5, key=KEY + "bias",
            help="Against PyTorch's default (about 0): same seed, same other weights.",
        )  # fmt: skip
    profiles = init_profiles(float(bias))
    with right:
        chart(
            figures.gradient_figure(profiles, 20, "Gradient reaching back in time, untrained"),
            "forget-bias",
        )
    a, b = (np.asarray(p) for p in profiles.values())
    text = (
        f"Measured now on the echo task (64 units, seed 0): 20 steps back, the default LSTM "
        f"gets {a[20] / a[0]:.1e} of the last step's gradient, forget bias {bias:g} "
        f"{b[20] / b[0]:.1e}."
    )
    summary = comparison()
    fb1, plain = _val(summary, "LSTM"), _val(summary, "LSTM (PyTorch forget bias)")
    if fb1 is not None and plain is not None:
        trivial = float(summary.task["trivial"])
        text += (
            f" Trained for 320 steps (demo models), forget bias 1 reached "
            f"{fb1 / trivial:.3f}× the trivial loss, the default {plain / trivial:.2f}×: "
            "it learned nothing."
        )
    left.caption(text)


# -- (c) RNN vs LSTM on the echo task -----------------------------------------------------------
def rnn_vs_lstm() -> None:
    left, right = st.columns([2, 3], gap="medium")
    left.markdown(
        "The **echo task**: random numbers stream in, and at the end the network must say the "
        "one it saw **20 steps earlier**. A plain RNN pushes its memory through the same "
        "weights every step, so the signal fades; an LSTM's cell state carries it unchanged "
        "while its forget gate stays open. Same data, seed and budget:"
    )
    summary = comparison()
    if summary is None:
        return
    trivial = float(summary.task["trivial"])
    hist = {a["label"]: a.get("history") or [] for a in summary.archs}
    shown = {k: hist[k] for k in ("RNN", "LSTM") if k in hist}
    with right:
        chart(
            figures.echo_figure(shown, trivial, "Echo, lag 20: validation loss"),
            "echo",
        )
    rnn, lstm = _val(summary, "RNN"), _val(summary, "LSTM")
    with left:
        if rnn is not None and lstm is not None:
            st.caption(
                f"After {summary.budget.get('steps', 320)} Adam steps: RNN {rnn / trivial:.2f}× "
                f"the trivial loss (saying the average every time), LSTM {lstm / trivial:.3f}×. "
                "Over 6 seeds: RNN 1.00-1.05×, LSTM 0.006-0.075×; at lags 5-10 both succeed."
            )
        demo_ui.badge(demo.ECHO)
        st.page_link(COMPARE_PAGE, label="Train them live: RNN vs GRU vs LSTM",
                     icon=":material/compare_arrows:")  # fmt: skip


# -- (d) stock honesty --------------------------------------------------------------------------
def stock_honesty() -> None:
    left, right = st.columns([2, 3], gap="medium")
    left.markdown(
        "A real LSTM on real prices (MSFT daily closes). Its forecast looks impressive: it "
        "hugs the actual close. But so does the **naive** forecast *tomorrow = today*. The "
        "honest question: does the model beat it on days it never saw?"
    )
    run = demo_ui.try_forecaster(demo.MSFT)
    if run is None:
        return
    df = run.predictions("test")
    s = run.scores("test")  # core.forecast.metrics: MAE of the model and of the naive forecast
    with right:
        chart(
            figures.stock_figure(df.tail(60), "MSFT, the last 60 test days", "USD"),
            "stocks",
        )
    ratio = s["model_mae"] / s["naive_mae"]
    hits = directional_accuracy(df.truth, df.prediction, df.naive)
    verdict = "A tie" if abs(ratio - 1) < 0.05 else "Better" if ratio < 1 else "Worse"
    with left:
        st.markdown(
            f"On all {s['n']} test days: LSTM MAE **{s['model_mae']:.2f}** USD, naive "
            f"**{s['naive_mae']:.2f}** USD, ratio **{ratio:.3f}**. {verdict}; it called the "
            f"direction right on {hits:.0%} of days."
        )
        st.caption(
            "Daily moves are close to noise: a model that seems to beat the naive forecast "
            "by a lot usually saw the future (a leak)."
        )
        demo_ui.badge(demo.MSFT)
        st.page_link(STOCKS_PAGE, label="The honest backtest: Stocks",
                     icon=":material/candlestick_chart:")  # fmt: skip


STEPS = [
    Step("gates", "The gate equations, live", gate_equations),
    Step("forget-bias", "Forget-gate bias", forget_bias),
    Step("echo", "RNN vs LSTM on the echo task", rnn_vs_lstm),
    Step("stocks", "Stock honesty", stock_honesty),
]
