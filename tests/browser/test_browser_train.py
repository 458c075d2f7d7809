"""A real browser on the real app: start a run, watch the loss chart grow, switch pages, stop."""

from __future__ import annotations

import pytest
from conftest import screenshot, settle, wait_ready

LIVE_LOSS = ".st-key-train-live-loss .js-plotly-plot"


def wait_points(page, at_least: int, timeout: float = 300) -> int:
    """Wait until the live loss chart has ``at_least`` epochs drawn; returns how many were
    drawn at that moment (read in the same check: the fragment redraws the chart twice a
    second, so a second read can land between two drawings)."""
    handle = page.wait_for_function(
        """([sel, n]) => { const el = document.querySelector(sel);
            const k = (el && el.data && el.data.length) ? el.data[0].x.length : 0;
            return k >= n ? k : 0; }""",
        arg=[LIVE_LOSS, at_least],
        timeout=timeout * 1000,
        polling=250,
    )
    return handle.json_value()


def nav(page, title: str) -> None:
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=title).click()
    wait_ready(page)


@pytest.mark.browser
def test_live_training_in_the_browser(page, server_url):
    page.set_viewport_size({"width": 1400, "height": 2600})  # the whole page in the screenshots
    page.goto(server_url)
    wait_ready(page)
    nav(page, "Train")
    page.get_by_role("heading", name="Train").first.wait_for()
    epochs = page.locator(".st-key-train-epochs input")
    epochs.fill("3000")  # long enough to watch; the test stops it
    epochs.press("Enter")
    wait_ready(page)
    page.locator(".st-key-trainbtn-start button").click()

    # the chart grows while the job runs: at least three epochs, then more
    first = wait_points(page, 3)
    assert page.locator(".st-key-train-live-stop button").is_visible()
    screenshot(page, "train-live-running")

    # the page stays responsive: another page, the sidebar shows the job, then back
    nav(page, "Home")
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.locator("[data-testid='stProgress']").wait_for(timeout=120_000)
    assert "epoch" in sidebar.inner_text()
    nav(page, "Train")
    later = wait_points(page, first + 1)
    assert later > first

    page.locator(".st-key-train-live-stop button").click()
    info = page.locator("[data-testid='stAlertContentInfo']").filter(has_text="Training stopped")
    info.wait_for(timeout=120_000)
    assert "kept the weights of epoch" in info.inner_text()
    page.get_by_role("heading", name="Current run").wait_for(timeout=120_000)
    page.locator(".st-key-train-run-forecast .js-plotly-plot").wait_for(timeout=120_000)
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    assert page.locator("[data-testid='stException']").count() == 0
    page.set_viewport_size({"width": 1400, "height": 3400})  # down to the score table
    settle(page)  # let the charts finish drawing
    path = screenshot(page, "train-live-stopped")
    assert path.stat().st_size > 10_000
