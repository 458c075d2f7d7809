"""LSTM Lab entry point: only a router (run from the repo root:
``python -m streamlit run dashboard/app.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` puts only dashboard/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard.common import jobs, presenter, urlstate  # noqa: E402
from dashboard.common.ui import device_caption, export_picker, link_box  # noqa: E402

# every page's link settings, registered on import: lock= and hide= names are checked on any page
from dashboard.compare import link as _compare_link  # noqa: E402, F401
from dashboard.gates import link as _gates_link  # noqa: E402, F401
from dashboard.sentiment import link as _sentiment_link  # noqa: E402, F401
from dashboard.stocks import link as _stocks_link  # noqa: E402, F401
from dashboard.text import link as _text_link  # noqa: E402, F401
from dashboard.train import link as _train_link  # noqa: E402, F401

# (file, title, icon); a page appears once its file exists
PAGES = {
    "Lab": [
        ("home.py", "Home", ":material/home:"),
        ("train.py", "Train", ":material/model_training:"),
        ("gates.py", "Gates", ":material/grid_on:"),
        ("tune.py", "Tune", ":material/tune:"),
        ("runs.py", "Runs", ":material/inventory_2:"),
    ],
    "Data": [
        ("upload.py", "Your data", ":material/upload_file:"),
        ("stocks.py", "Stocks", ":material/candlestick_chart:"),
    ],
    "Lessons": [
        ("lessons.py", "Lesson track", ":material/school:"),
        ("compare.py", "RNN vs GRU vs LSTM", ":material/compare_arrows:"),
        ("text.py", "Text generation", ":material/edit_note:"),
        ("sentiment.py", "Sentiment", ":material/sentiment_satisfied:"),
    ],
}


def navigation() -> st.navigation:
    sections = {}
    for section, pages in PAGES.items():
        found = [
            st.Page(ROOT / "pages" / f, title=t, icon=i, default=(f == "home.py"))
            for f, t, i in pages
            if (ROOT / "pages" / f).exists()
        ]
        if found:
            sections[section] = found
    return st.navigation(sections)


page = navigation()
urlstate.begin(page.url_path)  # the link this session opened with: present, lock, hide
st.set_page_config(
    page_title="LSTM Lab",
    page_icon=":material/neurology:",
    layout="wide",
    initial_sidebar_state="collapsed" if presenter.on() else "auto",
)
jobs.warm_up_torch()  # once per server, in the background: the first run starts fast
with st.sidebar:
    st.caption(f"Device: {device_caption()}")
    jobs.sidebar_status()
    export_picker()
    presenter.toggle()
    link_slot = st.empty()
urlstate.show_link_with(lambda query: link_box(link_slot, query))
presenter.apply()
page.run()
urlstate.publish()  # the page's settings go to the URL (bind() did it before its widgets)
jobs.poll_if_started()  # a job this page started gets the sidebar polling
