"""Small shared UI pieces."""

from __future__ import annotations

import streamlit as st

from core.training.device import describe_device, resolve_device


def device_caption() -> str:
    """Where training would run now: GPU name and memory, or CPU and thread count."""
    from core.training.device import default_threads

    dev = resolve_device("auto")
    info = describe_device(dev)
    if info["type"] == "cpu":
        n = default_threads()
        return f"CPU, {n} training thread{'s' if n != 1 else ''} of {info['cores']} cores"
    return info["label"]


def metric_row(items: dict[str, str]) -> None:
    cols = st.columns(len(items))
    for col, (label, value) in zip(cols, items.items(), strict=True):
        col.metric(label, value)


EXPORT_KEY = "chart-export"  # the modebar camera's format, chosen once in the sidebar


def chart_config(filename: str = "lstm-lab-chart") -> dict:
    """``st.plotly_chart(config=...)`` for every chart: the camera saves PNG (2x) or SVG."""
    from dashboard.common.figures import plot_config

    return plot_config(st.session_state.get(EXPORT_KEY, "png"), filename)


def export_picker() -> None:
    """Sidebar: which format the camera button of every chart saves."""
    from dashboard.common.figures import EXPORT_FORMATS

    st.radio(
        "Chart download (camera icon)", EXPORT_FORMATS, key=EXPORT_KEY, horizontal=True,
        format_func=lambda f: {"png": "PNG (2x)", "svg": "SVG"}[f],
        help="The camera icon above every chart saves it in this format, for slides or print.",
    )  # fmt: skip


def link_box(slot, params: dict[str, str]) -> None:
    """The "Copy link" control: this page's address with its settings (st.code's copy button
    copies it, no network needed)."""
    from dashboard.common.urlstate import full_link

    with slot.container(), st.popover("Copy link to this setup", icon=":material/link:"):
        st.code(full_link(params), language=None, wrap_lines=True)
        st.caption(
            "Opening it fills this page's form the same way; with the same seed on a CPU, "
            "training gives the same curve. Uploaded data stays here."
        )
