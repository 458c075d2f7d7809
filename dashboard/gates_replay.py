"""Gates across training: replay of the probe recording, and the live view while training.

Both draw the probe window (one fixed window, recorded after every epoch by
``core.probe.GateProbe``) with the same heatmap builder as the explorer.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.forecast import ForecastRun
from core.gate_view import gate_keys, select, window_input
from core.probe import GateRecording, gate_trend, recording_of
from dashboard.gates_figures import gate_heatmaps_figure, replay_loss_figure, trend_figure
from dashboard.gates_ui import PLAY, PREFIX, SPAN_NAMES, Choice


def live_view(job) -> None:
    """While a model trains: its probe window's latest gates (layer 1), redrawn every second."""

    @st.fragment(run_every=1.0)
    def body() -> None:
        snap = job.snapshot()
        if job.done:
            st.rerun(scope="app")  # the finished run replaces the live view
        live, frame = snap.get("probe_live"), snap.get("probe_window")
        st.info(
            f"A model is training now: epoch {snap.get('epoch', 0)} of {snap.get('epochs', '?')}"
            f", {snap.get('probe_snapshots', 0)} gate snapshots recorded. The full explorer "
            "opens when it finishes.",
            icon=":material/hourglass_top:",
        )
        if live is None or frame is None:
            return
        gates = {k: v.astype(np.float32) for k, v in live["gates"].items()}
        loss = f", validation loss {live['val_loss']:.4g}" if live.get("val_loss") else ""
        fig = gate_heatmaps_figure(
            frame,
            gates,
            list(gates),
            np.arange(gates["h"].shape[1]),
            title=f"Live: the probe window's gates (layer 1) after epoch {live['epoch']}{loss}",
        )
        st.plotly_chart(fig, width="stretch", key=PREFIX + "live")

    body()


def probe_of(run: ForecastRun) -> GateRecording | None:
    """The run's gate recording (live, or from a saved run), or None when it has none."""
    rec = recording_of(run.extras)
    return rec if rec is not None and len(rec) else None


def replay(run: ForecastRun, rec: GateRecording, choice: Choice) -> None:
    """Epoch slider and play button over the probe recording; redraws itself while playing."""
    playing = bool(st.session_state.get(PLAY))

    @st.fragment(run_every=0.8 if playing else None)
    def body() -> None:
        epochs = rec.epochs
        key = PREFIX + "epoch"
        if st.session_state.get(key) not in epochs:
            st.session_state[key] = epochs[-1]
        if st.session_state.get(PLAY):
            nxt = epochs.index(st.session_state[key]) + 1
            if nxt >= len(epochs):
                st.session_state[PLAY] = False
                st.rerun(scope="app")  # the fragment's timer is set by the full run
            st.session_state[key] = epochs[nxt]
        c1, c2 = st.columns([5, 1], vertical_alignment="bottom")
        epoch = c1.select_slider("Epoch (0 = before training)", options=epochs, key=key)
        label = "Pause" if st.session_state.get(PLAY) else "Play"
        if c2.button(
            label,
            key=PREFIX + "play",
            icon=":material/play_arrow:" if label == "Play" else ":material/pause:",
            width="stretch",
        ):
            if label == "Play" and epoch == epochs[-1]:
                st.session_state[key] = epochs[0]
            st.session_state[PLAY] = label == "Play"
            st.rerun(scope="app")
        draw_snapshot(run, rec, epoch, choice)

    body()


def draw_snapshot(run: ForecastRun, rec: GateRecording, epoch: int, choice: Choice) -> None:
    snap = rec.at(epoch)
    keys = gate_keys(run.model_cfg.cell)
    gates = select(
        {k: v.astype(np.float32) for k, v in snap.gates.items()}, choice.layer, choice.direction
    )
    c_max = None
    if "c" in keys:  # one colour scale for every epoch, so colours compare across the replay
        c_max = max(
            float(np.abs(s.gates["c"][choice.layer, choice.direction]).max()) for s in rec.snapshots
        )
    win = window_input(run, rec.window.span, rec.window.k)
    left, right = st.columns(2)
    if run.fit is not None and run.fit.history:
        fig = replay_loss_figure(run.fit.history, epoch, run.fit.best_epoch)
        left.plotly_chart(fig, width="stretch", key=PREFIX + "replay-loss")
    trend = gate_trend(rec, choice.layer, choice.direction)
    if len(trend) > 1:  # a vanilla RNN has no gates to follow
        right.plotly_chart(trend_figure(trend, epoch), width="stretch", key=PREFIX + "trend")
    loss = f", validation loss {snap.val_loss:.4g}" if snap.val_loss is not None else ""
    fig = gate_heatmaps_figure(
        win.raw,
        gates,
        keys,
        np.arange(gates["h"].shape[1]),
        title=f"Probe window ({SPAN_NAMES[rec.window.span]} window {rec.window.k}) after epoch "
        f"{epoch}{loss}",
        c_max=c_max,
    )
    st.plotly_chart(fig, width="stretch", key=PREFIX + "replay-heatmaps")
