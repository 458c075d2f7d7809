"""Train a forecaster end to end and read its predictions back in original units."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import Dataset, Prepared, prepare
from core.data.windows import absolute, relative
from core.forecast.metrics import mae, rmse
from core.models.recurrent import RecurrentForecaster, count_parameters
from core.training.trainer import Callback, FitResult, Trainer


@dataclass
class ForecastRun:
    """A trained forecaster with the data and settings that made it."""

    data_cfg: DataConfig
    model_cfg: ModelConfig
    train_cfg: TrainConfig
    model: RecurrentForecaster
    prepared: Prepared
    dataset: Dataset
    fit: FitResult | None = None
    extras: dict = field(default_factory=dict)  # e.g. gate snapshots recorded per epoch

    @property
    def n_params(self) -> int:
        return count_parameters(self.model)

    def predictions(self, span: str) -> pd.DataFrame:
        """One-step-ahead (first horizon step) predictions vs truth on a span, original units.

        Columns: truth, prediction, naive (the last observed value before the target),
        indexed by the target's date or step. Each prediction only used inputs up to the
        row before its target.
        """
        w = self.prepared.span(span)
        idx = self.prepared.index[w.start] if len(w) else self.prepared.index[:0]
        if len(w) == 0:
            return pd.DataFrame({"truth": [], "prediction": [], "naive": []}, index=idx)
        yhat = self.model.predict(torch.from_numpy(w.x)).numpy()
        pred = self.prepared.to_units(yhat, span)[:, 0]
        truth = self.prepared.target[w.start]
        naive = self.prepared.target[w.start - 1]
        return pd.DataFrame({"truth": truth, "prediction": pred, "naive": naive}, index=idx)

    def next_values(self, frame: pd.DataFrame | None = None) -> np.ndarray:
        """(K,) forecast, in the target's units, of the K rows after the frame's last row
        (default: the run's own data), from its last ``lookback`` rows and the run's scalers."""
        cfg, p = self.data_cfg, self.prepared
        frame = self.dataset.frame if frame is None else frame
        if len(frame) < cfg.lookback:
            raise ValueError(f"the model needs the last {cfg.lookback} rows; got {len(frame)}")
        x = frame[list(cfg.input_columns)].to_numpy(np.float64)[None, -cfg.lookback :]  # (1, T, F)
        last = frame[cfg.target].to_numpy(np.float64)[-1:][:, None]  # (1, 1)
        x = relative(x, x[:, -1:, :], cfg.normalize)
        xs = p.feature_scaler.transform(x).astype(np.float32)
        yhat = self.model.predict(torch.from_numpy(xs)).numpy()  # (1, K) scaled
        z = p.target_scaler.inverse(yhat.reshape(-1, 1)).reshape(yhat.shape)
        return absolute(z, last, cfg.normalize)[0]

    def scores(self, span: str) -> dict:
        """MAE and RMSE of the model and of the naive last-value baseline on a span."""
        df = self.predictions(span)
        return {
            "n": len(df),
            "model_mae": mae(df.truth, df.prediction),
            "model_rmse": rmse(df.truth, df.prediction),
            "naive_mae": mae(df.truth, df.naive),
            "naive_rmse": rmse(df.truth, df.naive),
        }


def build_run(
    dataset: Dataset, data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig
) -> ForecastRun:
    """Prepare the windows and an untrained model whose sizes fit them."""
    prepared = prepare(dataset.frame, data_cfg)
    model_cfg = model_cfg.replace(input_size=len(data_cfg.input_columns), horizon=data_cfg.horizon)
    torch.manual_seed(train_cfg.seed)
    model = RecurrentForecaster(model_cfg)
    return ForecastRun(data_cfg, model_cfg, train_cfg, model, prepared, dataset)


def train_run(
    run: ForecastRun, callbacks: Sequence[Callback] = (), stop_event: threading.Event | None = None
) -> ForecastRun:
    """Fit the run's model in place on its training windows, validating on its val windows."""
    p = run.prepared
    train = (torch.from_numpy(p.train.x), torch.from_numpy(p.train.y))
    val = (torch.from_numpy(p.val.x), torch.from_numpy(p.val.y))
    trainer = Trainer(run.model, run.train_cfg, callbacks=callbacks, stop_event=stop_event)
    run.fit = trainer.fit(train, val)
    run.model.cpu().eval()
    return run


def fit_forecaster(
    dataset: Dataset,
    data_cfg: DataConfig,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    callbacks: Sequence[Callback] = (),
    stop_event: threading.Event | None = None,
) -> ForecastRun:
    """build_run + train_run."""
    return train_run(build_run(dataset, data_cfg, model_cfg, train_cfg), callbacks, stop_event)


def last_value_mse(prepared: Prepared) -> float:
    """Validation MSE of the naive forecast (repeat the last observed value for all K steps),
    in the model's scaled target units: the loss a network must beat to have learned anything.

    level: the naive forecast is the last value; diff and ratio: it is "no change" (0).
    """
    w = prepared.val
    if len(w) == 0:
        return float("nan")
    base = prepared.target[w.start - 1]  # (M,)
    naive = base if prepared.config.normalize == "level" else np.zeros_like(base)
    naive_scaled = prepared.target_scaler.transform(naive[:, None])[:, 0]
    return float(np.mean((w.y - naive_scaled[:, None]) ** 2))
