"""A trained run next to its baselines: same windows, MASE denominator, verdict, intervals."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import load_sample
from core.forecast import comparison
from core.forecast.comparison import attach_comparison, compare_run, model_forecasts, verdict
from core.forecast.conformal import conformal_radius
from core.forecast.metrics import coverage, naive_scale
from core.forecast.run import fit_forecaster


@pytest.fixture(scope="module")
def run():
    ds = load_sample("airline")
    cfg = DataConfig(target="Passengers", lookback=12, horizon=2)
    return fit_forecaster(ds, cfg, ModelConfig(hidden_size=4), TrainConfig(epochs=2, seed=0))


@pytest.fixture(scope="module")
def report(run):
    return compare_run(run)


def test_every_method_is_scored_on_the_runs_own_test_windows(run, report):
    p = run.prepared
    pred, truth, starts = model_forecasts(run, "test")
    np.testing.assert_array_equal(starts, p.test.start)
    s = report["spans"]["test"]
    assert s["n_origins"] == len(p.test) and s["n_forecasts"] == 2 * len(p.test)
    assert set(s["scores"]) == {"LSTM", "naive", "seasonal naive", "drift", "AutoETS",
                                "AutoARIMA", "AutoTheta"}  # fmt: skip
    # seasonal naive by hand on those windows: y[o - 12 + k] for step k = 0, 1
    y = p.target
    snaive = np.array([[y[o - 12], y[o - 11]] for o in starts])
    scale = naive_scale(y[: p.train_end], 12)
    assert report["mase_scale"] == pytest.approx(scale)
    assert report["mase_denominator"] == (
        f"in-sample MAE of the seasonal naive forecast (m=12) on the {p.train_end} training rows"
    )
    mae = np.mean(np.abs(truth - snaive))
    assert s["scores"]["seasonal naive"]["mae"] == pytest.approx(mae)
    assert s["scores"]["seasonal naive"]["mase"] == pytest.approx(mae / scale)
    assert s["scores"]["LSTM"]["mae"] == pytest.approx(np.mean(np.abs(truth - pred)))
    best = s["best_baseline"]
    assert s["scores"][best]["rel_mae"] == pytest.approx(1.0)
    assert all(v["rel_mae"] >= 1 - 1e-12 for n, v in s["scores"].items() if n != "LSTM")


def test_the_conformal_coverage_is_measured_on_the_test_windows(run, report):
    vp, vt, _ = model_forecasts(run, "val")
    tp, tt, _ = model_forecasts(run, "test")
    for level in (80, 95):
        radius = conformal_radius(vt - vp, level)
        assert report["radius"][str(level)] == pytest.approx(list(radius))
        cov = report["coverage"][str(level)]
        assert cov["LSTM (conformal)"] == pytest.approx(coverage(tt, tp - radius, tp + radius))
        assert {"AutoETS", "AutoARIMA", "AutoTheta"} <= set(cov)


def test_the_verdict_names_the_best_method_in_words(report):
    s = report["spans"]["test"]
    best = s["best"]
    text = report["verdict"]
    if best == "LSTM":
        assert text.startswith("On the test span the LSTM is the best method")
    else:
        assert text.startswith(f"On the test span the best method is {comparison.WORDS[best]}")
        assert "the LSTM's MAE" in text
    fake = {"model": "GRU", "spans": {"test": {"best": "GRU", "best_baseline": "naive",
            "scores": {"GRU": {"mae": 1.0, "rel_mae": 0.5}, "naive": {"mae": 2.0}}}}}  # fmt: skip
    assert verdict(fake) == (
        "On the test span the GRU is the best method: MAE 1, 0.50× the best baseline, "
        "the naive forecast (repeat the last value) (MAE 2)."
    )


def test_a_failed_comparison_keeps_the_run(run, monkeypatch):
    def boom(*a, **k):
        raise ValueError("broken")

    monkeypatch.setattr(comparison, "compare_run", boom)
    extras = dict(run.extras)
    try:
        out = attach_comparison(run)
        assert out == {"error": "the baselines could not be computed: broken"}
        assert run.extras["baselines"] is out
    finally:
        run.extras.clear()
        run.extras.update(extras)


def test_the_report_is_saved_with_the_run_and_comes_back_when_reopened(run, report, tmp_path):
    from core.runs.kinds import forecaster as kind
    from core.runs.store import RunStore

    extras = dict(run.extras)
    run.extras["baselines"] = report
    try:
        store = RunStore(tmp_path / "runs")
        info = kind.save(store, run).info
        assert store.get(info.id).meta["baselines"]["verdict"] == report["verdict"]
        back = kind.load(store, info.id)
        assert back.extras["baselines"] == report
    finally:
        run.extras.clear()
        run.extras.update(extras)
