"""Walk-forward backtest: no leaks, honest ratios on real histories, multi-step, CLI."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.forecast import stock_model
from core.forecast.backtest import (
    BacktestConfig,
    future_forecast,
    teacher_forcing_demo,
    walk_forward,
)
from core.forecast.stock_model import StockConfig, fit_at, forecast_at

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "stocks"
SMALL = StockConfig(epochs=2, train_rows=300, hidden_size=8)
SMALL_BT = BacktestConfig(origins=4, refit_every=2, test_rows=60, baselines=False)


def load(name: str, last: int | None = None) -> pd.DataFrame:
    """Fixtures read with plain pandas (independent of the project's CSV parsers)."""
    frame = pd.read_csv(FIX / name, index_col="Date", parse_dates=["Date"]).astype("float64")
    return frame.iloc[-last:] if last else frame


@pytest.fixture(scope="module")
def msft() -> pd.DataFrame:
    return load("MSFT.csv", last=600)


def _noise_after(frame: pd.DataFrame, row: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    noisy = frame.copy()
    tail = noisy.iloc[row + 1 :]
    noisy.iloc[row + 1 :] = tail.to_numpy() * rng.uniform(0.2, 5.0, tail.shape)
    return noisy


@pytest.mark.parametrize(
    "cfg",
    [SMALL, SMALL.replace(mode="window", extra_inputs=("High", "Volume")),
     SMALL.replace(mode="level"), SMALL.replace(strategy="recursive", horizon=3)],
    ids=["return", "window+inputs", "level", "recursive"],
)  # fmt: skip
def test_noise_after_an_origin_leaves_that_origins_forecast_unchanged(msft, cfg):
    clean = walk_forward(msft, cfg, SMALL_BT).table
    origins = clean["origin"].drop_duplicates()
    cut = origins.iloc[2]  # after the 2nd refit: scaler and model both refitted by then
    noisy = walk_forward(_noise_after(msft, msft.index.get_loc(cut)), cfg, SMALL_BT).table
    cols = ["model", "lower", "upper", "naive", "drift", "moving_average"]
    before = clean["origin"] <= cut
    pd.testing.assert_frame_equal(clean.loc[before, cols], noisy.loc[before, cols])
    # and the noise did reach the later origins' inputs: the check can fail
    assert not np.allclose(clean.loc[~before, "model"], noisy.loc[~before, "model"])


def test_scalers_and_training_never_read_rows_after_the_origin(msft, monkeypatch):
    raw = msft[["Close"]].to_numpy(np.float64)
    o = 450
    poisoned = raw.copy()
    poisoned[o + 1 :] = 1e9  # any fit that saw these would have enormous values
    seen: list[np.ndarray] = []
    real_fit = stock_model.Scaler.fit.__func__

    def spy(cls, values, kind="standard"):
        seen.append(np.asarray(values))
        return real_fit(cls, values, kind)

    monkeypatch.setattr(stock_model.Scaler, "fit", classmethod(spy))
    for cfg in (SMALL, SMALL.replace(mode="level")):
        seen.clear()
        fitted = fit_at(poisoned, cfg, o)
        fc = forecast_at(fitted, poisoned, o)
        assert seen and max(float(np.abs(v).max()) for v in seen) < 1e4
        ref = forecast_at(fit_at(raw[: o + 1], cfg, o), raw[: o + 1], o)
        np.testing.assert_array_equal(fc, ref)


def test_baselines_use_the_history_up_to_each_origin(msft):
    bt = walk_forward(msft, SMALL.replace(horizon=2), SMALL_BT)
    close = msft["Close"]
    for _, row in bt.table.iterrows():
        o = close.index.get_loc(row.origin)
        hist = close.iloc[max(0, o - 299) : o + 1].to_numpy()
        k = row.step
        assert row.truth == close.iloc[o + k] and row.target_date == close.index[o + k]
        assert row.naive == hist[-1] == row["last"]
        assert row.drift == pytest.approx(hist[-1] + k * (hist[-1] - hist[0]) / (len(hist) - 1))
        assert row.moving_average == pytest.approx(hist[-20:].mean())
        assert row.lower <= row.model <= row.upper


@pytest.mark.parametrize("name", ["MSFT.csv", "AAPL.csv", "SPY.csv", "BTC-USD.csv"])
def test_default_one_step_mae_ratio_is_honest_on_real_histories(name):
    """[0.9, 1.2]: below, a leak is likelier than skill; above, the model collapsed."""
    result = walk_forward(load(name), StockConfig(), BacktestConfig(origins=20, baselines=False))
    s = result.summary
    assert s["n_origins"] == 20 and s["n_forecasts"] == 20
    assert 0.9 <= s["mae_ratio"] <= 1.2, s["mae_ratio"]
    assert s["naive"]["mae"] > 0 and np.isnan(s["naive"]["directional_accuracy"])


def test_price_level_mode_falls_into_the_trap_the_default_avoids():
    frame = load("MSFT.csv")
    level = walk_forward(
        frame, StockConfig(mode="level"), BacktestConfig(origins=20, baselines=False)
    )
    assert level.summary["mae_ratio"] > 1.5  # test prices lie above the training range
    assert level.summary["verdict"]["text"].startswith("The model did not beat the naive forecast")


@pytest.mark.parametrize("strategy", ["direct", "recursive"])
def test_multi_step_forecasts_are_dated_and_ordered(msft, strategy):
    cfg = SMALL.replace(horizon=5, strategy=strategy)
    bt = walk_forward(msft, cfg, SMALL_BT)
    assert len(bt.table) == 5 * bt.summary["n_origins"]
    for _, g in bt.table.groupby("origin"):
        assert list(g.step) == [1, 2, 3, 4, 5]
        assert (g.target_date > g.origin).all() and g.target_date.is_monotonic_increasing
    widths = bt.table.groupby("step").apply(lambda g: (g.upper - g.lower).mean())
    assert widths.iloc[-1] > widths.iloc[0]  # uncertainty grows with the horizon
    assert [p["step"] for p in bt.summary["per_step"]] == [1, 2, 3, 4, 5]


def test_future_forecast_is_dated_on_the_trading_calendar(msft):
    fc = future_forecast(msft, SMALL.replace(horizon=3))
    assert list(fc.columns) == ["lower", "median", "upper"]
    assert fc.index[0] > msft.index[-1] and (fc.index.day_of_week < 5).all()
    assert (fc["lower"] <= fc["median"]).all() and (fc["median"] <= fc["upper"]).all()
    btc = load("BTC-USD.csv", last=500)
    days = future_forecast(btc, SMALL.replace(horizon=7)).index
    assert list(days) == list(pd.date_range(btc.index[-1], periods=8, freq="D")[1:])


def test_one_step_predictions_look_better_than_a_free_running_forecast(msft):
    demo = teacher_forcing_demo(msft, SMALL, origin=480, steps=60)
    assert list(demo.columns) == ["truth", "one_step", "free_run", "naive"] and len(demo) == 60
    assert demo.one_step.iloc[0] == pytest.approx(demo.free_run.iloc[0])
    err_one = (demo.truth - demo.one_step).abs().mean()
    err_free = (demo.truth - demo.free_run).abs().mean()
    assert err_one < err_free  # fed true prices, it just follows them a day late


def test_stop_returns_the_partial_backtest(msft):
    stop = threading.Event()
    stop.set()
    result = walk_forward(msft, SMALL, SMALL_BT, stop_event=stop)
    assert result.stopped and result.table.empty and result.fits == 0


def test_bad_settings_have_exact_messages(msft):
    with pytest.raises(ValueError, match=r"^horizon must be 1 to 30 trading days, got 31$"):
        StockConfig(horizon=31)
    with pytest.raises(ValueError, match=r"^recursive forecasts feed the model its own"):
        StockConfig(strategy="recursive", extra_inputs=("Volume",))
    with pytest.raises(ValueError, match=r"^mode must be one of return, window, level, got 'x'$"):
        StockConfig(mode="x")
    with pytest.raises(ValueError) as e:
        walk_forward(msft.iloc[:90], SMALL, BacktestConfig(origins=20, baselines=False))
    assert str(e.value) == (
        "the series has 90 rows: too short for 20 origins with horizon 1; use fewer "
        "origins, a shorter horizon or more data"
    )
    with pytest.raises(ValueError, match=r"^column\(s\) not in the data: Price;"):
        walk_forward(msft, SMALL.replace(target="Price"), SMALL_BT)


@pytest.mark.parametrize(
    "name", ["MSFT_yf_multiindex_header.csv", "SPY_yf1x_flat_CHLOV.csv",
             "MSFT_leading_index_col.csv", "AAPL.csv"],
)  # fmt: skip
def test_cli_prints_one_json_object(name, capsys):
    from core.cli import main

    argv = ["backtest", "--csv", str(FIX / name), "--target", "Close", "--horizon", "1",
            "--origins", "5", "--refit-every", "5", "--epochs", "2", "--json"]  # fmt: skip
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    for section in ("model", "naive", "drift"):
        assert {"mae", "rmse", "mase", "directional_accuracy"} <= set(out[section])
    assert out["mae_ratio"] == pytest.approx(out["model"]["mae"] / out["naive"]["mae"])
    assert 0 <= out["dm_pvalue"] <= 1 and out["origins"] == 5
    extra = out["baselines"]  # refitted on the rows up to the origins, same forecast rows
    assert set(extra["scores"]) == {"seasonal naive", "AutoETS", "AutoARIMA", "AutoTheta"}
    assert extra["season_length"] == 5 and extra["failures"] == {}


def test_cli_bad_file_is_a_clean_error(capsys, tmp_path):
    from core.cli import main

    assert main(["backtest", "--csv", str(tmp_path / "none.csv"), "--json"]) == 2
    assert capsys.readouterr().err.strip() == f"error: no such file: {tmp_path / 'none.csv'}"


def _table(model_err: np.ndarray, naive_err: np.ndarray) -> pd.DataFrame:
    n = len(model_err)
    truth = 100 + np.arange(n, dtype=float)
    return pd.DataFrame(
        {
            "origin": pd.bdate_range("2024-01-01", periods=n),
            "step": 1,
            "last": truth - naive_err,
            "truth": truth,
            "model": truth - model_err,
            "lower": truth - model_err - 1,
            "upper": truth - model_err + 1,
            "naive": truth - naive_err,
            "drift": truth - naive_err,
            "moving_average": truth - naive_err,
        }
    )


def test_a_ratio_far_below_one_triggers_the_leakage_warning():
    from core.forecast.backtest import summarize

    rng = np.random.default_rng(0)
    naive_err = rng.normal(0, 2.0, 40)
    leaky = summarize(_table(naive_err * 0.3, naive_err), np.arange(50.0), SMALL)
    assert leaky["mae_ratio"] == pytest.approx(0.3)
    assert leaky["verdict"]["level"] == "warning"
    assert leaky["verdict"]["text"].startswith("Suspiciously good: model MAE")
    assert "more likely a leak" in leaky["verdict"]["text"]


def test_verdict_says_not_significantly_better_when_it_was_not():
    from core.forecast.backtest import summarize

    rng = np.random.default_rng(1)
    naive_err = rng.normal(0, 2.0, 20)
    model_err = naive_err * np.tile([0.7, 1.2], 10)  # better half the time, worse otherwise
    s = summarize(_table(model_err, naive_err), np.arange(50.0), SMALL)
    assert 0.9 < s["mae_ratio"] < 1 and s["dm"]["pvalue_better"] > 0.05
    assert "but not significantly better (Diebold-Mariano p = " in s["verdict"]["text"]
    clearly = summarize(_table(naive_err * 0.92, naive_err), np.arange(50.0), SMALL)
    assert clearly["verdict"]["level"] == "success"
    assert clearly["verdict"]["text"].startswith("The model beat the naive forecast")


def test_the_statistical_baselines_never_read_rows_after_their_origin(msft):
    bt = BacktestConfig(origins=4, refit_every=2, test_rows=60, stat_rows=120)
    cfg = SMALL.replace(horizon=2)
    clean = walk_forward(msft, cfg, bt)
    extra = clean.summary["baselines"]
    assert extra["season_length"] == 5 and extra["refit_every"] == 2 and not extra["failures"]
    cols = ["seasonal naive", "AutoETS", "AutoARIMA", "AutoTheta", "AutoETS lower"]
    origins = clean.table["origin"].drop_duplicates()
    cut = origins.iloc[2]  # a refit origin: the models are fitted again there
    noisy = walk_forward(_noise_after(msft, msft.index.get_loc(cut)), cfg, bt)
    before = clean.table["origin"] <= cut
    pd.testing.assert_frame_equal(clean.table.loc[before, cols], noisy.table.loc[before, cols])
    assert not np.allclose(clean.table.loc[~before, "AutoETS"], noisy.table.loc[~before, "AutoETS"])
    for name in ("seasonal naive", "AutoETS", "AutoARIMA", "AutoTheta"):
        assert clean.summary["baselines"]["scores"][name]["mae"] > 0
    assert set(extra["coverage"]) == {"AutoETS", "AutoARIMA", "AutoTheta"}
