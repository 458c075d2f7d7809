"""Shared fixtures: CPU threads, no network, Streamlit AppTest and a real browser."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = ROOT / "artifacts"
APP = ROOT / "dashboard" / "app.py"
CHROMIUM = "/usr/bin/chromium"

os.environ.setdefault("LSTMLAB_THREADS", "1")
os.environ.setdefault("LSTMLAB_RUNS_DIR", str(ROOT / "artifacts" / "test-runs"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

torch.set_num_threads(int(os.environ["LSTMLAB_THREADS"]))


# -- offline: any connection outside loopback fails fast ------------------------------------
_real_connect = socket.socket.connect


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (
        host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
    ):
        raise OSError(f"network disabled in tests: refused connection to {host}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(
        socket, "getaddrinfo", _offline_getaddrinfo(socket.getaddrinfo), raising=True
    )


def _offline_getaddrinfo(real):
    def getaddrinfo(host, *args, **kwargs):
        if host not in (None, "localhost", "127.0.0.1", "::1", "0.0.0.0"):
            raise socket.gaierror(f"network disabled in tests: no lookup of {host}")
        return real(host, *args, **kwargs)

    return getaddrinfo


# -- Streamlit ----------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _fresh_streamlit_caches():
    """Every AppTest shares one session id: clear shared caches between tests, and stop the
    background jobs a test left running so they do not slow the next tests down."""
    import streamlit as st

    from core.jobs.threads import stop_all

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    stop_all(timeout=30)


@pytest.fixture(scope="session")
def ray_local():
    """ONE real local Ray instance for the whole test session (2 CPUs, loopback only), started
    the way the app starts it (``core.jobs.ray_connect.connect``) and shut down at the end;
    yields the backend. No test mocks Ray."""
    from core.jobs import ray_connect

    backend = ray_connect.connect(address="", num_cpus=2)
    yield backend
    ray_connect.shutdown()


# Deadlines, not durations: every wait below returns as soon as its condition holds, so a
# generous deadline costs nothing when the suite passes and keeps a loaded machine green.
APPTEST_RUN_S = 300  # one script run of a page (AppTest's default_timeout)
BROWSER_WAIT_MS = 120_000  # Playwright's default for waits, clicks and expect()


def fresh_app():
    """A new AppTest of the whole app (the router), not yet run: empty session state, as
    after a restart."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(APP), default_timeout=APPTEST_RUN_S)


@pytest.fixture
def app():
    """A fresh AppTest of the whole app (the router), not yet run."""
    return fresh_app()


@pytest.fixture
def store(tmp_path, monkeypatch):
    """An empty runs store in a temporary folder, also the app's default for this test."""
    from core.runs.store import RunStore

    monkeypatch.setenv("LSTMLAB_RUNS_DIR", str(tmp_path / "runs"))
    return RunStore.default()


def run_page(at, page: str):
    """Run the router, then switch to ``page`` (e.g. "train.py") and run it."""
    at.run()
    at.switch_page(f"../pages/{page}")
    return at.run()


def poll(at, until, timeout: float = 300.0, interval: float = 0.3):
    """Re-run the app until ``until(at)`` is true (background jobs advance meanwhile)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        at.run()
        if until(at):
            return at
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def shown(markdown):
    """The text a user reads from Markdown source the app escaped with ``md_escape``
    (anything but a string is returned as it is)."""
    if not isinstance(markdown, str):
        return markdown
    return re.sub(r"\\([!-/:-@[-`{-~])", r"\1", markdown).replace("\u2060", "")


def wait_until(predicate, timeout: float = 120.0, interval: float = 0.05, what: str = ""):
    """Wait until ``predicate()`` is truthy and return its value; fail after ``timeout`` s.

    For background threads and timers: the deadline is generous (a loaded 2-core machine),
    the interval short, so a test waits only as long as the condition takes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what or 'condition'} not met within {timeout} s")
        time.sleep(interval)


def errors_of(at) -> list[str]:
    return [shown(e.value) for e in at.error] + [str(e.value) for e in at.exception]


# -- a real server and a real browser ------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server_url():
    """The dashboard started as a subprocess, as a user would start it."""
    port = _free_port()
    env = dict(os.environ, LSTMLAB_THREADS="1", PYTHONUNBUFFERED="1")
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "streamlit-server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
         "--server.port", str(port), "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300  # a cold start on a loaded machine imports torch slowly
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    break
        except OSError:
            time.sleep(0.5)
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early; see {log.name}")
    else:
        proc.kill()
        raise RuntimeError("streamlit did not become healthy in 300 s")
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run scripts/setup.sh --dev")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }  # fmt: skip


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


@pytest.fixture
def page(page):
    """pytest-playwright's page with generous default deadlines: Playwright's own defaults
    (30 s for waits and clicks, 5 s for expect()) fail on a loaded machine."""
    from playwright.sync_api import expect

    page.set_default_timeout(BROWSER_WAIT_MS)
    expect.set_options(timeout=BROWSER_WAIT_MS)
    return page


def wait_ready(page, timeout: float = 180_000) -> None:
    """Wait until the app is connected and its script has finished running."""
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout
    )
    page.wait_for_selector("[data-test-script-state='notRunning']", timeout=timeout)


_GEOMETRY = """async () => {
    const frame = () => new Promise(r => requestAnimationFrame(() => r()));
    const boxes = () => JSON.stringify([...document.querySelectorAll(
        "[data-testid='stMain'], [data-testid='stExpanderDetails'], .js-plotly-plot")
    ].map(e => { const b = e.getBoundingClientRect(); return [b.x, b.y, b.width, b.height]; }));
    const plotly = () => [...document.querySelectorAll(".js-plotly-plot")].every(el => {
        const w = el.getBoundingClientRect().width;
        return w === 0 || (el._fullLayout && Math.abs(el._fullLayout.width - w) < 2);
    });
    const before = boxes();
    await frame(); await frame(); await frame();
    return plotly() && boxes() === before;
}"""


def settle(page, timeout: float = 120.0) -> None:
    """Wait until the page is still: the app idle, nothing moving for three animation frames
    (an expander opening, a resize) and every Plotly chart laid out at its container's
    width. Instead of a fixed pause before a screenshot."""
    wait_ready(page)
    wait_until(lambda: page.evaluate(_GEOMETRY), timeout, 0.1, "a still page")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
