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
