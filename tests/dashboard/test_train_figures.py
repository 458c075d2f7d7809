"""Pure figure builders of the Train page: what a reader of the charts relies on."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard.common.figures import loss_figure
from dashboard.train.figures import forecast_figure, optimizer_figure, scores_table, split_figure


def history(n: int = 6, events: dict[int, list[str]] | None = None) -> list[dict]:
    events = events or {}
    return [
        dict(epoch=e, train_loss=1 / e, val_loss=2 / e if e != 4 else math.nan, lr=1e-3 / e,
             grad_norm=0.5 * e, events=events.get(e, []))
        for e in range(1, n + 1)
    ]  # fmt: skip


def test_loss_figure_marks_best_epoch_and_annotates_events():
    h = history(events={2: ["best"], 3: ["lr 0.001 -> 0.0005"], 6: ["early stop"]})
    fig = loss_figure(h, "Loss", best_epoch=5)
    names = [t.name for t in fig.data]
    assert names == ["train", "validation", "best"]
    assert fig.layout.yaxis.type == "log"
    assert fig.data[1].y[3] is None  # a NaN validation loss is a gap, not a zero
    assert (fig.data[2].x, fig.data[2].y) == ((5,), (2 / 5,))
    notes = [(a.x, a.text) for a in fig.layout.annotations]
    assert notes == [(3, "lr 0.001 -> 0.0005"), (6, "early stop")]  # "best" is the star
    assert [s.x0 for s in fig.layout.shapes] == [3, 6]
    assert fig.layout.xaxis.title.text == "epoch"


def test_loss_figure_of_an_empty_history_is_empty_but_titled():
    fig = loss_figure([], "Loss")
    assert fig.data == () and fig.layout.title.text == "Loss"


def test_optimizer_figure_shows_lr_and_grad_norm_with_the_clip_line():
    fig = optimizer_figure(history(), clip_norm=1.5)
    assert list(fig.data[0].y) == pytest.approx([1e-3 / e for e in range(1, 7)])
    assert list(fig.data[1].y) == pytest.approx([0.5 * e for e in range(1, 7)])
    assert fig.data[1].yaxis == "y2"
    assert [(s.y0, s.yref) for s in fig.layout.shapes] == [(1.5, "y2")]
    assert "clip at 1.5" in [a.text for a in fig.layout.annotations]
    assert optimizer_figure(history(), clip_norm=None).layout.shapes == ()


def test_split_figure_shades_the_three_spans_at_the_split_rows():
    frame = pd.DataFrame({"value": np.arange(100.0)}, index=pd.RangeIndex(100, name="t"))
    fig = split_figure(frame, "value", (70, 85), "split")
    spans = [(s.x0, s.x1) for s in fig.layout.shapes]
    assert spans == [(0, 69), (70, 84), (85, 99)]
    assert [a.text for a in fig.layout.annotations] == ["train", "validation", "test"]
    assert fig.layout.xaxis.title.text == "t (step)"


def test_forecast_figure_and_score_table():
    idx = pd.RangeIndex(10, 14)
    df = pd.DataFrame(
        {"truth": [1.0, 2.0, 3.0, 4.0], "prediction": [1.5, 2.0, 2.0, 4.0], "naive": [0.0] * 4},
        index=idx,
    )
    fig = forecast_figure({"val": df}, "value")
    assert [t.name for t in fig.data] == ["truth", "model", "naive (last value)"]
    assert fig.layout.yaxis.title.text == "value (original units)"
    err, naive = df.truth - df.prediction, df.truth - df.naive
    scores = {
        "val": dict(
            n=4,
            model_mae=float(err.abs().mean()),
            model_rmse=float(np.sqrt((err**2).mean())),
            naive_mae=float(naive.abs().mean()),
            naive_rmse=float(np.sqrt((naive**2).mean())),
        )
    }
    table = scores_table(scores)
    assert table.loc["validation", "model MAE"] == pytest.approx(1.5 / 4)
    assert table.loc["validation", "MAE ratio"] == pytest.approx((1.5 / 4) / 2.5)
    assert table.loc["validation", "naive RMSE"] == pytest.approx(math.sqrt(30 / 4))
