"""A real browser on the Tune page: start a small study, watch the learning curves grow while
it runs, and read the best trial's test scores after it."""

from __future__ import annotations

import pytest
from conftest import screenshot, settle, wait_ready

CURVES = ".st-key-tune-fig-curves .js-plotly-plot"

pytest.importorskip("optuna")


def fill(page, key: str, value: str) -> None:
    box = page.locator(f".st-key-{key} input")
    box.fill(value)
    box.press("Enter")
    wait_ready(page)


@pytest.mark.browser
def test_a_study_runs_live_in_the_browser(page, server_url):
    page.set_viewport_size({"width": 1400, "height": 3300})
    page.goto(f"{server_url}/tune")
    wait_ready(page)
    page.get_by_role("heading", name="Tune").first.wait_for()
    fill(page, "tune-trials", "4")
    fill(page, "tune-epochs", "4")
    page.locator(".st-key-tune-start button").click()
    page.wait_for_function(
        """(sel) => { const el = document.querySelector(sel);
            return el && el.data && el.data.filter(d => d.x && d.x.length > 1).length >= 2; }""",
        arg=CURVES,
        timeout=300_000,
        polling=250,
    )
    screenshot(page, "tune-running")
    page.get_by_role("heading", name="Best trial on the test span").wait_for(timeout=600_000)
    settle(page)
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    for key in ("history", "curves", "parallel"):
        assert page.locator(f".st-key-tune-fig-{key} .js-plotly-plot").count() == 1, key
    # importances need 4 completed trials: a pruned one leaves the sentence saying so
    importance = page.locator(".st-key-tune-fig-importance .js-plotly-plot").count()
    assert importance == 1 or page.get_by_text("Parameter importances appear once").count() == 1
    screenshot(page, "tune-done")
