"""Where series come from: the bundled offline sample and synthetic generators.

A :class:`Dataset` is a frame of float columns over a sorted, unique index
(dates, or integer steps for synthetic series) plus its provenance.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).resolve().parents[2] / "data"

SAMPLES = {
    "MSFT": {
        "file": "MSFT.csv",
        "title": "Microsoft (MSFT) daily prices, 1986-2020",
        "source": "Yahoo Finance export, bundled offline sample",
        "origin": "Bluefin-Tuna/Yahoo-Finance-Historical-Data @ 8b34492, MSFT.csv",
        "license": "MIT",
        "adjusted": "raw OHLC plus an Adj Close column",
    },
    "airline": {
        "file": "airline-passengers.csv",
        "title": "International airline passengers, monthly totals (thousands), 1949-1960",
        "source": "Box & Jenkins (1976) series G, bundled offline sample",
        "origin": "jbrownlee/Datasets @ d20fcb6, airline-passengers.csv",
        "license": "public dataset",
        "target": "Passengers",
    },
    "sunspots": {
        "file": "monthly-sunspots.csv",
        "title": "Monthly mean sunspot numbers, 1749-1983",
        "source": "SIDC / Hipel & McLeod, bundled offline sample",
        "origin": "jbrownlee/Datasets @ d20fcb6, monthly-sunspots.csv",
        "license": "public dataset",
        "target": "Sunspots",
    },
}
SAMPLE_NAMES = {"MSFT": "MSFT (offline sample)", "airline": "Airline passengers (monthly sample)",
                "sunspots": "Sunspots (monthly sample)"}  # fmt: skip


@dataclass(frozen=True)
class Dataset:
    """A univariate or multivariate series with where it came from."""

    frame: pd.DataFrame  # (N, C) float64 columns, sorted unique index
    name: str
    provenance: dict = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    def fingerprint(self) -> str:
        """sha256 of index and values: identifies the exact data a run saw."""
        h = hashlib.sha256()
        h.update(",".join(self.columns).encode())
        h.update(pd.util.hash_pandas_object(self.frame, index=True).to_numpy().tobytes())
        return h.hexdigest()

    def tail(self, n: int) -> Dataset:
        """The last n rows (e.g. the most recent years of a long history)."""
        frame = self.frame.iloc[-n:].copy()
        prov = dict(self.provenance, rows=len(frame))
        if isinstance(frame.index, pd.DatetimeIndex) and len(frame):
            prov.update(start=str(frame.index[0].date()), end=str(frame.index[-1].date()))
        return Dataset(frame, self.name, prov)


def load_sample(name: str = "MSFT", last: int | None = None) -> Dataset:
    """A bundled real series (offline, no network), optionally its last rows: the MSFT stock
    history, or the seasonal monthly samples ``airline`` and ``sunspots``."""
    if name not in SAMPLES:
        raise ValueError(f"unknown sample {name!r}; available: {', '.join(SAMPLES)}")
    meta = SAMPLES[name]
    if name == "MSFT":  # read as before, so saved runs keep their data fingerprint
        frame = pd.read_csv(DATA_DIR / meta["file"], index_col="Date", parse_dates=["Date"])
        frame = frame.astype("float64").sort_index()
        frame.index.name = "Date"
    else:  # through the lab's one CSV reader ("1949-01" -> month-start dates)
        from core.data.csv import read_series_csv

        frame = read_series_csv(DATA_DIR / meta["file"])
        frame.attrs.clear()
    ds = Dataset(
        frame,
        name=SAMPLE_NAMES[name],
        provenance={
            "kind": "sample",
            "ticker": name,
            **meta,
            "offline": True,
            "rows": len(frame),
            "start": str(frame.index[0].date()),
            "end": str(frame.index[-1].date()),
        },
    )
    return ds.tail(last) if last else ds


# --- synthetic series from the tutorials -------------------------------------------------


def _steps(n: int) -> pd.RangeIndex:
    if not isinstance(n, int) or n < 10:
        raise ValueError(f"length must be an integer >= 10, got {n!r}")
    return pd.RangeIndex(n, name="t")


def sine(
    n: int = 1000, period: float = 50.0, amplitude: float = 1.0, noise: float = 0.0, seed: int = 0
) -> np.ndarray:
    """amplitude * sin(2 pi t / period) + N(0, noise^2)."""
    if period <= 0:
        raise ValueError(f"period must be > 0, got {period!r}")
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float64)
    return amplitude * np.sin(2 * np.pi * t / period) + noise * rng.standard_normal(n)


def noisy_sine(
    n: int = 1000, period: float = 50.0, amplitude: float = 1.0, noise: float = 0.2, seed: int = 0
) -> np.ndarray:
    """A sine with Gaussian noise (the tutorials' first forecasting toy)."""
    return sine(n, period, amplitude, noise, seed)


def sum_of_sines(
    n: int = 1000,
    periods: tuple[float, ...] = (50.0, 13.0, 7.0),
    amplitudes: tuple[float, ...] = (1.0, 0.5, 0.25),
    noise: float = 0.05,
    seed: int = 0,
) -> np.ndarray:
    """Several sines added: the net must separate frequencies."""
    if len(periods) != len(amplitudes):
        raise ValueError("periods and amplitudes must have the same length")
    y = sum(sine(n, p, a, 0.0) for p, a in zip(periods, amplitudes, strict=True))
    rng = np.random.default_rng(seed)
    return y + noise * rng.standard_normal(n)


def trend_seasonal(
    n: int = 1000,
    slope: float = 0.01,
    period: float = 50.0,
    amplitude: float = 1.0,
    noise: float = 0.2,
    seed: int = 0,
) -> np.ndarray:
    """Linear trend + seasonality + noise (the classic decomposition toy)."""
    t = np.arange(n, dtype=np.float64)
    return slope * t + sine(n, period, amplitude, noise, seed)


SYNTHETIC = {
    "sine": sine,
    "noisy_sine": noisy_sine,
    "sum_of_sines": sum_of_sines,
    "trend_seasonal": trend_seasonal,
}


def synthetic(kind: str = "sine", n: int = 1000, seed: int = 0, **params) -> Dataset:
    """A seedable synthetic series as a one-column Dataset (column 'value')."""
    if kind not in SYNTHETIC:
        raise ValueError(f"unknown synthetic series {kind!r}; choose one of {', '.join(SYNTHETIC)}")
    index = _steps(n)
    values = SYNTHETIC[kind](n=n, seed=seed, **params)
    frame = pd.DataFrame({"value": values.astype(np.float64)}, index=index)
    return Dataset(
        frame,
        name=f"synthetic {kind}",
        provenance={
            "kind": "synthetic",
            "generator": kind,
            "n": n,
            "seed": seed,
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
        },
    )
