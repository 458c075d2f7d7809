"""Home's demo button: seconds from the click to the job's first loss point, on a fresh server.

Each condition runs in its own fresh Python process (a new server: nothing imported or warmed
up yet), drives the real app with Streamlit's AppTest (router, Home, click "Watch it learn on
a sine wave", which also switches to the Train page), then watches the job's snapshot until
its history holds the first epoch. Conditions:

- ``no warm-up``: the router's background warm-up is switched off (as before: it ran only
  when the Train page was first opened, i.e. during the demo's own first epoch);
- ``warm-up at start``: the router's warm-up (dashboard.common.jobs.warm_up_torch) started
  with the first page view and finished before the click (a user reading Home for a moment);
- ``plain torch``: the baseline, the same model's first epoch on the same windows in a plain
  loop, in a process that has already stepped an optimizer once.

The Train page then draws the point at its next poll (every 0.5 s).
Usage: LSTMLAB_THREADS=1 python bench/bench_first_point.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def one(mode: str) -> dict:
    """Runs in the child process: one fresh server, one click."""
    import torch

    if mode == "plain":
        from core.runs import demo
        from core.training.device import configure_threads

        configure_threads()
        p = torch.zeros(1, requires_grad=True)
        p.sum().backward()
        torch.optim.Adam([p]).step()  # the process is warm
        from core.data import prepare
        from core.models.recurrent import RecurrentForecaster

        t0 = time.perf_counter()
        prep = prepare(demo.dataset(demo.SINE).frame, demo.FORECASTERS[demo.SINE]["data_cfg"])
        torch.manual_seed(0)
        model = RecurrentForecaster(demo.QUICK_MODEL)
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        x, y = torch.from_numpy(prep.train.x), torch.from_numpy(prep.train.y)
        for i in range(0, len(x), 64):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x[i : i + 64]), y[i : i + 64])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        with torch.no_grad():
            model(torch.from_numpy(prep.val.x))
        return {"first_point_s": time.perf_counter() - t0, "script_s": 0.0}

    from streamlit.testing.v1 import AppTest

    import core.tasks.live as live
    from dashboard.common.jobs import HOLDER_KEY

    if mode == "cold":
        live.warm_up = lambda: None  # the router's warm-up does nothing
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=300)
    at.run()  # the first page view: Home (and the router's warm-up thread starts)
    from dashboard.common.jobs import warm_up_torch

    warm_up_torch().join(120)  # cached: the thread the router started
    t0 = time.perf_counter()
    at.button(key="home-sine").click().run()  # start the job, switch to Train
    script_s = time.perf_counter() - t0
    job = at.session_state[HOLDER_KEY].jobs["train"]
    while not job.snapshot().get("history") and not job.done:
        time.sleep(0.002)
    first = time.perf_counter() - t0
    snap = job.snapshot()
    job.stop()
    job.join(60)
    epoch_s = snap["history"][0].get("seconds") if snap.get("history") else None
    return {"first_point_s": first, "script_s": script_s, "epoch_s": epoch_s}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--one", choices=["cold", "warm", "plain"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return 0
    from bench.common import machine, table

    env = dict(os.environ, LSTMLAB_THREADS=os.environ.get("LSTMLAB_THREADS", "1"))
    env["LSTMLAB_RUNS_DIR"] = str(ROOT / "runs" / ".bench-first-point")
    results: dict[str, list[dict]] = {"cold": [], "warm": [], "plain": []}
    for _ in range(args.repeats):  # interleaved, so machine noise hits every condition
        for mode in results:
            out = subprocess.run(
                [sys.executable, __file__, "--one", mode],
                capture_output=True, text=True, env=env, cwd=ROOT, check=True,
            )  # fmt: skip
            results[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))
    base = statistics.median(r["first_point_s"] for r in results["plain"])
    names = {"cold": "no warm-up", "warm": "warm-up at start", "plain": "plain torch"}
    rows = []
    for mode, rs in results.items():
        first = statistics.median(r["first_point_s"] for r in rs)
        script = statistics.median(r["script_s"] for r in rs)
        rows.append([names[mode], script, first, max(r["first_point_s"] for r in rs), first / base])
    print(machine())
    print(f"median of {args.repeats} fresh processes each; seconds from the click")
    print(table(["condition", "click rerun s", "first point s", "worst s", "x plain"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
