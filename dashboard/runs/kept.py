"""What a Runs-page build button leaves in the session (an ONNX file, a bundle, a report...):
kept under its own key with the run's id, shown only while that run is the one open, and
offered with the same download button everywhere."""

from __future__ import annotations

from typing import Any

import streamlit as st


def keep(key: str, run_id: str, **fields: Any) -> None:
    """Remember a build of run ``run_id`` under ``key`` (replacing the previous one)."""
    st.session_state[key] = {"id": run_id, **fields}


def kept(key: str, run_id: str) -> dict | None:
    """The build kept under ``key`` when it is of run ``run_id``, else None."""
    built = st.session_state.get(key)
    return built if built and built["id"] == run_id else None


def offer(label: str, data: bytes | str, file_name: str, mime: str, key: str, where=st, **kw):
    """The download button of a build (``where``: the page, a column or a container)."""
    return where.download_button(
        label, data, file_name, mime, key=key, icon=":material/download:", **kw
    )
