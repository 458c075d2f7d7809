"""Real browser: a link reproduces a setup and its training curve in fresh sessions; a link
with junk values opens with a note; presenter mode locks and hides exactly the controls the
link names (screenshots of Train and Gates at 1280x720)."""

from __future__ import annotations

import pytest
from conftest import BROWSER_WAIT_MS, screenshot, settle, wait_ready, wait_until
from playwright.sync_api import expect

from dashboard.train import link as train_link

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
QUICK = "src=synthetic&gen=noisy_sine&n=400&noise=0.2&T=12&hidden=8&epochs=3&seed=11"
RUN_LOSS = ".st-key-train-run-loss .js-plotly-plot"
STATE = """(keys) => Object.fromEntries(keys.map(k => {
    const el = document.querySelector('.st-key-' + k);
    if (!el) return [k, null];
    const hidden = getComputedStyle(el).display === 'none' || el.getClientRects().length === 0;
    // the control itself (a number input's -/+ buttons turn off at its bounds)
    const off = !!el.querySelector('input:disabled, [role="slider"][aria-disabled="true"]');
    return [k, [hidden, off]];
}))"""


def fresh_page(browser, url: str):
    """A new browser context (no cookies, a new Streamlit session) opened on ``url``."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(BROWSER_WAIT_MS)
    page.goto(url)
    wait_ready(page)
    page.locator(".st-key-train-epochs input").wait_for()
    return context, page


def train_and_read_losses(page) -> dict[str, list]:
    page.locator(".st-key-trainbtn-start button").click()
    page.wait_for_function(
        "s => { const el = document.querySelector(s); return el && el.data && el.data.length; }",
        arg=RUN_LOSS,
        timeout=300_000,
        polling=250,
    )
    return page.evaluate(
        """sel => Object.fromEntries(document.querySelector(sel).data
            .filter(t => t.name === 'train' || t.name === 'validation').map(t => [t.name, t.y]))""",
        RUN_LOSS,
    )


def test_a_link_reproduces_the_form_and_the_run_in_fresh_sessions(browser, server_url):
    histories = []
    for _ in range(2):
        context, page = fresh_page(browser, f"{server_url}/train?{QUICK}")
        assert page.locator(".st-key-train-epochs input").input_value() == "3"
        assert page.locator(".st-key-train-seed input").input_value() == "11"
        assert page.locator(".st-key-train-lookback input").input_value() == "12"
        assert "Synthetic" in page.locator(".st-key-train-source input").input_value()
        assert "8" in page.locator(".st-key-train-hidden").inner_text()
        histories.append(train_and_read_losses(page))
        # the page's own link (sidebar, Copy link) says the same setup
        page.get_by_text("Copy link to this setup").click()  # a popover with the address
        copied = page.locator("[data-testid='stCode']").first.inner_text()
        assert f"/train?{QUICK}" in copied.replace("\n", "")
        assert page.locator(ERRORS).count() == 0
        context.close()
    first, second = histories
    assert len(first["train"]) == 3 and len(first["validation"]) == 3
    assert first == second  # same seed on the CPU: the same curve, value for value


def test_a_link_with_junk_values_opens_with_a_note(browser, server_url):
    junk = "epochs=-5&cell=transformer&lr=fast&T=abc&colour=red&lock=warp&seed=12"
    context, page = fresh_page(browser, f"{server_url}/train?{junk}")
    note = page.locator("[data-testid='stAlertContentInfo']").filter(has_text="this link")
    expect(note).to_be_visible()
    for name in ("epochs=-5", "cell=transformer", "lr=fast", "T=abc", "colour", "warp"):
        assert name in note.inner_text()
    assert page.locator(ERRORS).count() == 0
    assert page.locator(".st-key-train-seed input").input_value() == "12"  # the valid one
    assert page.url.endswith("/train?seed=12")  # the junk left the address
    context.close()


def test_presenter_mode_locks_and_hides_exactly_the_named_controls(browser, server_url):
    url = f"{server_url}/train?{QUICK}&present=1&lock=lr,epochs&hide=cell,layers"
    context, page = fresh_page(browser, url)
    keys = [p.widget_key() for p in train_link.params()]
    want = ({"train-cell", "train-layers"}, {"train-lr", "train-epochs"})
    settle(page)

    def seen() -> tuple[set, set]:
        state = {k: v for k, v in page.evaluate(STATE, keys).items() if v is not None}
        assert len(state) > 20, state
        return {k for k, v in state.items() if v[0]}, {k for k, v in state.items() if v[1]}

    try:  # the browser may still be drawing the last widgets: wait for the exact sets
        wait_until(lambda: seen() == want, 60, 0.25, "the locked and hidden controls")
    finally:
        assert seen() == want  # hidden, disabled: exactly the named ones
    assert not page.locator("[data-testid='stSidebarNav']").is_visible()  # sidebar collapsed
    settle(page)
    screenshot(page, "presenter-train-1280x720")
    page.locator(".st-key-train-lr").scroll_into_view_if_needed()
    settle(page)
    screenshot(page, "presenter-train-model-1280x720")

    # train the link's quick setting, then the Gates page in presenter mode
    train_and_read_losses(page)
    page.locator(RUN_LOSS).scroll_into_view_if_needed()
    settle(page)
    screenshot(page, "presenter-train-result-1280x720")
    page.locator("[data-testid='stExpandSidebarButton']").first.click()
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Gates").click()
    wait_ready(page)
    expect(page.get_by_role("heading", name="Gates")).to_be_visible()
    page.locator(".st-key-gates-heatmaps .js-plotly-plot").wait_for()
    assert "present=1" in page.url and "lock=lr" in page.url  # the teacher's choice stays
    page.locator("[data-testid='stSidebarCollapseButton'] button").first.click()
    settle(page)
    screenshot(page, "presenter-gates-1280x720")
    page.locator(".st-key-gates-heatmaps").scroll_into_view_if_needed()
    settle(page)
    screenshot(page, "presenter-gates-heatmaps-1280x720")
    assert page.locator(ERRORS).count() == 0
    context.close()
