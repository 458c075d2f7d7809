"""Windowing equals a naive loop; the scaler never sees validation or test rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.config import DataConfig
from core.data import load_sample, make_windows, prepare, split_points, synthetic


def naive_windows(feat, targ, t, k, lo, hi):
    xs, ys, starts = [], [], []
    for s in range(len(feat)):
        if s - t >= 0 and s >= lo and s + k <= hi:
            xs.append(feat[s - t : s])
            ys.append(targ[s : s + k])
            starts.append(s)
    return np.array(xs), np.array(ys), np.array(starts)


@pytest.mark.parametrize(("t", "k", "lo", "hi"), [(5, 1, 0, 60), (7, 3, 20, 45), (1, 4, 50, 80)])
def test_windows_match_a_naive_loop(t, k, lo, hi):
    rng = np.random.default_rng(1)
    feat, targ = rng.normal(size=(80, 3)), rng.normal(size=80)
    w = make_windows(feat, targ, t, k, lo, hi)
    x, y, s = naive_windows(feat, targ, t, k, lo, hi)
    np.testing.assert_allclose(w.x, x, rtol=1e-6)
    np.testing.assert_allclose(w.y, y, rtol=1e-6)
    np.testing.assert_array_equal(w.start, s)


def test_spans_never_share_target_rows():
    frame = synthetic("sine", n=300).frame
    p = prepare(frame, DataConfig(target="value", lookback=10, horizon=5))
    train_rows = {int(s) + j for s in p.train.start for j in range(5)}
    val_rows = {int(s) + j for s in p.val.start for j in range(5)}
    test_rows = {int(s) + j for s in p.test.start for j in range(5)}
    assert max(train_rows) < p.train_end <= min(val_rows)
    assert max(val_rows) < p.val_end <= min(test_rows)
    assert max(test_rows) == len(frame) - 1


def test_scaler_never_sees_validation_or_test_values():
    """Changing every row after the training span leaves the scaler and train windows alone."""
    ds = load_sample("MSFT", last=600)
    cfg = DataConfig(target="Close", features=("Open", "Close", "Volume"), lookback=20)
    a = prepare(ds.frame, cfg)
    changed = ds.frame.copy()
    changed.iloc[a.train_end :] = changed.iloc[a.train_end :] * 1000 + 7
    b = prepare(changed, cfg)
    np.testing.assert_array_equal(a.feature_scaler.shift, b.feature_scaler.shift)
    np.testing.assert_array_equal(a.target_scaler.scale, b.target_scaler.scale)
    np.testing.assert_array_equal(a.train.x, b.train.x)
    np.testing.assert_array_equal(a.train.y, b.train.y)
    assert not np.array_equal(a.test.y, b.test.y)  # the change did reach the test span


def test_scaler_round_trip_and_training_statistics():
    frame = pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0) ** 2})
    p = prepare(frame, DataConfig(target="b", features=("a", "b"), lookback=3))
    train = frame.iloc[: p.train_end].to_numpy()
    np.testing.assert_allclose(p.feature_scaler.shift, train.mean(axis=0))
    np.testing.assert_allclose(p.feature_scaler.inverse(p.feature_scaler.transform(train)), train)
    # targets come back in original units
    np.testing.assert_allclose(
        p.target_scaler.inverse(p.val.y[:, :1].astype(np.float64))[:, 0],
        frame["b"].to_numpy()[p.val.start],
        rtol=1e-5,
    )


def test_split_points_are_chronological():
    assert split_points(100, 0.15, 0.15) == (70, 85)
    assert split_points(100, 0.0, 0.2) == (80, 80)


def test_bad_data_gets_clear_messages():
    frame = synthetic("sine", n=100).frame
    with pytest.raises(ValueError, match="column\\(s\\) not in the data: Close"):
        prepare(frame, DataConfig(target="Close"))
    with pytest.raises(ValueError, match="training rows for lookback 90"):
        prepare(frame, DataConfig(target="value", lookback=90))
    holes = frame.copy()
    holes.iloc[5, 0] = np.nan
    with pytest.raises(
        ValueError, match=r"1 row\(s\) with missing or infinite values \(first at 5\)"
    ):
        prepare(holes, DataConfig(target="value"))


def test_synthetic_series_are_seedable():
    a = synthetic("noisy_sine", n=200, seed=3).frame
    b = synthetic("noisy_sine", n=200, seed=3).frame
    c = synthetic("noisy_sine", n=200, seed=4).frame
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    for kind in ("sine", "sum_of_sines", "trend_seasonal"):
        assert len(synthetic(kind, n=50).frame) == 50
    with pytest.raises(ValueError, match="unknown synthetic series 'cosine'"):
        synthetic("cosine")


def test_offline_sample_is_the_real_msft_history():
    ds = load_sample("MSFT")
    assert list(ds.frame.columns) == ["Open", "High", "Low", "Close", "Adj Close", "Volume"]
    assert len(ds.frame) == 8761
    assert str(ds.frame.index[0].date()) == "1986-03-13"
    assert ds.frame.index.is_monotonic_increasing and ds.frame.index.is_unique
    assert ds.provenance["license"] == "MIT" and ds.provenance["offline"] is True
    assert len(load_sample("MSFT", last=100).frame) == 100


@pytest.mark.parametrize("mode", ["diff", "ratio"])
def test_relative_modes_invert_exactly_and_do_not_leak(mode):
    ds = load_sample("MSFT", last=600)
    cfg = DataConfig(target="Close", features=("Close", "Volume"), lookback=20, horizon=3,
                     normalize=mode)  # fmt: skip
    p = prepare(ds.frame, cfg)
    for span in ("train", "val", "test"):
        w = p.span(span)
        truth = np.stack([p.target[w.start + j] for j in range(3)], axis=1)
        np.testing.assert_allclose(p.to_units(w.y, span), truth, rtol=1e-5)
    changed = ds.frame.copy()
    changed.iloc[p.train_end :] = changed.iloc[p.train_end :] * 3 + 1
    q = prepare(changed, cfg)
    np.testing.assert_array_equal(p.feature_scaler.scale, q.feature_scaler.scale)
    np.testing.assert_array_equal(p.train.x, q.train.x)


def test_ratio_mode_refuses_non_positive_values():
    frame = synthetic("sine", n=200).frame
    with pytest.raises(ValueError, match="every value must be positive; value has zero"):
        prepare(frame, DataConfig(target="value", normalize="ratio"))
    with pytest.raises(ValueError, match="normalize must be one of level, diff, ratio"):
        DataConfig(normalize="log")


def test_one_window_builder_and_one_set_of_target_encodings():
    """make_windows and the stock forecaster cut windows and encode targets with the same code."""
    from core.data.windows import ENCODINGS, absolute, input_windows, relative, target_windows
    from core.forecast import stock_model

    values = np.arange(1.0, 41.0).reshape(20, 2)  # (N, F)
    start = np.array([3, 7, 17])
    x = input_windows(values, 3, start)  # (M, T, F)
    assert x.shape == (3, 3, 2) and x.flags.c_contiguous
    assert np.array_equal(x[1], values[4:7])
    assert np.array_equal(target_windows(values[:, 0], 3, start)[2], values[17:20, 0])
    y, base = values[10:14, :1].T + 0.5, np.array([[7.0]])
    for encoding in ENCODINGS:
        np.testing.assert_allclose(absolute(relative(y, base, encoding), base, encoding), y)
    np.testing.assert_allclose(relative(y, base, "return"), np.log(y / 7.0))
    with pytest.raises(ValueError, match=r"^encoding must be one of level, diff, ratio, return"):
        relative(y, base, "log")
    price = values[:, 0]
    ends = np.array([5, 9])
    for mode, encoding in stock_model.ENCODING.items():
        z = stock_model.encode_targets(price, ends, 2, mode)
        assert np.array_equal(
            z, relative(target_windows(price, 2, ends + 1), price[ends][:, None], encoding)
        )
        assert np.array_equal(
            stock_model.decode(z, price[ends][:, None], mode),
            absolute(z, price[ends][:, None], encoding),
        )
