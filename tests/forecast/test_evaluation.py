"""Metrics against hand-computed values, the DM test against reference computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from core.forecast import evaluation as ev

Y = np.array([10.0, 12.0, 11.0, 13.0])
YHAT = np.array([11.0, 11.0, 11.0, 15.0])
LAST = np.array([10.5, 10.0, 12.0, 11.0])


def test_point_metrics_by_hand():
    # errors: -1, 1, 0, -2
    assert ev.mae(Y, YHAT) == pytest.approx(4 / 4)
    assert ev.rmse(Y, YHAT) == pytest.approx(math.sqrt((1 + 1 + 0 + 4) / 4))
    assert ev.mape(Y, YHAT) == pytest.approx(100 * (1 / 10 + 1 / 12 + 0 + 2 / 13) / 4)
    assert ev.smape(Y, YHAT) == pytest.approx(100 * (2 / 21 + 2 / 23 + 0 + 4 / 28) / 4)


def test_mape_skips_zero_truth_and_smape_counts_zero_over_zero_as_zero():
    assert ev.mape([0.0, 2.0], [1.0, 1.0]) == pytest.approx(50.0)
    assert ev.smape([0.0, 2.0], [0.0, 2.0]) == 0.0


def test_mase_scales_by_in_sample_naive_mae():
    history = [1.0, 3.0, 2.0, 6.0]  # |diffs| 2, 1, 4 -> scale 7/3
    assert ev.mase(Y, YHAT, history) == pytest.approx(1.0 / (7 / 3))
    with pytest.raises(ValueError, match=r"^MASE needs more than 1 history value\(s\), got 1$"):
        ev.mase(Y, YHAT, [1.0])


def test_directional_accuracy_and_always_up():
    # truth moves vs LAST: down, up, down, up; calls: up, up, down, up -> 3 of 4 right
    assert ev.directional_accuracy(Y, YHAT, LAST) == 0.75
    other = np.array([10.0, 9.0, 13.0, 15.0])  # calls: down, down, up, up -> 2 of 4 right
    assert ev.directional_accuracy(Y, other, LAST) == 0.5
    assert ev.up_share(Y, LAST) == 0.5
    # a flat truth is left out: moves up, (flat), down; calls up, up, up -> 1 of 2
    assert ev.directional_accuracy([2.0, 1.0, 0.0], [3.0, 3.0, 3.0], 1.0) == 0.5
    # the naive forecast calls no direction at all: undefined, not 0 or 50%
    assert math.isnan(ev.directional_accuracy(Y, LAST, LAST))


def test_coverage():
    assert ev.coverage([1.0, 2.0, 3.0, 4.0], [0, 2.5, 2, 4], [2, 3, 4, 4]) == 0.75


def test_baselines_by_hand():
    h = np.array([1.0, 2.0, 4.0, 7.0])
    np.testing.assert_allclose(ev.naive_forecast(h, 3), [7, 7, 7])
    np.testing.assert_allclose(ev.drift_forecast(h, 3), [9, 11, 13])  # slope (7-1)/3 = 2
    np.testing.assert_allclose(ev.moving_average_forecast(h, 2, window=2), [5.5, 5.5])


def test_dm_at_horizon_1_is_the_paired_t_test_on_loss_differentials():
    rng = np.random.default_rng(3)
    e1, e2 = rng.normal(0, 1.0, 40), rng.normal(0, 1.3, 40)
    got = ev.diebold_mariano(e1, e2, h=1)
    ref = stats.ttest_1samp(np.abs(e1) - np.abs(e2), 0.0)
    assert got["stat"] == pytest.approx(ref.statistic, rel=1e-10)
    assert got["pvalue"] == pytest.approx(ref.pvalue, rel=1e-10)
    less = stats.ttest_1samp(np.abs(e1) - np.abs(e2), 0.0, alternative="less")
    assert got["pvalue_better"] == pytest.approx(less.pvalue, rel=1e-10)


def _dm_reference(e1, e2, h, power):
    """Diebold & Mariano (1995) with the HLN (1997) correction, written out with loops."""
    d = [abs(a) ** power - abs(b) ** power for a, b in zip(e1, e2, strict=True)]
    n = len(d)
    mean = sum(d) / n
    gam = []
    for k in range(h):
        gam.append(sum((d[t] - mean) * (d[t - k] - mean) for t in range(k, n)) / n)
    var = (gam[0] + 2 * sum(gam[1:])) / n
    dm = mean / math.sqrt(var)
    hln = dm * math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    return hln, 2 * (1 - stats.t.cdf(abs(hln), n - 1))


@pytest.mark.parametrize(("h", "power"), [(1, 2), (3, 1), (5, 2)])
def test_dm_with_autocovariance_lags_matches_the_written_out_formula(h, power):
    rng = np.random.default_rng(h)
    e1 = np.convolve(rng.normal(0, 1, 60), np.ones(h) / h, mode="same")
    e2 = e1 + rng.normal(0.2, 0.5, 60)
    got = ev.diebold_mariano(e1, e2, h=h, power=power)
    stat, p = _dm_reference(e1, e2, h, power)
    assert got["stat"] == pytest.approx(stat, rel=1e-9)
    assert got["pvalue"] == pytest.approx(p, rel=1e-7)


def test_dm_of_identical_forecasts_finds_no_difference():
    e = np.array([1.0, -2.0, 0.5, 0.3])
    assert ev.diebold_mariano(e, e)["pvalue"] == 1.0
