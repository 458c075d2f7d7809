"""Take screenshots of the running app's pages (for the README and for looking at it).

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--train]

Starts the dashboard on a free port, opens each page in Debian's headless chromium,
optionally clicks the Home page's quick-demo button first, and saves one PNG per page.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(page, timeout=120_000) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']",
                           timeout=timeout)  # fmt: skip
    page.wait_for_selector("[data-test-script-state='notRunning']", timeout=timeout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "artifacts" / "screenshots"))
    ap.add_argument("--pages", default="", help="comma-separated url paths (default: all)")
    ap.add_argument("--train", action="store_true", help="train a one-click demo first")
    ap.add_argument("--demo", default="Watch it learn on a sine wave",
                    help="the Home button to click with --train")  # fmt: skip
    ap.add_argument("--wait", type=float, default=3.0, help="seconds to let charts settle")
    ap.add_argument(
        "--height",
        type=int,
        default=2400,
        help="viewport height in pixels (long pages such as Train need ~4600)",
    )
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = dict(os.environ, LSTMLAB_THREADS=os.environ.get("LSTMLAB_THREADS", "1"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(port),
         "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": args.height})
            page.goto(url)
            wait_ready(page)
            if args.train:
                page.get_by_role("button", name=args.demo).click()
                time.sleep(25)
            links = page.locator("[data-testid='stSidebarNav'] a")
            paths = [links.nth(i).get_attribute("href") for i in range(links.count())] or [url]
            wanted = [w for w in args.pages.split(",") if w]
            for href in paths:
                name = href.removeprefix(url).strip("/").rsplit("/", 1)[-1] or "home"
                if wanted and name not in wanted:
                    continue
                nav = page.locator(f"[data-testid='stSidebarNav'] a[href='{href}']")
                if nav.count():  # in-app navigation keeps the session (and its trained run)
                    nav.first.click()
                else:
                    page.goto(href if href.startswith("http") else url + href)
                wait_ready(page)
                time.sleep(args.wait)
                path = out / f"{name}.png"
                page.screenshot(path=str(path), full_page=True)
                print(path)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
