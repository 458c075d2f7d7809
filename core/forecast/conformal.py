"""Split-conformal prediction intervals from held-out residuals, one radius per horizon step.

The network is fitted on the training rows; its absolute errors on the validation windows,
``r_i,k = |y_i,k - yhat_i,k|`` for horizon step k, are the calibration set. For a level
1 - a the radius of step k is the ceil((n + 1)(1 - a))-th smallest of the n residuals of
that step (Vovk et al.; Lei et al. 2018): if the test errors are exchangeable with the
validation errors, ``yhat ± radius`` covers the truth with probability at least 1 - a.
With too few residuals for that rank (n < 1/a - 1) the radius is infinite and said so.

Time series are not exchangeable (errors drift, regimes change), so the coverage on the
test span is *measured* (:func:`core.forecast.metrics.coverage`) and shown beside the
nominal level, never assumed.
"""

from __future__ import annotations

import math

import numpy as np

LEVELS = (80, 95)  # percent: the levels the lab offers


def conformal_radius(residuals, level: float) -> np.ndarray:
    """(K,) interval half-widths from calibration residuals (n, K) (or (n,)) at ``level`` %.

    NaN residuals (a missing forecast) are left out per step. Raises ValueError for a level
    outside (0, 100).
    """
    if not 0 < level < 100:
        raise ValueError(f"level must be a percentage between 0 and 100, got {level!r}")
    r = np.abs(np.asarray(residuals, np.float64))
    r = r[:, None] if r.ndim == 1 else r
    out = np.full(r.shape[1], math.inf)
    for k in range(r.shape[1]):
        col = np.sort(r[np.isfinite(r[:, k]), k])
        n = len(col)
        rank = math.ceil((n + 1) * level / 100)  # 1-based rank of the finite-sample quantile
        if n and rank <= n:
            out[k] = col[rank - 1]
    return out


def conformal_interval(prediction, radius) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) = prediction ∓ radius, the radius broadcast over rows (per step)."""
    p = np.asarray(prediction, np.float64)
    r = np.asarray(radius, np.float64)
    return p - r, p + r
