"""What the runs folder keeps: its limits, which runs they evict, and the evictions log.

The oldest unpinned runs go first: a browser session keeps at most ``per_session`` runs,
and the whole folder at most ``max_bytes``. Every eviction is appended to
``evictions.jsonl`` (time, id, name, reason, whose run, whose save made room).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from core.runs import meta as run_meta
from core.runs.files import mtime
from core.runs.listing import RunInfo

ENV_MAX_MB = "LSTMLAB_RUNS_MAX_MB"
ENV_PER_SESSION = "LSTMLAB_RUNS_PER_SESSION"
EVICTIONS = "evictions.jsonl"


@dataclass(frozen=True)
class Limits:
    """Caps on what the runs folder keeps; the oldest unpinned runs go first."""

    max_bytes: int = 500 * 2**20  # the whole folder
    per_session: int = 20  # runs saved by one browser session

    @classmethod
    def from_env(cls) -> Limits:
        """``$LSTMLAB_RUNS_MAX_MB`` (default 500) and ``$LSTMLAB_RUNS_PER_SESSION`` (20)."""
        raw_mb = os.environ.get(ENV_MAX_MB, "500").strip()
        raw_n = os.environ.get(ENV_PER_SESSION, "20").strip()
        try:
            mb = float(raw_mb)
        except ValueError:
            mb = math.nan
        if not (math.isfinite(mb) and mb > 0):
            raise ValueError(f"{ENV_MAX_MB} must be a number of MB > 0, got {raw_mb!r}")
        if not raw_n.isdigit() or int(raw_n) < 1:
            raise ValueError(f"{ENV_PER_SESSION} must be an integer >= 1, got {raw_n!r}")
        return cls(int(mb * 2**20), int(raw_n))


def oldest_first(runs: list[RunInfo]) -> list[RunInfo]:
    return sorted(runs, key=lambda r: r.created or mtime(r.path))


def choose_evictions(
    runs: list[RunInfo], limits: Limits, keep: str, session: str | None
) -> list[tuple[RunInfo, str]]:
    """The runs to remove, oldest unpinned first, each with why, until both limits hold."""
    runs = oldest_first(runs)
    evicted: list[tuple[RunInfo, str]] = []

    def removable(r: RunInfo) -> bool:
        return r.id != keep and not r.pinned and all(r.id != e.id for e, _ in evicted)

    if session is not None:
        mine = [r for r in runs if r.session == session]
        excess = len(mine) - limits.per_session
        for r in [r for r in mine if removable(r)][: max(excess, 0)]:
            evicted.append((r, f"more than {limits.per_session} runs in this session"))
    total = sum(r.size_bytes for r in runs) - sum(e.size_bytes for e, _ in evicted)
    for r in runs:
        if total <= limits.max_bytes:
            break
        if removable(r):
            mb = limits.max_bytes / 2**20
            evicted.append((r, f"the runs folder was over its {mb:g} MB limit"))
            total -= r.size_bytes
    return evicted


def log_evictions(root: Path, evicted: list[tuple[RunInfo, str]], by: str | None) -> None:
    """Append the removed runs to ``evictions.jsonl`` (``by``: the session whose save)."""
    log = [
        {"time": time.time(), "id": r.id, "name": r.name, "reason": why}
        | {"session": r.session, "by": by}
        for r, why in evicted
    ]
    if log:
        with open(root / EVICTIONS, "a") as f:
            f.writelines(json.dumps(e) + "\n" for e in log)


def eviction_message(evicted: list[RunInfo], session: str | None, limits: Limits) -> str:
    """Told where the run was saved: names of the saver's own runs only."""
    if not evicted:
        return ""
    mine = [r for r in evicted if session is None or r.session == session]
    names = ", ".join(f"'{r.name}'" for r in mine[:5]) or "none of yours"
    more = [f"{len(mine) - 5} more"] if len(mine) > 5 else []
    if len(evicted) > len(mine):
        more.append(f"{len(evicted) - len(mine)} of other sessions")
    more = f" and {' and '.join(more)}" if more else ""
    return (
        f"Removed {len(evicted)} older run{'s' if len(evicted) != 1 else ''} to stay within "
        f"the limits ({limits.per_session} runs per session, "
        f"{limits.max_bytes / 2**20:g} MB in all): {names}{more}. "
        "Pin a run on the Runs page to keep it."
    )


def read_evictions(root: Path, since: float = 0.0, session: str | None = None) -> list[dict]:
    """Runs the limits removed (newest first), from evictions.jsonl; with ``session``,
    only the runs of that browser session."""
    try:
        lines = (root / EVICTIONS).read_text().splitlines()
    except (OSError, ValueError):
        return []
    out = []
    for line in lines:
        with contextlib.suppress(ValueError, RecursionError):
            e = json.loads(line)
            e = e if isinstance(e, dict) else {}
            t, name, why = e.get("time"), e.get("name"), e.get("reason", "")
            ok = run_meta.is_type(t, run_meta.NUMBER) and isinstance(name, str)
            if not (ok and isinstance(why, str)) or t < since:
                continue
            if session is None or e.get("session") == session:
                out.append(e)
    return out[::-1]
