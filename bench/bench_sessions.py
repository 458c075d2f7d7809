"""What browser sessions cost the server: N idle sessions, then N training the quick demo.

Starts the dashboard as a user would (``streamlit run dashboard/app.py`` from the repo
root, so ``.streamlit/config.toml`` applies), opens N sessions in headless Chromium and
measures, in each phase:

- the server's CPU (user + system time of its process, from /proc) as % of one core;
- page-load time of one more, fresh session (Home connected and its script finished),
  ``--loads`` times: p50 / p95.

Phases: ``idle`` (N sessions on Home, nothing trains; CPU over ``--window`` seconds,
then the page loads) and ``training`` (each of the N sessions presses *Watch it learn on
a sine wave*, the job cap raised to N; the page loads start at once and the CPU is
measured over them).
Targets (issue 20): 20 idle sessions cost < 5% of one core; page p95 under load within
2x of idle. ``--server-flag`` passes flags to streamlit (e.g. ``--runner.postScriptGC
true`` to see what the garbage collection after every run costs).

Usage: python bench/bench_sessions.py [--sessions 6] [--loads 5] [--window 20]
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import serve_dashboard, table  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
READY = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
IDLE = "[data-test-script-state='notRunning']"
SINE = "Watch it learn on a sine wave"


def machine() -> str:
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    return (f"CPU {model} · {os.cpu_count()} cores · load avg {load[0]:.1f} / {load[1]:.1f} "
            "(1 / 5 min) at the start")  # fmt: skip


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(pid: int, window: float) -> float:
    """The server's CPU over ``window`` seconds, in % of one core."""
    c0, t0 = cpu_seconds(pid), time.perf_counter()
    time.sleep(window)
    return 100 * (cpu_seconds(pid) - c0) / (time.perf_counter() - t0)


def start_server(flags: list[str], max_jobs: int, runs_dir: str) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, LSTMLAB_THREADS="1", LSTMLAB_MAX_JOBS=str(max_jobs),
               LSTMLAB_RUNS_DIR=runs_dir)  # fmt: skip
    return serve_dashboard(env, tuple(flags))


def open_session(browser, url: str, timeout_ms: float):
    """A fresh session on Home; returns (context, page, seconds until Home was ready)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    t0 = time.perf_counter()
    page.goto(url, timeout=timeout_ms)
    page.wait_for_selector(READY, timeout=timeout_ms)
    page.get_by_role("heading", name="LSTM Lab").first.wait_for(timeout=timeout_ms)
    page.wait_for_selector(IDLE, timeout=timeout_ms)
    return context, page, time.perf_counter() - t0


def page_loads(browser, url: str, n: int, timeout_ms: float) -> list[float]:
    times = []
    for _ in range(n):
        context, _page, seconds = open_session(browser, url, timeout_ms)
        times.append(seconds)
        context.close()
    return times


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20, help="N sessions held open")
    ap.add_argument("--loads", type=int, default=5, help="page loads measured per phase")
    ap.add_argument("--window", type=float, default=20.0, help="CPU window, seconds")
    ap.add_argument("--timeout", type=float, default=240.0, help="one page load, seconds")
    ap.add_argument("--server-flag", action="append", default=[], help="e.g. '--a.b c'")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    flags = [f for spec in args.server_flag for f in shlex.split(spec)]
    header = machine()
    timeout_ms = args.timeout * 1000
    rows = []
    with tempfile.TemporaryDirectory() as runs_dir, sync_playwright() as pw:
        proc, url = start_server(flags, max_jobs=max(2, args.sessions), runs_dir=runs_dir)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        try:
            page_loads(browser, url, 1, timeout_ms)  # warm-up: imports, first run
            t0 = time.perf_counter()
            sessions = [open_session(browser, url, timeout_ms) for _ in range(args.sessions)]
            opened = time.perf_counter() - t0
            time.sleep(2)  # let the last session's run settle
            cpu = server_cpu(proc.pid, args.window)
            loads = page_loads(browser, url, args.loads, timeout_ms)
            rows.append(["idle", args.sessions, opened, cpu, pct(loads, 0.5), pct(loads, 0.95)])

            c0, t0 = cpu_seconds(proc.pid), time.perf_counter()
            for _context, page, _s in sessions:  # every session starts the sine demo
                page.get_by_role("button", name=SINE).click()
            # measured at once: the quick demo is short, and the pages are what matters
            loads = page_loads(browser, url, args.loads, timeout_ms)
            cpu = 100 * (cpu_seconds(proc.pid) - c0) / (time.perf_counter() - t0)
            rows.append(["training", args.sessions, None, cpu, pct(loads, 0.5), pct(loads, 0.95)])
            slots = re.search(r"(\d+) of \d+ job slots", sessions[0][1].inner_text("body"))
            still = slots.group(1) if slots else "?"
            for context, _page, _s in sessions:
                context.close()
        finally:
            browser.close()
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(header)
    print(f"server flags: {' '.join(flags) or '(config.toml only)'} · {args.loads} page loads "
          f"per phase · CPU over {args.window:g} s")  # fmt: skip
    print(table(
        ["phase", "sessions", "opening them (s)", "server CPU (% of a core)", "page p50 (s)",
         "page p95 (s)"],
        [[r[0], r[1], "" if r[2] is None else round(r[2], 1), round(r[3], 1), r[4], r[5]]
         for r in rows],
    ))  # fmt: skip
    idle, busy = rows
    print(f"training jobs still running when the page loads were done: {still} of {busy[1]}")
    per_session = idle[3] / max(idle[1], 1)
    print(f"idle: {per_session:.2f}% of a core per session (20 idle sessions: "
          f"~{20 * per_session:.1f}%, target < 5%) · page p95 under load / idle: "
          f"{busy[5] / idle[5]:.1f}x (target <= 2x)")  # fmt: skip


if __name__ == "__main__":
    main()
