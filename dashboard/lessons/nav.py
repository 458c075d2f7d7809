"""The lesson track's navigation: which step is open (also ``?step=N`` in the URL), the step
indicator and the Back / Next buttons."""

from __future__ import annotations

import streamlit as st

STEP_KEY = "lessons-step"  # 0-based index of the open step
PARAM = "step"  # 1-based in the URL


def _from_url(n: int) -> int | None:
    raw = st.query_params.get(PARAM)
    try:
        k = int(str(raw)) - 1
    except (TypeError, ValueError):
        return None
    return k if 0 <= k < n else None


def current(n: int) -> int:
    """The open step: the session's, else the link's ``?step=``, else the first."""
    if STEP_KEY not in st.session_state:
        st.session_state[STEP_KEY] = _from_url(n) or 0
    k = min(max(int(st.session_state[STEP_KEY]), 0), n - 1)
    st.session_state[STEP_KEY] = k
    st.query_params[PARAM] = str(k + 1)
    return k


def _go(k: int) -> None:
    st.session_state[STEP_KEY] = k
    st.query_params[PARAM] = str(k + 1)


def header(titles: list[str], k: int) -> None:
    """One row: Back, "Step k of n" with every step's title (the open one in bold), Next."""
    n = len(titles)
    back, middle, nxt = st.columns([1, 6, 1], vertical_alignment="center")
    _buttons(back, nxt, n, k, "top")
    marks = " · ".join(
        f"**{i + 1}. {t}**" if i == k else f":gray[{i + 1}. {t}]" for i, t in enumerate(titles)
    )
    middle.progress((k + 1) / n, text=f"Step {k + 1} of {n}: {marks}")


def footer(n: int, k: int) -> None:
    """Back and Next again under the step."""
    back, _, nxt = st.columns([1, 6, 1])
    _buttons(back, nxt, n, k, "bottom")


def _buttons(back, nxt, n: int, k: int, where: str) -> None:
    back.button(
        "Back", key=f"lessons-back-{where}", icon=":material/arrow_back:", disabled=k == 0,
        on_click=_go, args=(k - 1,), width="stretch",
    )  # fmt: skip
    nxt.button(
        "Next", key=f"lessons-next-{where}", icon=":material/arrow_forward:", type="primary",
        disabled=k == n - 1, on_click=_go, args=(k + 1,), width="stretch",
    )  # fmt: skip
