"""Chart axes a reader relies on: log axes label only major ticks, with their full values;
legends stay clear of titles; the Runs → Compare bar chart has room for its labels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard.common.figures import log_ticks, loss_figure
from dashboard.compare.figures import gradient_figure, overlay_loss_figure
from dashboard.gates.figures import memory_span_figure
from dashboard.runs.figures import loss_overlay_figure, mae_ratio_figure


def _history(n: int = 30, start: float = 0.9, factor: float = 0.7) -> list[dict]:
    """Losses falling from ``start`` over several decades."""
    return [
        dict(
            epoch=e, train_loss=start * factor ** (e - 1), val_loss=1.2 * start * factor ** (e - 1)
        )
        for e in range(1, n + 1)
    ]


def _profiles() -> dict[str, tuple[list[float], list[float]]]:
    k = np.arange(60)
    return {
        "RNN": (list(0.8**k), list(0.7**k)),
        "LSTM": (list(0.95**k), list(0.97**k)),
    }


def _log_figures() -> dict[str, object]:
    hist = _history()
    return {
        "train loss": loss_figure(hist, best_epoch=30),
        "compare overlay": overlay_loss_figure(
            {"LSTM": hist, "GRU": _history(20)}, ["LSTM", "GRU"]
        ),
        "compare gradient": gradient_figure(_profiles(), ["RNN", "LSTM"], lag=20),
        "runs overlay": loss_overlay_figure({"a": hist, "b": _history(10)}),
        "gates memory span": memory_span_figure(
            np.array([1.2, 3.0, 8.0, 40.0, 2.0]), [0, 1, 2, 3, 4], 30, "span"
        ),
    }


@pytest.mark.parametrize("name", list(_log_figures()))
def test_log_axes_label_only_major_ticks_with_full_values(name):
    fig = _log_figures()[name]
    y = fig.layout.yaxis
    assert y.type == "log"
    assert y.tickvals, f"{name}: Plotly's own log ticks label minor ticks with bare mantissas"
    assert len(y.tickvals) == len(y.ticktext)
    for value, text in zip(y.tickvals, y.ticktext, strict=True):
        assert float(text) == pytest.approx(value, rel=1e-6), (name, value, text)
        mantissa = value / 10 ** math.floor(math.log10(value) + 1e-9)
        assert round(mantissa, 6) in (1, 2, 5), (name, value)  # no 3 4 6 7 8 9 ticks


def test_log_ticks_are_powers_of_ten_over_decades_and_1_2_5_within_one():
    wide = log_ticks([0.0013, 0.4])
    assert wide["ticktext"] == ["0.001", "0.01", "0.1", "1"]
    narrow = log_ticks([0.02, 0.09])
    assert [t for t in narrow["ticktext"] if 0.02 <= float(t) <= 0.09] == ["0.02", "0.05"]
    many = log_ticks([1e-7, 10])
    assert len(many["tickvals"]) <= 8 and many["ticktext"][0] == "1e-7"
    assert log_ticks([None, math.nan, -1.0]) == {}


def test_the_train_loss_chart_ticks_cover_its_data():
    fig = loss_figure(_history(12))
    ys = [y for t in fig.data for y in t.y]
    inside = [v for v in fig.layout.yaxis.tickvals if min(ys) <= v <= max(ys)]
    assert len(inside) >= 2


def test_a_flat_loss_within_one_decade_still_gets_several_labelled_ticks():
    """MSFT's honest flat loss (1.0 to 1.35): Plotly labelled it, but one "1" is not enough."""
    hist = [dict(epoch=e, train_loss=1.0 + 0.01 * e, val_loss=1.35 - 0.01 * e) for e in range(1, 4)]
    ticks = loss_figure(hist).layout.yaxis
    shown = [t for v, t in zip(ticks.tickvals, ticks.ticktext, strict=True) if 1.0 <= v <= 1.35]
    assert shown == ["1", "1.1", "1.2", "1.3"]


def test_the_gradient_legend_sits_beside_the_plot_not_over_the_title():
    """A deeper stack has eight entries: a horizontal legend on top wrapped over the title."""
    names = ["LSTM ×1", "LSTM ×2", "LSTM ×3", "LSTM ×4"]
    fig = gradient_figure({n: _profiles()["LSTM"] for n in names}, names, lag=20)
    legend = fig.layout.legend
    assert legend.orientation == "v"
    assert legend.x >= 1 and legend.xanchor == "left"  # right of the plot area
    assert legend.yanchor == "top" and legend.y <= 1  # never above the plot, where the title is


def _runs_table(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": [f"LSTM · MSFT (offline sample) · Close · run {i}" for i in range(n)],
            "test MAE": np.linspace(0.9, 1.3, n),
            "naive test MAE": np.ones(n),
        }
    )


def test_the_runs_mae_ratio_chart_has_room_for_its_names_and_axis_title():
    small, large = mae_ratio_figure(_runs_table(2)), mae_ratio_figure(_runs_table(8))
    bar = large.data[0]
    # run names read along horizontal bars (not rotated under a squashed plot) ...
    assert bar.orientation == "h" and list(bar.y) == _runs_table(8)["run"].tolist()
    # ... the long value-axis title lies along the wide axis ...
    assert "naive MAE" in large.layout.xaxis.title.text and not large.layout.yaxis.title.text
    assert large.layout.yaxis.automargin
    # ... and the figure grows with the number of runs (about 38 px a bar)
    assert large.layout.height - small.layout.height >= 6 * 30
    assert large.layout.margin.b >= 50  # the axis title below the ticks is not clipped
