"""Gates: the real gate values of the session's trained network, window by window."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.gates.view import (
    KEEP_GATE,
    gate_keys,
    memory_span,
    saturation,
    saturation_bounds,
    select,
    unit_order,
    window_input,
)
from dashboard.common import demo, jobs, state
from dashboard.common.safe_text import md_escape
from dashboard.common.ui import chart_config
from dashboard.common.urlstate import ctl
from dashboard.gates import cell as cell_ui
from dashboard.gates import link as gates_link
from dashboard.gates import replay as gates_replay
from dashboard.gates import ui as gates_ui
from dashboard.gates.figures import (
    NAMES,
    gate_heatmaps_figure,
    memory_span_figure,
    saturation_figure,
    time_labels,
    unit_traces_figure,
)

RELATIVE = {  # what the network reads, when it is not the scaled level the chart shows
    "ratio": " The network reads each value relative to the window's last one (x / last − 1).",
    "diff": " The network reads each value minus the window's last one.",
}

st.title("Gates")
job = jobs.holder().get("train")
training = job is not None and not job.done
if training:
    gates_replay.live_view(job, previous=state.current_run() is not None)
run = gates_ui.pick_run()
if run is None and training:
    st.stop()  # the live view is the page until the first run finishes, then the explorer
if run is None:  # nothing trained yet: the shipped demo model, labelled as such
    run, _ = demo.session_or_demo()
gates_ui.reset_on_new_run(run)
gates_link.bind(run)  # the link's tab, window, layer and units (first visit of the session)
cfg = run.model_cfg
keys = gate_keys(cfg.cell)
st.caption(
    f"{cfg.cell.upper()} · {cfg.num_layers} layer(s) × {cfg.hidden_size} units"
    f"{' × 2 directions' if cfg.bidirectional else ''} · trained on {md_escape(run.dataset.name)} "
    f"({md_escape(run.data_cfg.target)}, lookback {run.data_cfg.lookback}). Every value below is "
    "recomputed from the model's own weights (`core.gates`), equal to what `nn."
    f"{cfg.cell.upper() if cfg.cell != 'rnn' else 'RNN'}` computes."
    + RELATIVE.get(run.data_cfg.normalize, "")
)

choice = gates_ui.window_picker(run)
win = window_input(run, choice.span, choice.k)
all_gates = gates_ui.gates_of(run, choice.span, choice.k)  # key -> (L, D, T, H)
g = select(all_gates, choice.layer, choice.direction)  # key -> (T, H)
order = unit_order(g, cfg.cell, choice.sort)
where = f"layer {choice.layer + 1}{', backward' if choice.direction else ''}"
tabs = st.tabs(gates_link.TABS, key=gates_link.TAB_KEY, on_change="rerun")

with tabs[0]:
    if cfg.cell == "rnn":
        st.caption("A vanilla RNN has no gates: its hidden state h is all there is to see.")
    st.plotly_chart(
        gate_heatmaps_figure(
            win.raw,
            g,
            keys,
            order,
            title=f"{', '.join(NAMES[k].split()[-1] for k in keys)} of every unit ({where}), "
            f"units sorted by {choice.sort}",
        ),
        width="stretch",
        key="gates-heatmaps",
        config=chart_config(),
    )

with tabs[1]:
    trace_keys = [k for k in keys if k != "g" and k != "n"] or list(keys)
    units = st.multiselect(
        "Units to follow",
        [int(u) for u in order],
        default=[int(u) for u in order[:4]],
        format_func=lambda u: f"unit {u}",
        **ctl("gates-units"),
        help=f"Listed by {choice.sort}, largest first.",
    )
    if units:
        st.plotly_chart(
            unit_traces_figure(
                win.raw.index,
                g,
                trace_keys,
                units,
                title=f"Selected units over the window ({where})",
            ),
            width="stretch",
            key="gates-traces",
            config=chart_config(),
        )
    else:
        st.info("Pick at least one unit to see its traces.")

with tabs[2]:
    bounded = [k for k in keys if k != "c"]  # the cell state is unbounded: no saturation
    shares = {k: saturation(g[k], *saturation_bounds(k)) for k in bounded}
    bounds = {k: saturation_bounds(k) for k in bounded}
    st.plotly_chart(
        saturation_figure(shares, bounds, title=f"How saturated each gate is ({where})"),
        width="stretch",
        key="gates-saturation",
        config=chart_config(),
    )
    st.caption(
        "Sigmoid gates (0 to 1) count as saturated below 0.1 or above 0.9; tanh values "
        "(−1 to 1) below −0.9 or above 0.9. A saturated gate is a switch, fully shut or open."
    )
    if cfg.cell in KEEP_GATE:
        gate = KEEP_GATE[cfg.cell]
        span = memory_span(g[gate])
        st.plotly_chart(
            memory_span_figure(
                span,
                order,
                run.data_cfg.lookback,
                gate=gate,
                title=f"Memory span of each unit ({where})",
            ),
            width="stretch",
            key="gates-memory",
            config=chart_config(),
        )
        st.caption(
            f"With a {NAMES[gate]} value a, an input's weight after k steps is a^k, and "
            f"1 + a + a² + … = 1 / (1 − a): the number of steps the unit effectively remembers. "
            f"Median over units: {np.median(span):.1f} steps."
        )

with tabs[3]:
    rec = gates_replay.probe_of(run)
    if rec is None:
        st.info(
            "This run has no gate recording (it was trained outside the app or loaded from a "
            "checkpoint). Train a model in the app to replay its gates epoch by epoch.",
            icon=":material/info:",
        )
    else:
        st.caption(
            f"While training, the gates of one fixed window were recorded after every epoch "
            f"({len(rec)} snapshots kept, {rec.nbytes / 2**20:.1f} MiB, "
            f"{rec.seconds:.2f} s of recording). Press Play to watch them organise."
        )
        gates_replay.replay(run, rec, choice)

with tabs[4]:
    st.caption(
        "One step of one LSTM unit, by hand: the tutorials' equations with every number "
        "filled in, and the result compared with PyTorch's `nn.LSTMCell`."
    )
    cell_ui.render(
        run, all_gates, win.x, choice.layer, choice.direction, time_labels(win.raw.index)
    )
