"""A class presses Train at once: N browser sessions each start the Home quick demo while one
more session loads pages, on the thread backend and on the Ray backend (issue 15).

For each backend the dashboard is started as a user would (``streamlit run dashboard/app.py``
from the repo root, ``LSTMLAB_BACKEND`` set; Ray: a local instance the app starts itself),
then:

- ``idle``: the extra session's page-load time (a fresh session on Home, connected and its
  script finished), ``--loads`` times, while N sessions sit on Home;
- ``class``: the N sessions press *Watch it learn on a sine wave* together; the extra session
  loads pages again (in its own process, so the measuring never waits on the trainers) while
  this process watches every trainer's page for its first loss point (the Train page's
  "Epochs done" reaching 1) or, when every slot is taken, its place in line ("2nd in line").

Targets (issue 15): with Ray, page p95 under the class within 1.5x the idle p95; every
trainer sees its first loss point, and a queued one its place within 1 s.

Usage: python bench/bench_classroom.py [--sessions 8] [--loads 8] [--backends thread,ray]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_sessions import (  # noqa: E402
    CHROME_ARGS,
    CHROMIUM,
    SINE,
    machine,
    open_session,
    page_loads,
    pct,
)
from bench.common import serve_dashboard, table  # noqa: E402

FIRST_LOSS = re.compile(r"Epochs done\s+([1-9]\d*) / \d+")
IN_LINE = re.compile(r"\d+(?:st|nd|rd|th) in line")


def start_server(backend: str, runs_dir: str, max_jobs: int = 2) -> tuple[subprocess.Popen, str]:
    """The dashboard on ``backend`` (thread or ray), on a free port; returns (process, url)."""
    env = dict(os.environ, LSTMLAB_THREADS="1", LSTMLAB_MAX_JOBS=str(max_jobs),
               LSTMLAB_RUNS_DIR=runs_dir, LSTMLAB_BACKEND=backend,
               RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0", RAY_AUTH_MODE="disabled")  # fmt: skip
    env.pop("RAY_ADDRESS", None)
    return serve_dashboard(env, ("--server.headless", "true"))


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()  # the app shuts its local Ray instance down at exit
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def loader(url: str, loads: int, timeout_ms: float) -> None:
    """The extra session, in its own process: ``loads`` fresh page loads, as JSON seconds."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        print(json.dumps(page_loads(browser, url, loads, timeout_ms)))
        browser.close()


def watch_trainers(pages: list, clicked: list[float], timeout: float) -> list[dict]:
    """Poll every trainer's page until each showed its first loss point (or the timeout)."""
    seen = [{"queue_s": None, "first_loss_s": None} for _ in pages]
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline and any(s["first_loss_s"] is None for s in seen):
        for i, page in enumerate(pages):
            if seen[i]["first_loss_s"] is not None:
                continue
            try:
                text = page.inner_text("body", timeout=5000)
            except Exception:
                continue
            now = time.perf_counter() - clicked[i]
            if seen[i]["queue_s"] is None and IN_LINE.search(text):
                seen[i]["queue_s"] = now
            if FIRST_LOSS.search(text) or "Current run" in text:
                seen[i]["first_loss_s"] = now
    return seen


def run_backend(pw, backend: str, n: int, loads: int, timeout_ms: float) -> dict:
    with tempfile.TemporaryDirectory() as runs_dir:
        proc, url = start_server(backend, runs_dir)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        try:
            page_loads(browser, url, 2, timeout_ms)  # warm-up: imports (and Ray's start-up)
            trainers = [open_session(browser, url, timeout_ms)[:2] for _ in range(n)]
            time.sleep(2)
            idle = page_loads(browser, url, loads, timeout_ms)
            child = subprocess.Popen(
                [sys.executable, __file__, "--loader", url, "--loads", str(loads)],
                stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            clicked = []
            for _context, page in trainers:  # the class presses the button together
                page.get_by_role("button", name=SINE).click(no_wait_after=True)
                clicked.append(time.perf_counter())
            seen = watch_trainers([p for _c, p in trainers], clicked, timeout_ms / 1000 * 3)
            out, _ = child.communicate(timeout=timeout_ms / 1000 * loads)
            busy = json.loads(out.strip().splitlines()[-1])
            for context, _page in trainers:
                context.close()
        finally:
            browser.close()
            stop_server(proc)
    return {"backend": backend, "idle": idle, "busy": busy, "trainers": seen}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=8, help="N trainers")
    ap.add_argument("--loads", type=int, default=8, help="page loads per phase")
    ap.add_argument("--backends", default="thread,ray")
    ap.add_argument("--timeout", type=float, default=240.0, help="one page load, seconds")
    ap.add_argument("--loader", help=argparse.SUPPRESS)
    args = ap.parse_args()
    timeout_ms = args.timeout * 1000
    if args.loader:
        loader(args.loader, args.loads, timeout_ms)
        return
    from playwright.sync_api import sync_playwright

    header = machine()
    with sync_playwright() as pw:
        results = [
            run_backend(pw, b.strip(), args.sessions, args.loads, timeout_ms)
            for b in args.backends.split(",")
        ]
    print(header)
    print(f"{args.sessions} trainers pressing the Home quick demo together · {args.loads} page "
          "loads per phase by one more session · LSTMLAB_THREADS=1, "
          "LSTMLAB_MAX_JOBS=2")  # fmt: skip
    rows = []
    for r in results:
        t = r["trainers"]
        first = [s["first_loss_s"] for s in t if s["first_loss_s"] is not None]
        queued = [s["queue_s"] for s in t if s["queue_s"] is not None]
        rows.append([
            r["backend"], pct(r["idle"], 0.5), pct(r["idle"], 0.95), pct(r["busy"], 0.5),
            pct(r["busy"], 0.95), round(pct(r["busy"], 0.95) / pct(r["idle"], 0.95), 2),
            f"{len(first)}/{len(t)}", round(min(first), 1) if first else "-",
            round(max(first), 1) if first else "-", len(queued),
            round(max(queued), 2) if queued else "-",
        ])  # fmt: skip
    print(table(
        ["backend", "idle p50 (s)", "idle p95 (s)", "class p50 (s)", "class p95 (s)",
         "p95 class/idle", "trainers with a loss point", "first loss: fastest (s)",
         "slowest (s)", "saw their place in line", "place shown after (s, max)"],
        rows,
    ))  # fmt: skip
    for r in results:
        cells = [
            f"{s['first_loss_s']:.1f}" if s["first_loss_s"] is not None else "never"
            for s in r["trainers"]
        ]
        print(f"{r['backend']}: first loss point per trainer (s after its click): "
              + ", ".join(cells))  # fmt: skip


if __name__ == "__main__":
    main()
