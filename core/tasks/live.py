"""The Train page's background job: a forecast task plus what its end leaves behind.

``core.forecast.run.forecast_task`` trains and returns the run whatever happened. A live
page needs one more rule, so that a failed attempt never replaces earlier good work in
the session:

- the loss diverged before any epoch finished: nothing usable was learned, so the job
  fails with the trainer's message (the session keeps its earlier run);
- the user stopped before the first epoch ended: the job ends as stopped, with no result;
- otherwise the run is the result (stopped or diverged runs keep the weights of the last
  completed epoch, or of the best epoch with early stopping on).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import Dataset
from core.forecast.baselines import warm_up as baselines_warm_up
from core.forecast.run import ForecastRun
from core.tasks.autosave import Task
from core.tasks.forecast import forecast_task
from core.training.trainer import DIVERGED, USER_STOPPED, Callback

DIVERGED_FIRST_EPOCH = (
    "training diverged in the first epoch (the loss became NaN, infinite or exploded): nothing was "
    "learned, so the session keeps its earlier run. Try a lower learning rate, turn on "
    "gradient clipping or use a smaller model"
)


class TrainingDiverged(ValueError):
    """The loss became NaN or infinite before the first epoch completed."""


def live_task(
    dataset: Dataset,
    data_cfg: DataConfig,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    callbacks: Sequence[Callback] = (),
) -> Callable[[Any], ForecastRun | None]:
    """A ``core.jobs.Job`` function: ``forecast_task`` plus the rules above."""
    task = forecast_task(dataset, data_cfg, model_cfg, train_cfg, callbacks, baselines=True)

    def run(ctx) -> ForecastRun | None:
        result = task(ctx)
        fit = result.fit
        if fit is not None and not fit.history:
            if fit.reason == DIVERGED:
                raise TrainingDiverged(DIVERGED_FIRST_EPOCH)
            if fit.reason == USER_STOPPED:
                ctx.publish(
                    message="stopped before the first epoch ended: nothing was learned, "
                    "so the session keeps its earlier run"
                )
                return None
        return result

    return Task(run, finish=task.finish)  # nothing to save when it returns None


def out_of_range_share(run: ForecastRun, span: str) -> float:
    """Share of a span's targets outside [min, max] of the training targets.

    A network whose output passes through saturating units (tanh, sigmoid) rarely
    predicts beyond the range it was trained on, so a trending series whose test span
    leaves that range gets large errors for a reason that is not the model's size.
    """
    p = run.prepared
    lo, hi = p.span_rows("train")
    train = p.target[lo:hi]
    starts = p.span(span).start
    if len(starts) == 0 or len(train) == 0:
        return 0.0
    y = p.target[starts]
    return float(((y < train.min()) | (y > train.max())).mean())


def warm_up() -> None:
    """Do PyTorch's one-off lazy work (building the first optimizer imports torch._dynamo,
    4 s or more on a busy CPU) before anyone presses Train, not during their first run."""
    p = torch.zeros(1, requires_grad=True)
    p.sum().backward()
    torch.optim.Adam([p]).step()
    baselines_warm_up()  # statsforecast's imports and first fits, before the first comparison
