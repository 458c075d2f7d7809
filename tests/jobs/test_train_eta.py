"""The training ETA: unknown until two epochs are done, then steady (a moving average of
epoch times that leaves out the warm-up epoch), not the 7:23-then-0:45 jump of before."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

import core.jobs.threads as core_jobs
from core.jobs.threads import ProgressCallback


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Ctx:
    def __init__(self) -> None:
        self.state: dict = {}

    def publish(self, **kw) -> None:
        self.state.update(kw)

    def append(self, key, item, limit=None) -> None:
        self.state.setdefault(key, []).append(item)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(core_jobs.time, "perf_counter", c)
    return c


def test_eta_waits_for_two_epochs_then_follows_the_recent_epoch_time(clock, monkeypatch):
    import core.training.device

    monkeypatch.setattr(core.training.device, "describe_device", lambda device: {"type": "cpu"})
    ctx, trainer = Ctx(), SimpleNamespace(cfg=SimpleNamespace(epochs=10), device="cpu")
    cb = ProgressCallback(ctx)
    cb.on_train_begin(trainer)

    def epoch(n: int, seconds: float, batches: int = 4) -> list[float]:
        etas = []
        for b in range(1, batches + 1):
            clock.t += seconds / batches
            cb._last = -math.inf  # every batch publishes (the throttle is tested elsewhere)
            cb.on_batch_end(trainer, n, b, batches)
            etas.append(ctx.state["eta_s"])
        cb.on_epoch_end(trainer, {"epoch": n})
        etas.append(ctx.state["eta_s"])
        return etas

    # epoch 1 carries the warm-up (10 s, then 1 s an epoch): no estimate yet
    assert all(math.isnan(e) for e in epoch(1, 10.0))
    # mid-epoch 2: still none (one epoch is not a pace)
    assert all(math.isnan(e) for e in epoch(2, 1.0)[:-1])
    assert ctx.state["eta_s"] == pytest.approx(8.0)  # 8 epochs left at 1 s, not 44 s
    # within epoch 3 the estimate counts down smoothly, never jumps up
    etas = epoch(3, 1.0)
    assert etas == sorted(etas, reverse=True)
    assert etas[1] == pytest.approx(7.5) and etas[-1] == pytest.approx(7.0)
    # one slow epoch (3 s) moves the estimate by a fraction of a plain extrapolation (18 s)
    epoch(4, 3.0)
    assert 6.0 < ctx.state["eta_s"] < 12.0
    cb.on_train_end(trainer, SimpleNamespace(reason="done", message="", best_epoch=4))
    assert ctx.state["eta_s"] == 0.0


def test_the_sidebar_says_starting_until_the_epochs_are_known():
    from dashboard.common.jobs import progress_words

    assert progress_words({"status": "running"}) == "starting…"
    assert progress_words({"epochs": 0, "epoch": 0, "eta_s": math.nan}) == "starting…"
    assert progress_words({"epochs": 40, "epoch": 1, "eta_s": math.nan}) == "epoch 1/40"
    assert progress_words({"epochs": 40, "epoch": 3, "eta_s": 75.0}) == "epoch 3/40, ETA 1:15"
