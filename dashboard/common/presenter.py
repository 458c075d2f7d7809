"""Presenter mode (sidebar toggle, ``present=1`` in the link): larger type and charts for a
projector, the sidebar collapsed, and the teacher's locked and hidden controls (urlstate)."""

from __future__ import annotations

import streamlit as st

from dashboard.common import figures, urlstate

FONT_SCALE = 1.3  # chart fonts; page text grows by the root font size below
PAGE_FONT_PX = 20  # Streamlit's rem base is 16 px


def on() -> bool:
    """True while this session presents (safe outside a script run: False)."""
    try:
        return bool(st.session_state.get(urlstate.PRESENT_KEY))
    except Exception:
        return False


def chart_scale() -> float:
    return FONT_SCALE if on() else 1.0


figures.set_scale(chart_scale)


def toggle() -> None:
    """The sidebar switch; the link says ``present=1`` while it is on."""
    st.toggle(
        "Presenter mode",
        key=urlstate.PRESENT_KEY,
        help="Larger text and charts for a projector. Add `lock=lr,epochs` or `hide=cell` "
        "to the link to fix or hide controls for an audience (see the README).",
    )


CSS = f"""<style>
html {{ font-size: {PAGE_FONT_PX}px; }}
[data-testid="stMainBlockContainer"] {{ max-width: 100%; padding: 3.6rem 1.6rem 3rem; }}
[data-testid="stMainBlockContainer"] h1 {{ font-size: 2.1rem; padding-top: 0; }}
[data-testid="stWidgetLabel"] p, [data-testid="stMarkdownContainer"] p,
[data-testid="stCaptionContainer"] {{ font-size: 1rem; }}
</style>"""


def apply() -> None:
    """Inject the projector styles (each run while on)."""
    if on():
        st.html(CSS)
