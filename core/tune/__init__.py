"""Hyperparameter search on Optuna: trials run as ``core.jobs`` jobs, a server-side
coordinator reports their validation losses, prunes and tells (``study``); the search space
and budget with their checks (``space``); samplers, pruners, presets and storage
(``options``); the best trial scored once on the test span (``evaluate``)."""

from core.tune.options import PRESETS, PRUNERS, SAMPLERS
from core.tune.space import Budget, SearchSpace
from core.tune.study import Study, TuneSpec, list_studies, load_snapshot

__all__ = [
    "PRESETS",
    "PRUNERS",
    "SAMPLERS",
    "Budget",
    "SearchSpace",
    "Study",
    "TuneSpec",
    "list_studies",
    "load_snapshot",
]
