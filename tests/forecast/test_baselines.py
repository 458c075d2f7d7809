"""Baselines, MASE and conformal intervals against independent computations."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.data import load_sample
from core.forecast import baselines as bl
from core.forecast.conformal import conformal_interval, conformal_radius
from core.forecast.metrics import coverage, mase, naive_scale, point_scores


@pytest.fixture(scope="module")
def airline() -> np.ndarray:
    return load_sample("airline").frame["Passengers"].to_numpy(np.float64)


def test_seasonal_naive_by_hand():
    y = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    # m = 4: the last season is 7, 8, 9, 10 and repeats
    np.testing.assert_array_equal(bl.seasonal_naive_forecast(y, 6, 4), [7, 8, 9, 10, 7, 8])
    np.testing.assert_array_equal(bl.seasonal_naive_forecast(y, 2, 1), [10, 10])
    out = bl.simple_forecasts(y, np.array([5, 8]), 3, 4, bl.BaselineForecasts())
    # origin 5 sees y[:5] = 1..5: seasonal naive 2, 3, 4; naive 5; drift 5 + k
    np.testing.assert_array_equal(out.mean["seasonal naive"], [[2, 3, 4], [5, 6, 7]])
    np.testing.assert_array_equal(out.mean["naive"], [[5, 5, 5], [8, 8, 8]])
    np.testing.assert_allclose(out.mean["drift"], [[6, 7, 8], [9, 10, 11]])


def test_seasonal_naive_too_short_is_reported_not_dropped():
    out = bl.simple_forecasts(np.arange(1.0, 30), np.array([5, 20]), 1, 12, bl.BaselineForecasts())
    assert "seasonal naive" not in out.mean and "naive" in out.mean
    assert out.failures["seasonal naive"] == (
        "too short for season length 12: the first origin has only 5 values before it"
    )


def test_mase_by_hand():
    train = np.array([10.0, 12, 11, 15, 14])  # |diffs| 2, 1, 4, 1: naive scale 2
    assert naive_scale(train, 1) == 2.0
    assert naive_scale(train, 2) == pytest.approx((1 + 3 + 3) / 3)  # |11-10|, |15-12|, |14-11|
    y, yhat = np.array([16.0, 18]), np.array([15.0, 15])  # MAE 2
    assert mase(y, yhat, train, 1) == pytest.approx(1.0)
    assert mase(y, yhat, train, 2) == pytest.approx(2 / (7 / 3))
    s = point_scores(y, yhat, 4.0)
    assert s["mae"] == 2 and s["mase"] == 0.5 and s["rmse"] == pytest.approx(math.sqrt(5))
    assert s["smape"] == pytest.approx(100 * (2 / 31 + 6 / 33) / 2)


@pytest.mark.parametrize(
    "index, m, why",
    [
        (pd.date_range("2000-01-01", periods=40, freq="MS"), 12, "monthly data"),
        (pd.date_range("2000-01-31", periods=40, freq="ME"), 12, "monthly data"),
        (pd.date_range("2000-01-01", periods=40, freq="QS"), 4, "quarterly data"),
        (pd.bdate_range("2020-01-01", periods=40), 5, "trading days, weekdays only"),
        (pd.date_range("2020-01-01", periods=40, freq="D"), 7, "daily calendar data"),
        (pd.date_range("2020-01-01", periods=40, freq="h"), 24, "hourly data"),
        (pd.RangeIndex(40), 1, "no dates, so no calendar season"),
    ],
)
def test_season_length_from_the_dates(index, m, why):
    assert bl.season_length(index) == (m, why)
    assert bl.season_length(index, 3) == (3, "set by you")


def test_autoets_matches_statsforecasts_own_api(airline):
    """At the first origin after the fitting rows, forward == StatsForecast.forecast."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    fit_end, h = 100, 4
    out = bl.stats_forecasts(airline, np.array([fit_end, fit_end + 7]), h, 12, fit_end,
                             (80,), models=("AutoETS",))  # fmt: skip
    dates = pd.date_range("1949-01-01", periods=fit_end, freq="MS")
    df = pd.DataFrame({"unique_id": "air", "ds": dates, "y": airline[:fit_end]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = StatsForecast(models=[AutoETS(season_length=12)], freq="MS").forecast(
            df=df, h=h, level=[80]
        )
    np.testing.assert_allclose(out.mean["AutoETS"][0], ref["AutoETS"], rtol=1e-6)
    np.testing.assert_allclose(out.lower["AutoETS"][80][0], ref["AutoETS-lo-80"], rtol=1e-6)
    # later origins: the same fitted model applied to the rows before the origin only
    model = AutoETS(season_length=12).fit(airline[:fit_end])
    later = model.forward(airline[: fit_end + 7], h=h)["mean"]
    np.testing.assert_allclose(out.mean["AutoETS"][1], later, rtol=1e-9)
    assert out.seconds["AutoETS"]["fit_s"] > 0


def test_failures_are_reported_with_their_reason(airline):
    origins = np.array([30, 31])
    short = bl.all_forecasts(airline, np.array([20]), 1, 12, 20)
    for name in bl.STATS:
        assert short.failures[name] == (
            "too short: season length 12 (two full seasons) needs at least 24 rows before "
            "the first origin, has 20"
        )
        assert name not in short.mean
    const = bl.all_forecasts(np.full(40, 7.0), origins, 1, 1, 30)
    for name in bl.STATS:
        assert const.failures[name] == (
            "the series is constant (7) on the fitting rows: nothing to estimate"
        )
    np.testing.assert_array_equal(const.mean["naive"], [[7.0], [7.0]])
    signed = np.sin(np.arange(60) * np.pi / 6) * 5 - 1  # crosses zero
    neg = bl.all_forecasts(signed, np.array([50]), 2, 12, 50)
    assert neg.notes["AutoETS"].startswith("values <= 0: only additive")
    assert neg.notes["AutoTheta"].startswith("values <= 0: additive seasonal decomposition")
    assert set(bl.METHODS) == set(neg.mean)  # still computed


def test_without_statsforecast_the_simple_baselines_still_run(airline, monkeypatch):
    monkeypatch.setattr(bl, "statsforecast_models", lambda: None)
    out = bl.all_forecasts(airline, np.array([100, 110]), 2, 12, 100)
    assert set(out.mean) == {"naive", "seasonal naive", "drift"}
    assert out.failures == {name: bl.MISSING for name in bl.STATS}


def test_statistical_forecasts_never_read_rows_after_the_origin(airline):
    origins = np.array([110, 120, 135])
    clean = bl.all_forecasts(airline, origins, 3, 12, 100, refit=2)
    poisoned = airline.copy()
    poisoned[120:] *= 50  # the target rows of origin 120 on: origins 110 and 120 unchanged
    dirty = bl.all_forecasts(poisoned, origins, 3, 12, 100, refit=2)
    for name in bl.METHODS:
        np.testing.assert_array_equal(clean.mean[name][:2], dirty.mean[name][:2])
        assert not np.allclose(clean.mean[name][2], dirty.mean[name][2])


def test_conformal_radius_is_the_finite_sample_quantile():
    r = np.arange(1.0, 20)  # 19 residuals: 80 % -> rank ceil(20 * 0.8) = 16
    assert conformal_radius(r, 80)[0] == 16.0
    assert conformal_radius(r, 95)[0] == 19.0  # rank ceil(20 * 0.95) = 19
    assert math.isinf(conformal_radius(r[:10], 95)[0])  # rank 11 of 10: no finite radius
    assert conformal_radius([4.0, 1, 3, 2], 50)[0] == 3.0  # rank ceil(5 / 2) = 3, not 2
    two = np.column_stack([r, 2 * r])
    np.testing.assert_array_equal(conformal_radius(two, 80), [16.0, 32.0])
    lo, hi = conformal_interval(np.array([[0.0, 1.0]]), [16.0, 32.0])
    np.testing.assert_array_equal(lo, [[-16.0, -31.0]])
    np.testing.assert_array_equal(hi, [[16.0, 33.0]])
    with pytest.raises(ValueError, match="between 0 and 100"):
        conformal_radius(r, 1.2 * 100)


@pytest.mark.parametrize("level", [80, 95])
def test_conformal_intervals_reach_their_nominal_coverage_with_known_noise(level):
    """Exchangeable N(0, 1) errors: mean coverage over 400 seeds within 1 point of the level,
    and the radius near the |N(0, 1)| quantile of the conformal rank (about 1.28 for 80 %)."""
    covs, radii = [], []
    for seed in range(400):
        rng = np.random.default_rng(seed)
        truth = np.sin(np.arange(300) / 7)  # the "model" knows the signal, not the noise
        y = truth + rng.standard_normal(300)
        cal, test = slice(0, 150), slice(150, 300)
        radius = conformal_radius((y[cal] - truth[cal])[:, None], level)
        lo, hi = conformal_interval(truth[test][:, None], radius)
        covs.append(coverage(y[test][:, None], lo, hi))
        radii.append(radius[0])
    assert abs(np.mean(covs) - level / 100) < 0.01, np.mean(covs)
    rank = math.ceil(151 * level / 100)  # of the 150 calibration residuals
    z = stats.norm.ppf((1 + rank / 151) / 2)  # 1.30 at 80 %, 1.99 at 95 %
    assert abs(np.mean(radii) - z) < 0.03, (np.mean(radii), z)
