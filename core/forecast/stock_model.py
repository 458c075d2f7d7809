"""Stock forecasting modes, and a model fitted on data up to one origin only.

Why the mode matters: a network fed *price levels*, scaled with statistics of the training
years, meets test prices outside anything it has seen (a stock that doubled) and its
forecasts lag or saturate; its MAE can be several times the naive one. Feeding *returns*
(or windows divided by their last price) makes every window look alike whatever the price
level, and the forecast is the last price times a predicted change: the honest default.

Modes, for a window ending at row e with target price P:
- ``return`` (default): inputs are daily log returns log(P_t / P_{t-1}) (other price
  columns as log(X_t / P_t), volume as its log change); targets log(P_{e+k} / P_e);
  forecast P_e * exp(yhat).
- ``window``: inputs are prices divided by P_e minus 1 (volume by its window mean);
  targets P_{e+k} / P_e - 1; forecast P_e * (1 + yhat).
- ``level``: raw prices and volume; targets P_{e+k}; forecast yhat (the common trap).

The model predicts quantiles (lower, median, upper) of each step with the pinball loss: the
median is the point forecast, the outer two are the prediction interval.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

import numpy as np
import torch

from core.config import ModelConfig, TrainConfig, check
from core.data import Scaler
from core.data.windows import absolute, input_windows, relative, target_windows
from core.models.recurrent import RecurrentForecaster
from core.training.trainer import Trainer

MODES = ("return", "window", "level")
ENCODING = {"return": "return", "window": "ratio", "level": "level"}  # of targets, windows.py
STRATEGIES = ("direct", "recursive")
INPUTS = ("Open", "High", "Low", "Close", "Volume")


@dataclass(frozen=True)
class StockConfig:
    """How the stock forecaster sees the data and how it is trained."""

    mode: str = "return"  # one of MODES
    target: str = "Close"
    extra_inputs: tuple[str, ...] = ()  # more input columns among INPUTS (target comes first)
    lookback: int = 20  # T
    horizon: int = 1  # H: trading days ahead, 1 to 30
    strategy: str = "direct"  # direct: one model outputs H steps; recursive: 1 step, fed back
    hidden_size: int = 16
    num_layers: int = 1
    epochs: int = 6
    batch_size: int = 64
    lr: float = 3e-3
    train_rows: int = 1000  # most recent rows (up to the origin) each fit uses
    interval: float = 0.8  # central prediction interval (quantiles (1 -+ interval) / 2)
    seed: int = 0

    def __post_init__(self) -> None:
        check(self.mode in MODES, f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        check(
            self.strategy in STRATEGIES,
            f"strategy must be one of {', '.join(STRATEGIES)}, got {self.strategy!r}",
        )
        check(
            isinstance(self.horizon, int) and 1 <= self.horizon <= 30,
            f"horizon must be 1 to 30 trading days, got {self.horizon!r}",
        )
        check(
            isinstance(self.lookback, int) and 2 <= self.lookback <= 250,
            f"lookback must be 2 to 250 days, got {self.lookback!r}",
        )
        bad = [c for c in self.extra_inputs if c not in INPUTS or c == self.target]
        check(not bad, f"extra inputs must be among {', '.join(INPUTS)} (not the target)")
        check(
            self.strategy == "direct" or not self.extra_inputs,
            "recursive forecasts feed the model its own predictions, so the target must be "
            "the only input: remove the extra inputs or use the direct strategy",
        )
        check(
            0.5 <= self.interval < 1,
            f"interval must be between 0.5 and 0.99, got {self.interval!r}",
        )
        check(self.train_rows >= 100, f"train_rows must be >= 100, got {self.train_rows!r}")

    @property
    def columns(self) -> list[str]:
        return [self.target, *self.extra_inputs]

    @property
    def steps(self) -> int:
        """K: outputs per quantile of the network (1 for the recursive strategy)."""
        return self.horizon if self.strategy == "direct" else 1

    @property
    def quantiles(self) -> tuple[float, float, float]:
        a = (1 - self.interval) / 2
        return (a, 0.5, 1 - a)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def replace(self, **kw) -> StockConfig:
        return StockConfig(**{**asdict(self), **kw})


# -- encoding ---------------------------------------------------------------------------------


def row_features(raw: np.ndarray, columns: list[str], mode: str) -> np.ndarray:
    """(N, C) raw columns (target first) -> (N, C) per-row inputs; row 0 is NaN in return mode."""
    if mode != "return":
        return raw.copy()
    out = np.full_like(raw, np.nan)
    for j, c in enumerate(columns):
        if c == "Volume":
            out[1:, j] = np.diff(np.log1p(raw[:, j]))
        elif j == 0:
            out[1:, j] = np.diff(np.log(raw[:, 0]))
        else:
            out[:, j] = np.log(raw[:, j] / raw[:, 0])
    return out


def windows(raw: np.ndarray, columns: list[str], mode: str, lookback: int, ends: np.ndarray):
    """Input windows ending at rows ``ends`` (inclusive): (M, T, C), using rows <= each end."""
    x = input_windows(row_features(raw, columns, mode), lookback, ends + 1)  # (M, T, C)
    if mode == "window":  # prices against the last target price, volume against its mean
        base = np.repeat(raw[ends, 0][:, None, None], len(columns), axis=2)  # (M, 1, C)
        for j, c in enumerate(columns):
            if c == "Volume":
                base[:, :, j] = np.maximum(x[:, :, j].mean(axis=1, keepdims=True), 1)
        x = relative(x, base, "ratio")
    return x


def encode_targets(price: np.ndarray, ends: np.ndarray, steps: int, mode: str) -> np.ndarray:
    """(M, K) targets for windows ending at ``ends``: rows ends+1 .. ends+K of the price."""
    fut = target_windows(price, steps, ends + 1)  # (M, K)
    return relative(fut, price[ends][:, None], ENCODING[mode])


def decode(yhat: np.ndarray, anchor: np.ndarray | float, mode: str) -> np.ndarray:
    """Model outputs (original target units of the mode) -> prices."""
    return absolute(yhat, anchor, ENCODING[mode])


def pinball_loss(quantiles: tuple[float, ...]):
    """Mean over samples, steps and quantiles of max(q (y - yhat_q), (q - 1)(y - yhat_q))."""
    q = torch.tensor(quantiles, dtype=torch.float32)

    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        pred = out.view(len(y), y.shape[1], len(quantiles))  # (B, K, Q)
        diff = y.unsqueeze(-1) - pred  # (B, K, Q)
        return torch.maximum(q * diff, (q - 1) * diff).mean()

    return loss


# -- a model fitted at one origin -------------------------------------------------------------


@dataclass
class Fitted:
    """A network trained on rows <= ``origin`` and the scalers of the latest origin."""

    cfg: StockConfig
    model: RecurrentForecaster
    origin: int
    x_scaler: Scaler
    y_scaler: Scaler
    fit_seconds: float
    stopped: bool = False


def _training_set(raw: np.ndarray, cfg: StockConfig, origin: int):
    """Windows whose inputs *and* targets lie in rows [origin - train_rows + 1, origin]."""
    lo = max(0, origin - cfg.train_rows + 1)
    sub = raw[lo : origin + 1]
    k = cfg.steps
    ends = np.arange(cfg.lookback, len(sub) - k)
    if len(ends) < 30:
        raise ValueError(
            f"only {max(len(ends), 0)} training windows before the forecast origin: use a "
            "shorter lookback or horizon, fewer backtest origins, or a longer history"
        )
    x = windows(sub, cfg.columns, cfg.mode, cfg.lookback, ends)
    y = encode_targets(sub[:, 0], ends, k, cfg.mode)
    return x, y


def scalers_at(raw: np.ndarray, cfg: StockConfig, origin: int) -> tuple[Scaler, Scaler]:
    """Feature and target scalers fitted on the training windows of rows <= origin only."""
    x, y = _training_set(raw, cfg, origin)
    return Scaler.fit(x.reshape(-1, x.shape[-1])), Scaler.fit(y)


def fit_at(
    raw: np.ndarray, cfg: StockConfig, origin: int, stop_event: threading.Event | None = None
) -> Fitted:
    """Train a fresh network on rows <= origin (nothing after it is read)."""
    x, y = _training_set(raw, cfg, origin)
    xs, ys = Scaler.fit(x.reshape(-1, x.shape[-1])), Scaler.fit(y)
    xt = torch.from_numpy(xs.transform(x).astype(np.float32))  # (M, T, C)
    yt = torch.from_numpy(ys.transform(y).astype(np.float32))  # (M, K)
    torch.manual_seed(cfg.seed)
    mcfg = ModelConfig(
        cell="lstm",
        input_size=len(cfg.columns),
        hidden_size=cfg.hidden_size,
        num_layers=cfg.num_layers,
        horizon=cfg.steps * 3,
    )
    model = RecurrentForecaster(mcfg)
    tcfg = TrainConfig(
        epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, seed=cfg.seed, device="cpu"
    )
    trainer = Trainer(model, tcfg, loss_fn=pinball_loss(cfg.quantiles), stop_event=stop_event)
    result = trainer.fit((xt, yt))
    model.eval()
    return Fitted(cfg, model, origin, xs, ys, result.seconds, result.reason == "stopped")


def _quantiles_now(fitted: Fitted, raw: np.ndarray, xs: Scaler, ys: Scaler, end: int):
    """(K, 3) quantile outputs (mode units, sorted) for the window ending at row ``end``."""
    cfg = fitted.cfg
    x = windows(raw, cfg.columns, cfg.mode, cfg.lookback, np.array([end]))  # (1, T, C)
    xt = torch.from_numpy(xs.transform(x).astype(np.float32))
    out = fitted.model.predict(xt).numpy().reshape(cfg.steps, 3)  # (K, Q) scaled
    out = out * ys.scale[:, None] + ys.shift[:, None]
    return np.sort(out, axis=1)


def forecast_at(fitted: Fitted, raw: np.ndarray, origin: int) -> np.ndarray:
    """(H, 3) price forecasts (lower, median, upper) for rows origin+1 .. origin+H.

    Reads rows <= origin only: the scalers are refitted there, the inputs end there.
    """
    cfg = fitted.cfg
    xs, ys = scalers_at(raw, cfg, origin)
    if cfg.strategy == "direct":
        q = _quantiles_now(fitted, raw, xs, ys, origin)  # (H, 3)
        return decode(q, raw[origin, 0], cfg.mode)
    return free_run(fitted, raw[: origin + 1], xs, ys, cfg.horizon)


def free_run(fitted: Fitted, raw: np.ndarray, xs: Scaler, ys: Scaler, steps: int) -> np.ndarray:
    """Recursive forecast: the one-step median is appended and fed back, ``steps`` times.

    Intervals widen like a random walk: the step-1 log spread times sqrt(k).
    """
    path = raw[:, :1].copy()  # (N, 1): univariate by construction
    medians, spread = [], None
    for _ in range(steps):
        q = _quantiles_now(fitted, path, xs, ys, len(path) - 1)[0]  # (3,)
        p = decode(q, path[-1, 0], fitted.cfg.mode)
        if spread is None:
            spread = np.log(np.maximum(p, 1e-12) / max(p[1], 1e-12))  # (3,) log offsets
        medians.append(p[1])
        path = np.vstack([path, [[p[1]]]])
    med = np.asarray(medians)
    k = np.sqrt(np.arange(1, steps + 1))[:, None]
    return med[:, None] * np.exp(spread[None, :] * k)


def one_step_path(fitted: Fitted, raw: np.ndarray, origin: int, steps: int) -> np.ndarray:
    """(steps,) one-step medians for rows origin+1..origin+steps, each fed the *true* past.

    The scalers stay those of ``origin``; only the inputs move forward with the truth.
    """
    cfg = fitted.cfg
    xs, ys = scalers_at(raw, cfg, origin)
    ends = np.arange(origin, origin + steps)
    x = windows(raw[:, : len(cfg.columns)], cfg.columns, cfg.mode, cfg.lookback, ends)
    xt = torch.from_numpy(xs.transform(x).astype(np.float32))
    out = fitted.model.predict(xt).numpy().reshape(len(ends), cfg.steps, 3)[:, 0, :]  # (S, Q)
    out = np.sort(out * ys.scale[0] + ys.shift[0], axis=1)[:, 1]  # the median of step 1
    return decode(out, raw[ends, 0], cfg.mode)
