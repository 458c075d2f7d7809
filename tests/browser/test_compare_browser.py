"""A real browser: the comparison page trains live and draws the overlaid loss curves."""

from __future__ import annotations

import pytest
from conftest import screenshot, wait_ready


def _slider(page, label: str):
    return page.locator("[data-testid='stSlider']").filter(has_text=label).get_by_role("slider")


@pytest.mark.browser
def test_overlaid_loss_curves_in_a_real_browser(page, server_url):
    page.goto(f"{server_url}/compare")
    wait_ready(page)
    start = page.get_by_role("button", name="Compare", exact=True)
    start.wait_for(timeout=120_000)
    # a small budget: 1,024 sequences, 6 epochs (keyboard, as a person without a mouse would)
    sequences = _slider(page, "Training sequences")
    sequences.focus()
    sequences.press("Home")
    page.get_by_text("Budget and initialisation").click()
    epochs = _slider(page, "Epochs")
    epochs.focus()
    for _ in range(4):
        epochs.press("ArrowLeft")
    page.wait_for_function(
        "() => [...document.querySelectorAll('input[aria-label=\"Epochs\"]')]"
        ".some(e => e.value === '6')"
    )
    wait_ready(page)
    start.click()
    page.get_by_text("What the charts show").wait_for(timeout=240_000)
    wait_ready(page)
    charts = page.locator("[data-testid='stPlotlyChart']")
    assert charts.count() == 2
    legend = charts.first.locator(".legendtext").evaluate_all("els => els.map(e => e.textContent)")
    assert {"RNN", "GRU", "LSTM"} <= set(legend)
    # every architecture's validation curve is drawn: one path with points per trace
    assert charts.first.locator(".scatterlayer .trace").count() >= 6
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    page.set_viewport_size({"width": 1400, "height": 2900})
    charts.first.scroll_into_view_if_needed()
    path = screenshot(page, "compare-overlaid-curves")
    assert path.stat().st_size > 20_000
