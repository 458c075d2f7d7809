"""The comparison page's settings in the link (dashboard.common.urlstate)."""

from __future__ import annotations

from core.compare.longmemory import MAX_LAG, TASK_TITLES
from core.compare.specs import ARCHITECTURES, CELL_LABELS, DEFAULT_ARCHS
from core.compare.sweep import MAX_SWEEP_LAGS
from core.data import SYNTHETIC
from dashboard.common import state, urlstate
from dashboard.common.urlstate import Param
from dashboard.compare import controls as c

PAGE = "compare"
K = "cmp"  # the key prefix settings() uses
SIZES = [1024, 2048, 4096, 8192]


def _sources() -> list[str]:
    return list(state.datasets()) + [c.SYNTH_PREFIX + k for k in SYNTHETIC]


def params() -> list[Param]:
    tasks = list(TASK_TITLES.values())
    return [
        Param("exp", f"{K}-experiment", choices=[c.SIDE_BY_SIDE, c.DEPTH, c.SWEEP],
              default=c.SIDE_BY_SIDE,
              aliases={"side": c.SIDE_BY_SIDE, "depth": c.DEPTH, "sweep": c.SWEEP}),
        Param("task", f"{K}-task", choices=[*tasks, c.DATASET], default=tasks[0],
              aliases={**{k: v for k, v in TASK_TITLES.items()}, "dataset": c.DATASET}),
        Param("lag", f"{K}-lag", "int", lo=1, hi=min(MAX_LAG, 100), default=20),
        Param("n", f"{K}-n", choices=SIZES, default=4096),
        Param("data", f"{K}-data", choices=_sources, default=lambda: _sources()[0]),
        Param("lookback", f"{K}-lookback", "int", lo=5, hi=120, default=30),
        Param("stask", f"{K}-sweep-task", choices=tasks, default=tasks[0],
              aliases=dict(TASK_TITLES)),
        Param("lags", f"{K}-lags", "list", choices=c.SWEEP_LAGS, lo=0, hi=MAX_SWEEP_LAGS,
              default=[5, 10, 20, 30]),
        Param("sn", f"{K}-sn", choices=SIZES, default=4096),
        Param("archs", f"{K}-archs", "list", choices=list(ARCHITECTURES), hi=6,
              default=list(DEFAULT_ARCHS)),
        Param("cells", f"{K}-cells", "list", choices=list(CELL_LABELS.values()),
              default=["RNN", "LSTM"]),
        Param("layers", f"{K}-layers", "int", lo=2, hi=6, default=4),
        Param("hidden", f"{K}-hidden", choices=[16, 32, 64, 128], default=64),
        Param("epochs", f"{K}-epochs", "int", lo=1, hi=60, default=10),
        Param("batch", f"{K}-batch", choices=[32, 64, 128, 256], default=128),
        Param("lr", f"{K}-lr", choices=[1e-3, 3e-3, 1e-2, 3e-2], default=1e-2),
        Param("clip", f"{K}-clip", "float", lo=0.0, hi=100.0, default=1.0),
        Param("seed", f"{K}-seed", "int", lo=0, hi=10_000, default=0),
        Param("ortho", f"{K}-ortho", "bool", default=False),
    ]  # fmt: skip


urlstate.register(PAGE, [p.name for p in params()])


def bind() -> None:
    urlstate.bind(PAGE, params())
