"""What happened to a finished job's run in the runs folder, told where it was trained."""

from __future__ import annotations

import streamlit as st

from dashboard.common.safe_text import md_escape


def save_notes(snap: dict) -> None:
    """A failed save (the run stays in memory) and the older runs the limits removed."""
    if snap.get("save_warning"):
        st.warning(md_escape(snap["save_warning"]), icon=":material/save:")
    if snap.get("save_notice"):
        st.info(md_escape(snap["save_notice"]), icon=":material/auto_delete:")


def eviction_note(snap: dict) -> None:
    """Only the older runs the limits removed to make room for this one (pages that show
    the save warning their own way)."""
    if snap.get("save_notice"):
        st.info(md_escape(snap["save_notice"]), icon=":material/auto_delete:")
