"""Hostile names stay text in a real browser: a column, dataset, run and file name written as
a Markdown image must neither be fetched nor hidden, on the Upload, Train and Runs pages."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import screenshot, wait_ready

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import Dataset, synthetic
from core.forecast.run import fit_forecaster
from core.runs.kinds import forecaster as forecaster_runs
from core.runs.store import RunStore

pytestmark = pytest.mark.browser

JOINER = "\u2060"  # md_escape's invisible word joiner (stops the autolinker)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture
def recorder():
    """A local HTTP server that records every request: the 'tracking pixel' host."""
    hits: list[str] = []

    class Pixel(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pixel)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


def hostile(port: int, what: str) -> str:
    return f"![{what}](http://127.0.0.1:{port}/pixel-{what}.png)"


@pytest.fixture
def planted(recorder):
    """A saved forecaster whose run, dataset and target column names are hostile, in the
    runs folder the test server reads (conftest: artifacts/test-runs)."""
    port, _ = recorder
    base = synthetic("sine", n=140)
    column = hostile(port, "column")
    ds = Dataset(base.frame.rename(columns={"value": column}), hostile(port, "dataset"))
    run = fit_forecaster(
        ds, DataConfig(target=column, lookback=6), ModelConfig(hidden_size=3),
        TrainConfig(epochs=1, batch_size=32),
    )  # fmt: skip
    store = RunStore.default()
    rid = forecaster_runs.save(store, run, name=hostile(port, "run")).info.id
    yield port
    store.delete(rid)


def _shown(page, text: str, timeout: float = 60_000) -> None:
    """Wait until ``text`` was rendered, as literal text or as an image (old code)."""
    marker = text.split("/")[-1].rstrip(")")  # e.g. pixel-run.png
    page.wait_for_function(
        """m => document.body.innerText.includes(m)
              || [...document.images].some(i => i.src.includes(m))""",
        arg=marker,
        timeout=timeout,
    )


def _text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text().replace(JOINER, "")


def _go(page, title: str) -> None:
    """In-app navigation keeps the session (and the run opened in it)."""
    page.locator("[data-testid='stSidebarNav'] a").filter(has_text=title).first.click()
    wait_ready(page)


def test_hostile_names_are_shown_as_text_and_never_fetched(page, server_url, recorder, planted):
    port, hits = recorder
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    run, dataset, column = (hostile(port, w) for w in ("run", "dataset", "column"))

    # Runs: every user sees every run name; open the hostile run into this session
    page.goto(f"{server_url}/runs")
    wait_ready(page)
    page.get_by_text("Run to open, manage or export").wait_for(timeout=60_000)
    page.get_by_test_id("stTabs").get_by_role("button", name="Open", exact=True).click()
    page.locator("[data-testid='stAlert']").filter(has_text="Opened").wait_for(timeout=60_000)
    _shown(page, run)  # in "Opened '<name>'"
    assert run in _text(page)
    page.get_by_text("Details: data, settings, timings").click()
    _shown(page, dataset)
    assert dataset in _text(page)
    page.get_by_role("tab", name="Export").click()
    page.get_by_text("Exporting").wait_for()
    _shown(page, run)
    screenshot(page, "escape-runs")
    assert hits == [], f"the browser fetched {hits} on the Runs page"

    # Train: the current run's caption names its dataset and target column
    _go(page, "Train")
    page.get_by_role("heading", name="Current run").wait_for(timeout=60_000)
    _shown(page, column)
    text = _text(page)
    assert dataset in text and f"target {column}" in text
    screenshot(page, "escape-train")
    assert hits == [], f"the browser fetched {hits} on the Train page"

    # Upload: a file whose name and header are hostile (a file name cannot hold "/")
    _go(page, "Upload")
    name = "![file](pixel-file.png).csv"
    rows = "".join(f"2024-01-{d:02d},{d}.5\n" for d in range(1, 29))
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": f"Date,{column}\n{rows}".encode()}
    )
    wait_ready(page)
    page.get_by_role("heading", name="Data quality").wait_for(timeout=60_000)
    _shown(page, column)
    _shown(page, name)
    text = _text(page)
    assert column in text and name in text
    screenshot(page, "escape-upload")
    assert hits == [], f"the browser fetched {hits} on the Upload page"
    assert not [u for u in requests if "pixel-" in u], "a hostile image URL was requested"
    assert page.locator("img[src*='pixel-']").count() == 0
