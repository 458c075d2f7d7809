"""Real browser: after the one-click demo trains, the Gates page draws its heatmaps."""

from __future__ import annotations

import pytest
from conftest import screenshot, settle, wait_ready
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    wait_ready(page)


def _shot(page, name: str, height: int) -> None:
    """Streamlit scrolls inside the page: a tall viewport puts the whole tab on the picture."""
    page.set_viewport_size({"width": 1400, "height": height})
    settle(page)  # Plotly relayouts to the new size
    screenshot(page, name)


def test_heatmaps_are_visible_after_a_short_training_run(page, server_url):
    page.goto(server_url)
    wait_ready(page)
    page.get_by_role("button", name="Train the quick demo on MSFT").click()
    # started (or, on a fast machine, already done): the sidebar status shows on every page
    sidebar = page.locator("[data-testid='stSidebarUserContent']")
    started = sidebar.locator("[data-testid='stProgress']").or_(sidebar.get_by_text("done after"))
    expect(started.first).to_be_visible(timeout=60_000)
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Gates").click()
    live = page.get_by_text("Live: the probe window's gates")
    try:  # an artifact only: on a fast machine training may end before the page shows it
        live.wait_for(timeout=20_000)
        _shot(page, "gates-live", 1700)
        page.set_viewport_size({"width": 1400, "height": 1000})
    except PlaywrightTimeout:
        pass
    # the sidebar status (every page) says when the job is done
    expect(page.get_by_text("done after")).to_be_visible(timeout=240_000)
    wait_ready(page)
    expect(page.get_by_role("heading", name="Gates")).to_be_visible()

    # the first chart of the page (the Heatmaps tab); other tabs' charts are in the DOM too
    heatmaps = page.locator("[data-testid='stPlotlyChart']").first.locator("g.hm image")
    expect(heatmaps).to_have_count(6, timeout=60_000)  # i, f, g, o, c, h
    for k in range(6):
        box = heatmaps.nth(k).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 50
    assert not page.locator("[data-testid='stAlertContentError']").count()
    assert page.get_by_text("input window (original units)").first.is_visible()
    _shot(page, "gates-heatmaps", 1900)

    _open_tab(page, "Summary")
    expect(page.get_by_text("Memory span of each unit")).to_be_visible()
    _shot(page, "gates-summary", 1300)

    _open_tab(page, "Across training")
    slider = page.get_by_text("Epoch (0 = before training)")
    expect(slider).to_be_visible()
    replay = page.locator("[data-testid='stPlotlyChart']").filter(has_text="Probe window")
    expect(replay.locator("g.hm image")).to_have_count(6)
    _shot(page, "gates-replay", 2100)

    _open_tab(page, "One cell by hand")
    expect(page.get_by_text("Checked against")).to_be_visible()
    _shot(page, "gates-cell-by-hand", 1500)
