"""Real browser, at a projector's 1280x720: every lesson step renders with its chart and no
error box (screenshots in tests/artifacts/lesson-*.png); a run's HTML report opens from disk
(file://) with every chart drawn and no network request."""

from __future__ import annotations

import pytest
from conftest import ARTIFACTS, BROWSER_WAIT_MS, settle, wait_ready
from playwright.sync_api import expect

from core.runs import demo
from dashboard.lessons.steps import STEPS
from dashboard.runs.report import report_html

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
ROOM = {"width": 1280, "height": 720}


def _room_page(browser):
    """A fresh context at a projector's size, with the suite's generous deadlines."""
    context = browser.new_context(viewport=ROOM)
    page = context.new_page()
    page.set_default_timeout(BROWSER_WAIT_MS)
    expect.set_options(timeout=BROWSER_WAIT_MS)
    return context, page


def test_every_lesson_step_at_1280x720(browser, server_url):
    context, page = _room_page(browser)
    try:
        page.goto(f"{server_url}/lessons")
        wait_ready(page)
        for i, step in enumerate(STEPS):
            expect(page.get_by_role("heading", name=step.title)).to_be_visible()
            expect(page.get_by_text(f"Step {i + 1} of {len(STEPS)}")).to_be_visible()
            chart = page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot")
            expect(chart).to_have_count(1)
            expect(chart.locator("svg.main-svg").first).to_be_attached()
            settle(page)
            assert page.locator(ERRORS).count() == 0, page.locator(ERRORS).all_inner_texts()
            box = chart.bounding_box()
            assert box and box["width"] > 300 and box["x"] + box["width"] <= ROOM["width"]
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"lesson-{i + 1}-{step.key}.png"))
            if i < len(STEPS) - 1:
                page.get_by_role("button", name="Next").first.click()
                wait_ready(page)
        assert "step=4" in page.url
        page.get_by_role("button", name="Back").first.click()
        wait_ready(page)
        expect(page.get_by_role("heading", name=STEPS[-2].title)).to_be_visible()
    finally:
        context.close()


def test_the_html_report_opens_from_disk_offline(browser, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(report_html(demo.load_forecaster(demo.SINE), "sine demo"), encoding="utf-8")
    context, page = _room_page(browser)
    requests: list[str] = []
    context.route("**/*", lambda r: (requests.append(r.request.url), r.continue_()))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(path.as_uri())
        charts = page.locator(".js-plotly-plot")
        expect(charts).to_have_count(3)  # loss, forecasts, gate heatmaps
        for k in range(3):
            expect(charts.nth(k).locator("svg.main-svg").first).to_be_attached()
        expect(page.locator(".js-plotly-plot .heatmaplayer image").first).to_be_attached()
        assert not errors, errors
        assert all(u.startswith("file://") or u.startswith("data:") for u in requests), requests
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    finally:
        context.close()
