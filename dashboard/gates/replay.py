"""Gates across training: replay of the probe recording, and the live view while training.

Both draw the probe window (one fixed window, recorded after every epoch by
``core.gates.probe.GateProbe``) with the same heatmap builder as the explorer.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.forecast.run import ForecastRun
from core.gates.probe import GateRecording, gate_trend, recording_of
from core.gates.view import gate_keys, select, window_input
from dashboard.common.ui import chart_config
from dashboard.gates.figures import gate_heatmaps_figure, replay_loss_figure, trend_figure
from dashboard.gates.ui import PLAY, PREFIX, SPAN_NAMES, Choice


def live_view(job, previous: bool = False) -> None:
    """While a model trains: its probe window's latest gates (layer 1), redrawn every second.

    previous: the session already has a trained run, which the explorer below keeps showing.
    """
    then = (
        "The explorer below still shows the previous run; it switches to this one when "
        "training finishes."
        if previous
        else "The full explorer opens here when training finishes."
    )

    @st.fragment(run_every=1.0)
    def body() -> None:
        snap = job.snapshot()
        if job.done:
            st.rerun(scope="app")  # the finished run replaces the live view
        live, frame = snap.get("probe_live"), snap.get("probe_window")
        st.info(
            f"A model is training now: epoch {snap.get('epoch', 0)} of {snap.get('epochs', '?')}"
            f", {snap.get('probe_snapshots', 0)} gate snapshots recorded. {then}",
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
        st.plotly_chart(fig, width="stretch", key=PREFIX + "live", config=chart_config())

    body()


def probe_of(run: ForecastRun) -> GateRecording | None:
    """The run's gate recording (live, or from a saved run), or None when it has none."""
    rec = recording_of(run.extras)
    return rec if rec is not None and len(rec) else None


def replay(run: ForecastRun, rec: GateRecording, choice: Choice) -> None:
    """Epoch slider and play button over the probe recording; redraws itself while playing.

    The button lives outside the fragment: a click reruns the whole page, which sets the
    fragment's timer, and its callback runs before the slider exists, so it may move it.
    """
    epochs, key = rec.epochs, PREFIX + "epoch"
    if st.session_state.get(key) not in epochs:
        st.session_state[key] = epochs[-1]
    playing = bool(st.session_state.get(PLAY))
    st.button(
        "Pause" if playing else "Play",
        key=PREFIX + "play",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        on_click=_toggle_play,
        args=(key, epochs),
        help="Replay the epochs one by one, from the slider's position (from the first "
        "epoch when it is at the last).",
    )

    @st.fragment(run_every=0.8 if playing else None)
    def body() -> None:
        if st.session_state.get(key) not in epochs:
            st.session_state[key] = epochs[-1]
        if st.session_state.get(PLAY):
            nxt = epochs.index(st.session_state[key]) + 1
            if nxt >= len(epochs):
                st.session_state[PLAY] = False
                st.rerun(scope="app")  # the fragment's timer and the button's label
            st.session_state[key] = epochs[nxt]
        epoch = st.select_slider("Epoch (0 = before training)", options=epochs, key=key)
        draw_snapshot(run, rec, epoch, choice)

    body()


def _toggle_play(key: str, epochs: list[int]) -> None:
    """Play/Pause, as a callback: it runs before the slider exists, so it may move it.

    Play from the last epoch starts over at the first one.
    """
    play = not st.session_state.get(PLAY)
    if play and st.session_state.get(key) == epochs[-1]:
        st.session_state[key] = epochs[0]
    st.session_state[PLAY] = play


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
        left.plotly_chart(fig, width="stretch", key=PREFIX + "replay-loss", config=chart_config())
    trend = gate_trend(rec, choice.layer, choice.direction)
    if len(trend) > 1:  # a vanilla RNN has no gates to follow
        right.plotly_chart(
            trend_figure(trend, epoch), width="stretch", key=PREFIX + "trend", config=chart_config()
        )
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
    st.plotly_chart(fig, width="stretch", key=PREFIX + "replay-heatmaps", config=chart_config())
