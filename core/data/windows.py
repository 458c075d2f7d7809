"""From a series to supervised windows, without leaking the future.

Order of operations, fixed by construction:
1. split the rows chronologically into train / validation / test;
2. fit the scaler on the training rows only;
3. cut windows. A window belongs to the span that holds *all* of its K target
   rows, so no training label comes from the validation or test span.

Sample j of the whole series has inputs rows [j, j+T) and targets rows
[j+T, j+T+K).

The window builders (:func:`input_windows`, :func:`target_windows`) and the target encodings
(:func:`relative`, :func:`absolute`) also serve the stock forecaster
(:mod:`core.forecast.stock_model`), whose ``return`` mode is the ``return`` encoding here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core import limits
from core.config import DataConfig

# How targets relate to the last observed value b: level y; diff y - b; ratio y / b - 1;
# return log(y / b). DataConfig.normalize offers the first three; the stock forecaster uses
# level, ratio (its "window" mode) and return.
ENCODINGS = ("level", "diff", "ratio", "return")


@dataclass(frozen=True)
class Scaler:
    """Per-column affine scaler: z = (x - shift) / scale."""

    kind: str
    shift: np.ndarray  # (C,)
    scale: np.ndarray  # (C,)

    @classmethod
    def fit(cls, values: np.ndarray, kind: str = "standard") -> Scaler:
        """values: (N, C), the training rows only."""
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 2 or len(values) == 0:
            raise ValueError("scaler needs a non-empty (rows, columns) array")
        c = values.shape[1]
        if kind == "standard":
            shift, scale = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
        elif kind == "minmax":
            lo, hi = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
            shift, scale = lo, hi - lo
        elif kind == "none":
            shift, scale = np.zeros(c), np.ones(c)
        else:
            raise ValueError(f"unknown scaler {kind!r}")
        scale = np.where(np.isfinite(scale) & (scale > 1e-12), scale, 1.0)
        return cls(kind, np.asarray(shift, np.float64), np.asarray(scale, np.float64))

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (np.asarray(values, np.float64) - self.shift) / self.scale

    def inverse(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, np.float64) * self.scale + self.shift

    def column(self, i: int) -> Scaler:
        return Scaler(self.kind, self.shift[i : i + 1], self.scale[i : i + 1])

    def to_dict(self) -> dict:
        return {"kind": self.kind, "shift": self.shift.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> Scaler:
        return cls(
            d["kind"], np.asarray(d["shift"], np.float64), np.asarray(d["scale"], np.float64)
        )


@dataclass(frozen=True)
class Windows:
    """Supervised samples of one span."""

    x: np.ndarray  # (M, T, F) float32, scaled inputs
    y: np.ndarray  # (M, K) float32, scaled targets
    start: np.ndarray  # (M,) row of each sample's first target (position in the series)

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class Prepared:
    """Everything a model needs, plus what is needed to undo the scaling."""

    train: Windows
    val: Windows
    test: Windows
    feature_scaler: Scaler  # over config.input_columns
    target_scaler: Scaler  # over config.target
    index: pd.Index  # the series' index (dates or steps), length N
    target: np.ndarray  # (N,) unscaled target column
    train_end: int  # rows [0, train_end) are training rows
    val_end: int  # rows [train_end, val_end) validation, [val_end, N) test
    config: DataConfig

    def span(self, name: str) -> Windows:
        if name not in ("train", "val", "test"):
            raise ValueError(f"span must be train, val or test, got {name!r}")
        return getattr(self, name)

    def to_units(self, yhat: np.ndarray, span: str) -> np.ndarray:
        """Model outputs (M, K) in scaled units -> values of the target in original units.

        level: undo the scaler; diff: last observed value + change; ratio: last value *
        (1 + relative change). The last observed value is the target at row start - 1.
        """
        w = self.span(span)
        yhat = np.asarray(yhat, np.float64).reshape(len(w), -1)
        z = self.target_scaler.inverse(yhat.reshape(-1, 1)).reshape(yhat.shape)
        base = self.target[w.start - 1][:, None]  # (M, 1)
        return absolute(z, base, self.config.normalize)

    def span_rows(self, name: str) -> tuple[int, int]:
        n = len(self.index)
        return {
            "train": (0, self.train_end),
            "val": (self.train_end, self.val_end),
            "test": (self.val_end, n),
        }[name]


def split_points(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """Row boundaries (train_end, val_end) of a chronological split of n rows."""
    n_test = round(n * test_fraction)
    n_val = round(n * val_fraction)
    return n - n_val - n_test, n - n_test


def make_windows(
    features: np.ndarray,
    target: np.ndarray,
    lookback: int,
    horizon: int,
    lo: int,
    hi: int,
    dtype: type = np.float32,
) -> Windows:
    """All windows whose K target rows lie inside rows [lo, hi). Vectorized.

    features: (N, F) scaled inputs; target: (N,) scaled target.
    Returns x (M, T, F), y (M, K), start (M,) with start = first target row.
    """
    n = len(features)
    first = max(lo, lookback)  # first target row needs T input rows before it
    last = min(hi, n) - horizon  # last allowed first-target row
    if last < first:
        f = features.shape[1]
        return Windows(
            np.zeros((0, lookback, f), dtype), np.zeros((0, horizon), dtype), np.zeros(0, np.int64)
        )
    start = np.arange(first, last + 1)
    x = input_windows(features, lookback, start)  # (M, T, F)
    y = target_windows(target, horizon, start)  # (M, K)
    return Windows(np.ascontiguousarray(x, dtype), np.ascontiguousarray(y, dtype), start)


def input_windows(values: np.ndarray, lookback: int, start: np.ndarray) -> np.ndarray:
    """(M, T, F) copies of rows [s - T, s) of ``values`` (N, F), one per row s of ``start``.

    ``start`` holds each window's first target row, so its inputs end at row s - 1.
    """
    return values[start[:, None] + np.arange(-lookback, 0)[None, :]]  # (M, T, F)


def target_windows(target: np.ndarray, horizon: int, start: np.ndarray) -> np.ndarray:
    """(M, K) copies of rows [s, s + K) of ``target`` (N,), one per row s of ``start``."""
    return target[start[:, None] + np.arange(horizon)[None, :]]


def relative(values: np.ndarray, base: np.ndarray, encoding: str) -> np.ndarray:
    """``values`` expressed against ``base`` (broadcast: (M, K) and (M, 1), or (M, T, F) and
    (M, 1, F)) with one of :data:`ENCODINGS`; :func:`absolute` undoes it."""
    if encoding == "level":
        return values
    if encoding == "diff":
        return values - base
    if encoding == "ratio":
        return values / base - 1.0
    if encoding == "return":
        return np.log(values / base)
    raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}, got {encoding!r}")


def absolute(z: np.ndarray, base: np.ndarray | float, encoding: str) -> np.ndarray:
    """Values in original units from their :func:`relative` encoding against ``base``."""
    if encoding == "level":
        return z
    if encoding == "diff":
        return base + z
    if encoding == "ratio":
        return base * (1.0 + z)
    if encoding == "return":
        return base * np.exp(z)
    raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}, got {encoding!r}")


def prepare(frame: pd.DataFrame, config: DataConfig) -> Prepared:
    """Split by time, fit scalers on the training rows, then window every span."""
    cols = list(config.input_columns)
    missing = [c for c in dict.fromkeys([*cols, config.target]) if c not in frame.columns]
    if missing:
        raise ValueError(
            f"column(s) not in the data: {', '.join(missing)}; "
            f"available: {', '.join(map(str, frame.columns))}"
        )
    data = frame[cols].to_numpy(np.float64)
    target = frame[config.target].to_numpy(np.float64)
    bad_rows = ~(np.isfinite(data).all(axis=1) & np.isfinite(target))
    if bad_rows.any():
        first = int(np.argmax(bad_rows))
        raise ValueError(
            f"the data has {int(bad_rows.sum())} row(s) with missing or infinite values "
            f"(first at {frame.index[first]}); fill or drop them before training"
        )
    _check_magnitude(np.column_stack([data, target]), [*cols, config.target], frame.index)
    n = len(frame)
    t, k = config.lookback, config.horizon
    train_end, val_end = split_points(n, config.val_fraction, config.test_fraction)
    need = t + k
    if train_end < need + 1:
        raise ValueError(
            f"only {train_end} training rows for lookback {t} + horizon {k}: "
            "use a shorter lookback, a smaller validation/test share or more data"
        )
    bounds = {"train": (0, train_end), "val": (train_end, val_end), "test": (val_end, n)}
    if config.normalize == "level":
        feature_scaler = Scaler.fit(data[:train_end], config.scaler)
        target_scaler = Scaler.fit(target[:train_end, None], config.scaler)
        xs = _scaled(feature_scaler.transform(data), config)
        ys = _scaled(target_scaler.transform(target[:, None])[:, 0], config)
        spans = {name: make_windows(xs, ys, t, k, lo, hi) for name, (lo, hi) in bounds.items()}
    else:
        raw = {
            name: _relative(make_windows(data, target, t, k, lo, hi, np.float64), target, config)
            for name, (lo, hi) in bounds.items()
        }
        tr = raw["train"]  # scalers see training windows only: rows < train_end
        feature_scaler = Scaler.fit(tr.x.reshape(-1, tr.x.shape[-1]), config.scaler)
        target_scaler = Scaler.fit(tr.y.reshape(-1, 1), config.scaler)
        spans = {
            name: Windows(
                _scaled(feature_scaler.transform(w.x), config).astype(np.float32),
                _scaled(target_scaler.transform(w.y.reshape(-1, 1)), config)
                .reshape(w.y.shape)
                .astype(np.float32),
                w.start,
            )
            for name, w in raw.items()
        }
    if config.val_fraction > 0 and len(spans["val"]) == 0:
        raise ValueError(
            f"the validation span ({val_end - train_end} rows) is shorter than the "
            f"horizon {k}: raise val_fraction or use more data"
        )
    return Prepared(
        spans["train"],
        spans["val"],
        spans["test"],
        feature_scaler,
        target_scaler,
        frame.index,
        target,
        train_end,
        val_end,
        config,
    )


def _relative(w: Windows, target: np.ndarray, config: DataConfig) -> Windows:
    """Express each window relative to its last input row (diff or ratio mode)."""
    base_x = w.x[:, -1:, :]  # (M, 1, F)
    base_y = target[w.start - 1][:, None]  # (M, 1): last observed target value
    mode = config.normalize
    if mode == "ratio" and ((base_x <= 0).any() or (base_y <= 0).any()):
        cols = config.input_columns
        bad = sorted({cols[j] for j in np.nonzero((base_x <= 0).any(axis=(0, 1)))[0]})
        raise ValueError(
            "ratio mode divides by the last value of each window, so every value must be "
            f"positive; {', '.join(bad) or config.target} has zero or negative values: "
            "use normalize='diff' or 'level'"
        )
    return Windows(relative(w.x, base_x, mode), relative(w.y, base_y, mode), w.start)


def _check_magnitude(values: np.ndarray, columns: list[str], index: pd.Index) -> None:
    """Training runs in float32 (largest value about 3.4e38, and the loss squares errors):
    refuse values beyond ``limits.MAX_ABS_VALUE`` before they overflow into a fake divergence."""
    big = np.abs(values) > limits.MAX_ABS_VALUE
    if big.any():
        row, col = np.argwhere(big)[0]
        raise ValueError(
            f"{columns[col]} has values as large as {np.abs(values).max():.3g} (first at "
            f"{index[row]}), beyond the {limits.MAX_ABS_VALUE:g} that float32 training can "
            "hold with its squared errors: rescale the column (e.g. divide it by a power of "
            "ten) before training"
        )


def _scaled(values: np.ndarray, config: DataConfig) -> np.ndarray:
    """Scaled values must stay far inside float32 too (``limits.MAX_SCALED_VALUE``)."""
    top = float(np.abs(values).max()) if values.size else 0.0
    if top > limits.MAX_SCALED_VALUE:
        raise ValueError(
            f"after the {config.scaler!r} scaler and {config.normalize!r} windows the data "
            f"reaches {top:.3g}, beyond the {limits.MAX_SCALED_VALUE:g} that float32 "
            "training can hold with its squared errors: use the standard scaler or rescale "
            "the data"
        )
    return values
