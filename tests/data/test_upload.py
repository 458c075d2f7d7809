"""core.data.upload: window arithmetic checked against prepare(), cleaning, the trainability
check's exact messages, and the provenance of an uploaded Dataset."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import DataError, prepare, read_series_csv_with_report, to_csv_bytes
from core.data.upload import (
    FREQUENCIES,
    MIN_LOOKBACK,
    CleanOptions,
    check_trainable,
    check_upload_size,
    clean,
    column_table,
    dataset_name,
    describe_frequency,
    longest_lookback,
    make_dataset,
    rows_needed,
    sha256,
)
from core.forecast.run import fit_forecaster

DATA = Path(__file__).resolve().parents[1] / "fixtures" / "data"
GAPPY = b"Date,a,b\n2024-01-01,1,10\n2024-01-02,,20\n2024-01-03,3,\n2024-01-05,5,50\n"


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"v": np.sin(np.arange(n) / 3.0)}, index=pd.RangeIndex(n, name="row"))


def _prepares(n: int, lookback: int, horizon: int, val: float, test: float) -> bool:
    cfg = DataConfig(
        target="v", lookback=lookback, horizon=horizon, val_fraction=val, test_fraction=test
    )
    try:
        prepare(_frame(n), cfg)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    "lookback,horizon,val,test",
    [
        (5, 1, 0.15, 0.15),
        (30, 1, 0.15, 0.15),
        (12, 3, 0.15, 0.15),
        (7, 5, 0.2, 0.1),
        (10, 1, 0.0, 0.0),
        (3, 2, 0.05, 0.3),
    ],
)
def test_rows_needed_is_the_exact_threshold_of_prepare(lookback, horizon, val, test):
    n = rows_needed(lookback, horizon, val, test)
    assert _prepares(n, lookback, horizon, val, test)
    assert not _prepares(n - 1, lookback, horizon, val, test)
    assert longest_lookback(n, horizon, val, test) >= lookback
    assert longest_lookback(n - 1, horizon, val, test) < lookback


@pytest.mark.parametrize("n", [10, 14, 100, 2500])
def test_longest_lookback_trains_and_one_more_does_not(n):
    t = longest_lookback(n)
    assert t >= 1
    assert _prepares(n, t, 1, 0.15, 0.15)
    assert not _prepares(n, t + 1, 1, 0.15, 0.15)


def test_rows_needed_rejects_bad_numbers_with_the_config_message():
    with pytest.raises(ValueError, match=r"^lookback must be an integer >= 1, got 0$"):
        rows_needed(0)


def test_describe_frequency():
    assert describe_frequency("B") == "business days (Mon-Fri)"
    assert describe_frequency("MS") == "monthly (month start)"
    assert describe_frequency("W-FRI") == "weekly (weeks ending Fri)"
    assert describe_frequency("5min") == "every 5 min (5min)"
    assert describe_frequency(None) == "irregular"
    assert set(FREQUENCIES) <= {a for a in FREQUENCIES if describe_frequency(a) != a}


def test_clean_fill_methods_report_what_changed():
    frame, _ = read_series_csv_with_report(GAPPY)
    out, steps, filled = clean(frame, CleanOptions(fill="ffill"))
    assert out["a"].tolist() == [1, 1, 3, 5] and out["b"].tolist() == [10, 20, 20, 50]
    assert steps == ["Forward-filled 2 missing value(s)."]
    assert filled.to_numpy().tolist() == [
        [False, False],
        [True, False],
        [False, True],
        [False, False],
    ]
    out, steps, _ = clean(frame, CleanOptions(fill="interpolate"))
    assert out.loc["2024-01-02", "a"] == pytest.approx(2.0)  # halfway by time
    assert out.loc["2024-01-03", "b"] == pytest.approx(20 + 30 / 3)  # 1 of 3 days to Jan 5
    out, steps, filled = clean(frame, CleanOptions(fill="drop"))
    assert len(out) == 2 and not filled.to_numpy().any()
    assert steps == ["Dropped 2 row(s) with missing values (2 missing value(s)); 2 rows remain."]
    out, steps, _ = clean(frame, CleanOptions(fill="none"))
    assert int(out.isna().sum().sum()) == 2
    assert steps == ["Left 2 missing value(s) as they are."]
    assert out is not frame


def test_clean_resamples_then_fills_empty_bins():
    frame, _ = read_series_csv_with_report(DATA / "yahoo" / "MSFT.csv")
    frame = frame.loc["2020-01-01":]
    out, steps, filled = clean(frame, CleanOptions(resample="W", how="last", fill="ffill"))
    expected = frame.resample("W").last()
    assert len(out) == len(expected)
    pd.testing.assert_frame_equal(out.dropna(), expected.dropna(), check_freq=False)
    assert steps[0].startswith(f"Resampled {len(frame):,} rows to weekly (weeks ending Sunday) ")
    # a year of days to months with mean: empty bins are filled and marked
    days = pd.DataFrame(
        {"x": [1.0, 3.0, 5.0]}, index=pd.to_datetime(["2024-01-10", "2024-01-20", "2024-03-05"])
    )
    out, steps, filled = clean(days, CleanOptions(resample="ME", how="mean", fill="interpolate"))
    assert out["x"].tolist() == pytest.approx([2.0, 2 + 3 * 29 / 60, 5.0])  # by time: Feb 29
    assert filled["x"].tolist() == [False, True, False]
    assert "1 bin(s) without data" in steps[0]


def test_clean_refuses_resampling_row_numbers():
    with pytest.raises(DataError, match=r"^resample needs a frame indexed by dates"):
        clean(_frame(20), CleanOptions(resample="D"))


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (
            {"resample": "2D"},
            "resample must be one of min, h, D, B, W, ME, QE, YE or None, got '2D'",
        ),
        ({"how": "sum"}, "how must be one of last, mean, got 'sum'"),
        ({"fill": "zero"}, "fill must be one of ffill, interpolate, drop, none, got 'zero'"),
    ],
)
def test_clean_options_validate(kwargs, message):
    with pytest.raises(DataError) as info:
        CleanOptions(**kwargs)
    assert str(info.value) == message


def test_check_trainable_messages():
    frame, _ = read_series_csv_with_report(GAPPY)
    with pytest.raises(DataError) as info:
        check_trainable(frame, "a", ["zz"])
    assert str(info.value) == "Column(s) not in the data: zz; available: a, b."
    with pytest.raises(DataError) as info:
        check_trainable(frame, "a")
    assert str(info.value) == (
        "Column 'a' still has 1 missing value(s) (first at 2024-01-02 00:00:00); choose how to "
        "handle missing values (forward fill, interpolate or drop rows)."
    )
    empty = frame.assign(b=np.nan)
    with pytest.raises(DataError) as info:
        check_trainable(empty.ffill(), "a", ["b"])
    assert str(info.value) == "Column 'b' has no values at all; choose another column."
    need = rows_needed(MIN_LOOKBACK)
    with pytest.raises(DataError) as info:
        check_trainable(frame.ffill(), "a", ["b"])
    assert str(info.value) == (
        f"Only 4 rows after cleaning; at least {need} are needed for the shortest window "
        "(lookback 5 + horizon 1) with 15% validation and 15% test rows. Use a finer "
        "resampling frequency, fill instead of dropping rows, or upload a longer series."
    )
    check_trainable(_frame(need), "v")  # exactly enough: no error


def test_check_upload_size_message():
    check_upload_size("a.csv", 50 * 2**20, 50 * 2**20)
    with pytest.raises(DataError) as info:
        check_upload_size("big.csv", 50 * 2**20 + 1, 50 * 2**20)
    assert str(info.value) == (
        "big.csv is 50.0 MB; the upload limit is 50 MB. Upload fewer rows (a shorter period), "
        "fewer columns, or a coarser frequency."
    )


def test_dataset_name():
    assert dataset_name("airline-passengers.csv") == "airline-passengers (upload)"
    assert dataset_name("C:\\Users\\me\\sales 2024.CSV") == "sales 2024 (upload)"
    assert dataset_name("a\x00b\n.csv") == "a b (upload)"
    assert dataset_name(".csv") == ".csv (upload)"
    assert dataset_name("") == "upload (upload)"
    assert len(dataset_name("x" * 500 + ".csv")) == 60 + len(" (upload)")


def test_column_table_counts_file_and_cleaned_values():
    raw = b"Date,p,q\n2024-01-01,1,x\n2024-01-02,n/a,2\n2024-01-03,3,3\n2024-01-04,4%,4\n"
    frame, report = read_series_csv_with_report(raw)
    cleaned = clean(frame, CleanOptions(fill="ffill")).frame
    table = column_table(frame, cleaned, report).set_index("column")
    assert table.loc["p", "missing in file"] == 1 and table.loc["p", "not numbers"] == 1
    assert table.loc["p", "examples (line)"] == "'n/a' (3)"
    assert table.loc["q", "examples (line)"] == "'x' (2)"
    assert table.loc["p", "missing after cleaning"] == 0
    assert table.loc["p", "max"] == 4.0 and table.loc["q", "min"] == 2.0
    assert "percent" in table.loc["p", "note"]


def test_make_dataset_provenance_and_training():
    raw = (DATA / "yahoo" / "AAPL.csv").read_bytes()
    frame, report = read_series_csv_with_report(raw)
    options = CleanOptions(fill="interpolate")
    cleaned = clean(frame, options).frame
    ds = make_dataset(
        cleaned,
        file_name="AAPL.csv",
        raw_sha256=sha256(raw),
        report=report,
        options=options,
        target="Close",
        features=["Volume", "Close"],
    )
    assert ds.name == "AAPL (upload)"
    assert ds.columns == ["Close", "Volume"]  # target first, no repeats
    p = ds.provenance
    assert p["sha256"] == hashlib.sha256(raw).hexdigest()
    assert (p["kind"], p["file"], p["rows"]) == ("upload", "AAPL.csv", 1258)
    assert (p["start"], p["end"]) == ("2019-07-01", "2024-06-28")
    assert p["target"] == "Close" and p["features"] == ["Volume", "Close"]
    assert p["cleaning"] == {"resample": None, "how": "last", "fill": "interpolate"}
    assert p["report"] == report.to_dict()
    assert ds.frame.attrs == {}
    pd.testing.assert_series_equal(ds.frame["Close"], frame["Close"])
    # the stored frame round-trips through the download format
    back, _ = read_series_csv_with_report(to_csv_bytes(ds.frame))
    pd.testing.assert_frame_equal(back, ds.frame, check_freq=False, check_names=False)
    # and trains: a tiny model, finite losses
    torch.manual_seed(0)
    run = fit_forecaster(
        ds.tail(300),
        DataConfig(target="Close", features=("Close", "Volume"), lookback=10),
        ModelConfig(hidden_size=8),
        TrainConfig(epochs=2, batch_size=64),
    )
    assert all(np.isfinite(h["train_loss"]) and np.isfinite(h["val_loss"]) for h in run.fit.history)


def test_make_dataset_refuses_untrainable_choice():
    frame, report = read_series_csv_with_report(GAPPY)
    with pytest.raises(DataError, match=r"^Column 'a' still has 1 missing value"):
        make_dataset(
            frame,
            file_name="g.csv",
            raw_sha256=sha256(GAPPY),
            report=report,
            options=CleanOptions(fill="none"),
            target="a",
        )
