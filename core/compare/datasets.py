"""A dataset of the lab (CSV, synthetic, stocks) as a comparison task: its windows, scaled
MSE, and the naive last-value forecast as the trivial predictor."""

from __future__ import annotations

import torch

from core.compare.longmemory import TaskData
from core.config import DataConfig
from core.data import Dataset, prepare
from core.forecast.run import last_value_mse


def dataset_task(dataset: Dataset, data_cfg: DataConfig) -> TaskData:
    """A forecasting dataset as a comparison task (scaled MSE; trivial = naive last value)."""
    p = prepare(dataset.frame, data_cfg)
    if len(p.val) == 0:
        raise ValueError("the comparison needs validation windows: set val_fraction > 0")
    trivial = last_value_mse(p)
    return TaskData(
        name=dataset.name,
        title=f"{dataset.name}: {data_cfg.target}, {data_cfg.lookback} steps in, "
        f"{data_cfg.horizon} out",
        lag=data_cfg.lookback,
        x_train=torch.from_numpy(p.train.x),
        y_train=torch.from_numpy(p.train.y),
        x_val=torch.from_numpy(p.val.x),
        y_val=torch.from_numpy(p.val.y),
        loss="mse",
        output_size=data_cfg.horizon,
        trivial_loss=trivial,
        trivial_label="naive (repeat the last value)",
        description=f"forecast the next {data_cfg.horizon} value(s) of {data_cfg.target} "
        f"from the last {data_cfg.lookback}",
        params={"data": data_cfg.to_dict(), "provenance": dict(dataset.provenance)},
    )
