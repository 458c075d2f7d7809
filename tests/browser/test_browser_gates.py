"""Real browser: after the one-click demo trains, the Gates page draws its heatmaps, and the
replay's Play button animates from the default state (slider at the last epoch)."""

from __future__ import annotations

import re
import time

import pytest
from conftest import screenshot, settle, wait_ready
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(1000)]  # training under load

ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
REPLAY_TITLE = re.compile(r"^Probe window")  # not "How the probe window's gates changed"


def _open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    wait_ready(page)


def _shot(page, name: str, height: int) -> None:
    """Streamlit scrolls inside the page: a tall viewport puts the whole tab on the picture."""
    page.set_viewport_size({"width": 1400, "height": height})
    settle(page)  # Plotly relayouts to the new size
    screenshot(page, name)


@pytest.fixture(scope="module")
def gates_page(browser, server_url):
    """One session for the module: the quick demo trained, then the Gates page open."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(server_url)
    wait_ready(page)
    page.get_by_role("button", name="Train the quick demo on MSFT").click()
    # started (or, on a fast machine, already done): the sidebar status shows on every page
    sidebar = page.locator("[data-testid='stSidebarUserContent']")
    started = sidebar.locator("[data-testid='stProgress']").or_(sidebar.get_by_text("done after"))
    expect(started.first).to_be_visible(timeout=180_000)
    nav = page.locator("[data-testid='stSidebarNav']")
    nav.get_by_role("link", name="Gates").click(timeout=120_000)
    live = page.get_by_text("Live: the probe window's gates")
    try:  # an artifact only: on a fast machine training may end before the page shows it
        live.wait_for(timeout=20_000)
        _shot(page, "gates-live", 1700)
        page.set_viewport_size({"width": 1400, "height": 1000})
    except PlaywrightTimeout:
        pass
    # the sidebar status (every page) says when the job is done
    expect(page.get_by_text("done after")).to_be_visible(timeout=600_000)
    wait_ready(page)
    expect(page.get_by_role("heading", name="Gates")).to_be_visible()
    yield page
    context.close()


def test_heatmaps_are_visible_after_a_short_training_run(gates_page):
    page = gates_page
    # the first chart of the page (the Heatmaps tab); other tabs' charts are in the DOM too
    heatmaps = page.locator("[data-testid='stPlotlyChart']").first.locator("g.hm image")
    expect(heatmaps).to_have_count(6, timeout=60_000)  # i, f, g, o, c, h
    for k in range(6):
        box = heatmaps.nth(k).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 50
    assert not page.locator(ERRORS).count()
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


def _replayed_epoch(page) -> int:
    """The epoch in the replay heatmaps' title ("... after epoch N, validation loss ...")."""
    title = page.locator("[data-testid='stPlotlyChart'] .gtitle").filter(has_text=REPLAY_TITLE)
    m = re.search(r"after epoch (\d+)", title.first.text_content() or "")
    return int(m.group(1)) if m else -1


def test_play_from_the_default_state_animates(gates_page):
    """Issue 13.1: Play with the slider at its default (the last epoch) restarts at 0 and
    advances, instead of the red "This app has encountered an error" box."""
    page = gates_page
    _open_tab(page, "Across training")
    title = page.locator("[data-testid='stPlotlyChart'] .gtitle").filter(has_text=REPLAY_TITLE)
    expect(title.first).to_be_visible()
    last = _replayed_epoch(page)
    assert last > 2, last  # the default: the slider at the last recorded epoch
    play = page.locator(".st-key-gates-play button").first  # a rerun may leave a stale twin
    expect(play).to_have_text(re.compile("Play"))
    play.click()
    seen: set[int] = set()

    def advanced() -> bool:
        assert not page.locator(ERRORS).count(), page.locator(ERRORS).first.inner_text()
        seen.add(_replayed_epoch(page))
        return any(0 < e < last for e in seen)

    deadline = time.monotonic() + 60
    while not advanced():  # the replay redraws itself about every second while playing
        assert time.monotonic() < deadline, f"no epoch between 0 and {last}: {seen}"
        page.wait_for_timeout(200)  # poll interval
    assert not page.locator(ERRORS).count()
    expect(play).to_have_text(re.compile("Pause"))
    _shot(page, "gates-replay-playing", 2100)
    if "Pause" in play.inner_text():  # not yet at the end: Pause stops it
        play.click()
        expect(play).to_have_text(re.compile("Play"))
    assert not page.locator(ERRORS).count()
