"""The real Streamlit app starts, and every page renders without an exception."""

from __future__ import annotations

import pytest
from conftest import ROOT, errors_of, poll, run_page

PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py"))


def test_home_renders(app):
    at = app.run()
    assert not errors_of(at)
    assert at.title[0].value == "LSTM Lab"
    # the demo that learns visibly comes first, as the one primary button; the stock demo
    # (an honest tie with the naive forecast) is the second lesson
    main = [b for b in at.button if b.key in ("home-sine", "home-start")]
    assert [b.key for b in main] == ["home-sine", "home-start"]
    assert main[0].label == "Watch it learn on a sine wave" and main[0].proto.type == "primary"
    assert main[1].label == "Train the quick demo on MSFT" and main[1].proto.type != "primary"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(app, page):
    at = run_page(app, page)
    assert not at.exception, [e.value for e in at.exception]


def test_every_page_is_in_the_navigation():
    from dashboard.app import PAGES as NAV

    listed = {f for pages in NAV.values() for f, _, _ in pages}
    assert set(PAGES) <= listed, f"pages missing from dashboard/app.py: {set(PAGES) - listed}"


def test_home_one_click_trains_the_offline_default(app):
    at = app.run()
    at.button(key="home-start").click().run()
    assert not errors_of(at)
    at = poll(at, lambda a: "run" in a.session_state, timeout=300)
    run = at.session_state["run"]
    assert run.dataset.provenance["offline"] is True
    assert run.fit.history and run.fit.history[-1]["epoch"] >= 1
