"""Lag sweep: the same comparison at growing lags, to see which architecture fails first."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from core.compare.longmemory import TASK_TITLES, make_task
from core.compare.publisher import JobPublisher
from core.compare.reading import SOLVED
from core.compare.specs import ArchSpec
from core.compare.training import CompareResult, compare
from core.config import TrainConfig

MAX_SWEEP_LAGS = 6


@dataclass
class SweepResult:
    """One comparison per lag, in the order the lags were given."""

    task_name: str
    runs: list[CompareResult]
    stopped: bool = False

    def rows(self) -> list[dict]:
        """One row per (lag, architecture): ratio = val_loss / trivial_loss."""
        return [
            {
                "lag": run.task.lag,
                "label": r.spec.label,
                "val_loss": r.val_loss,
                "trivial": run.task.trivial_loss,
                "ratio": r.val_loss / run.task.trivial_loss,
            }
            for run in self.runs
            for r in run.results
        ]

    def reading(self) -> list[str]:
        """Per architecture: the lags it solved (ratio <= SOLVED) and the first it did not."""
        rows = self.rows()
        if not rows:
            return []
        labels = list(dict.fromkeys(r["label"] for r in rows))
        first_fail: dict[str, int | None] = {}
        lines = []
        for label in labels:
            mine = [r for r in rows if r["label"] == label]
            solved = [r["lag"] for r in mine if r["ratio"] <= SOLVED]
            failed = [r["lag"] for r in mine if r["ratio"] > SOLVED]
            first_fail[label] = min(failed) if failed else None
            ratios = ", ".join(f"lag {r['lag']}: {r['ratio']:.0%}" for r in mine)
            if not failed:
                lines.append(f"**{label}** solved every lag tried ({ratios} of trivial).")
            else:
                got = f"solved lags {', '.join(map(str, solved))} and " if solved else ""
                lines.append(
                    f"**{label}** {got}failed from lag {first_fail[label]} on "
                    f"(validation loss as a share of trivial: {ratios})."
                )
        failing = {k: v for k, v in first_fail.items() if v is not None}
        if failing and len(labels) > 1:
            lag = min(failing.values())
            first = [k for k in labels if failing.get(k) == lag]
            held = [k for k in labels if first_fail[k] is None]
            if len(first) == len(labels):
                lines.append(
                    f"Every architecture fails from lag {lag}: the budget may be too small "
                    "here; try more training sequences or epochs."
                )
            else:
                verb = "fails" if len(first) == 1 else "fail"
                lines.append(
                    f"{' and '.join(first)} {verb} first, at lag {lag}"
                    + (f"; {', '.join(held)} held up at every lag tried." if held else ".")
                )
        return lines


def sweep(
    task_name: str,
    lags: Sequence[int],
    specs: Sequence[ArchSpec],
    hidden_size: int,
    train_cfg: TrainConfig,
    n_train: int = 4096,
    publish: JobPublisher | None = None,
    stop_event: threading.Event | None = None,
) -> SweepResult:
    """Compare the architectures at each lag (same seed and budget at every lag)."""
    if task_name not in TASK_TITLES:
        raise ValueError(f"a lag sweep needs a long-memory task, got {task_name!r}")
    if not lags or len(lags) > MAX_SWEEP_LAGS or len(set(lags)) != len(lags):
        raise ValueError(f"choose 1 to {MAX_SWEEP_LAGS} different lags, got {list(lags)}")
    stop_event = stop_event or threading.Event()
    runs = []
    for i, lag in enumerate(sorted(lags)):
        task = make_task(task_name, lag, n_train=n_train, n_val=1024, seed=train_cfg.seed)
        if publish is not None:
            publish.start(task, specs, offset=i * len(specs) * train_cfg.epochs)
        runs.append(compare(task, specs, hidden_size, train_cfg, publish, stop_event))
        if publish is not None:
            publish(sweep=SweepResult(task_name, runs).rows())
        if stop_event.is_set():
            break
    return SweepResult(task_name, runs, stopped=stop_event.is_set())
