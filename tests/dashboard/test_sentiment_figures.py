"""Pure figure builders of the Sentiment page: titles, axes, scales, user text kept plain."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core.sentiment import classification_scores
from dashboard.sentiment import figures as figs


def test_curves_put_accuracy_in_percent_and_skip_missing_values():
    history = [
        {"epoch": 1, "train_loss": 0.7, "val_loss": 0.69, "train_acc": 0.5, "val_acc": math.nan},
        {"epoch": 2, "train_loss": 0.6, "val_loss": 0.65, "train_acc": 0.75, "val_acc": 0.7},
    ]
    fig = figs.curves_figure(history, {"majority": 0.5, "bag_of_words": None}, "Run <b>x</b>")
    by_name = {(t.name, t.xaxis): t for t in fig.data}
    assert list(by_name[("train", "x2")].y) == [50.0, 75.0]
    assert list(by_name[("validation", "x2")].y) == [None, 70.0]
    assert list(by_name[("majority class (test)", "x2")].y) == [50.0, 50.0]
    assert not any("bag of words" in t.name for t in fig.data)  # no score, no line
    assert fig.layout.title.text == "Run &lt;b&gt;x&lt;/b&gt;"  # user text is never markup
    assert fig.layout.yaxis2.title.text == "accuracy (%)"


def test_confusion_shares_are_per_true_class():
    s = classification_scores([0, 0, 0, 1], [0, 0, 1, 1], ["neg", "pos"])
    fig = figs.confusion_figure(s, "Confusion")
    z = np.asarray(fig.data[0].z)
    assert np.allclose(z, [[200 / 3, 100 / 3], [0, 100]])
    assert fig.data[0].text[0][0] == "2<br>67%"
    assert fig.layout.xaxis.title.text == "predicted class"


def test_gate_heatmap_scales_and_word_axis():
    labels = figs.word_labels(["good", "zzz", "good"], [True, False, True])
    assert labels == ["good", "zzz*", "good"]  # repeated words stay separate positions
    sig = figs.gate_heatmap(np.full((3, 4), 0.5), labels, "f", "Forget")
    assert (sig.data[0].zmin, sig.data[0].zmax) == (0.0, 1.0)
    assert list(sig.layout.xaxis.ticktext) == labels and list(sig.layout.xaxis.tickvals) == [
        1,
        2,
        3,
    ]
    cell = figs.gate_heatmap(np.array([[3.0, -1], [0, 0], [1, 2]]), labels, "c", "Cell")
    assert (cell.data[0].zmin, cell.data[0].zmax) == (-3.0, 3.0)
    assert np.asarray(cell.data[0].z).shape == (2, 3)  # (H, T)


def test_word_gates_and_attention_figures():
    table = pd.DataFrame({"mean i": [0.1, 0.9], "mean f": [0.5, 0.4]})
    fig = figs.word_gates_figure(table, ["a", "b"], ["i", "f"])
    assert [t.name for t in fig.data] == ["input gate i", "forget gate f"]
    att = figs.attention_figure(["a", "b"], [0.25, 0.75])
    assert list(att.data[0].y) == [25.0, 75.0]
    assert att.layout.yaxis.title.text == "attention weight (%)"
    prob = figs.probability_figure(["neg", "pos"], [0.2, 0.8])
    assert list(prob.data[0].marker.color) == ["#bbbbbb", figs.COLORS["model"]]
