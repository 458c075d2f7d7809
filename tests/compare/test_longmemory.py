"""Long-memory tasks: targets follow their definitions, seeds repeat, bad input is named."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core.compare.longmemory import (
    MAX_LAG,
    PAD,
    make_task,
    sequence_cross_entropy,
    symbol_accuracy,
)


@pytest.mark.parametrize("lag", [1, 7, 20])
def test_echo_target_is_the_input_lag_steps_before_the_last(lag):
    task = make_task("echo", lag, n_train=64, n_val=32, seed=3)
    assert task.x_train.shape == (64, lag + PAD, 1)
    assert task.steps == lag + PAD and task.input_size == 1 and task.output_size == 1
    for x, y in ((task.x_train, task.y_train), (task.x_val, task.y_val)):
        t = x.shape[1]
        assert torch.equal(y[:, 0], x[:, t - 1 - lag, 0])
    assert task.loss == "mse" and task.loss_fn() is torch.nn.functional.mse_loss


def test_echo_trivial_loss_is_the_best_constant_fitted_on_train():
    task = make_task("echo", 5, n_train=512, n_val=256, seed=1)
    mean = task.y_train.mean()
    assert task.trivial_loss == pytest.approx(float(((task.y_val - mean) ** 2).mean()), rel=1e-5)
    assert 0.8 < task.trivial_loss < 1.2  # Var of N(0, 1) inputs


def test_adding_problem_marks_two_values_and_sums_them():
    lag = 12
    task = make_task("adding", lag, n_train=256, n_val=64, seed=0)
    x, y = task.x_train.numpy(), task.y_train.numpy()
    assert x.shape == (256, lag + PAD, 2)
    marks = x[:, :, 1]
    assert (marks.sum(1) == 2).all()
    first = marks.argmax(1)
    assert (first < PAD).all()  # the first marked value is at least `lag` steps back
    assert (x.shape[1] - 1 - first >= lag).all()
    expected = (x[:, :, 0] * marks).sum(1)
    np.testing.assert_allclose(y[:, 0], expected, rtol=1e-6)
    big = make_task("adding", lag, n_train=4096, n_val=4096, seed=0)
    assert big.trivial_loss == pytest.approx(1 / 6, abs=0.02)  # Var(u1 + u2) = 2/12


def test_copy_task_shows_symbols_then_blanks_and_asks_for_all_of_them():
    items, vocab, lag = 3, 5, 9
    task = make_task("copy", lag, n_train=128, n_val=32, seed=2, items=items, vocab=vocab)
    x, y = task.x_train, task.y_train
    assert x.shape == (128, items + lag, vocab + 1) and y.shape == (128, items)
    assert y.dtype == torch.int64 and task.output_size == items * vocab
    assert torch.equal(x.sum(-1), torch.ones(128, items + lag))  # one-hot at every step
    assert torch.equal(x[:, :items, :vocab].argmax(-1), y)
    assert (x[:, items:, vocab] == 1).all()  # blanks
    # the last symbol is exactly `lag` steps before the last step
    assert x.shape[1] - 1 - (items - 1) == lag
    big = make_task("copy", lag, n_train=4096, n_val=2048, seed=2, items=items, vocab=vocab)
    assert big.trivial_loss == pytest.approx(math.log(vocab), abs=0.02)
    assert task.loss == "ce"


@pytest.mark.parametrize("name", ["echo", "adding", "copy"])
def test_tasks_repeat_with_a_seed_and_change_with_another(name):
    a = make_task(name, 6, n_train=32, n_val=16, seed=4)
    b = make_task(name, 6, n_train=32, n_val=16, seed=4)
    c = make_task(name, 6, n_train=32, n_val=16, seed=5)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_val, b.y_val)
    assert not torch.equal(a.x_train, c.x_train)
    assert not torch.equal(a.x_train[:16], a.x_val)  # validation is its own stream


def test_sequence_cross_entropy_and_accuracy_follow_their_formulas():
    torch.manual_seed(0)
    logits = torch.randn(4, 3 * 5)
    y = torch.randint(0, 5, (4, 3))
    logp = torch.log_softmax(logits.reshape(4, 3, 5), -1)
    manual = -logp.gather(-1, y[..., None]).mean()
    assert float(sequence_cross_entropy(logits, y)) == pytest.approx(float(manual), rel=1e-6)
    hits = (logits.reshape(4, 3, 5).argmax(-1) == y).float().mean()
    assert symbol_accuracy(logits, y) == pytest.approx(float(hits))
    perfect = torch.nn.functional.one_hot(y, 5).float().reshape(4, 15) * 10
    assert symbol_accuracy(perfect, y) == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "echoes", "lag": 5}, "task must be one of echo, adding, copy, got 'echoes'"),
        ({"name": "echo", "lag": 0}, f"lag must be an integer between 1 and {MAX_LAG}, got 0"),
        (
            {"name": "echo", "lag": 2.5},
            f"lag must be an integer between 1 and {MAX_LAG}, got 2.5",
        ),
        ({"name": "adding", "lag": 5, "n_train": 3}, "n_train must be an integer >= 8, got 3"),
        ({"name": "adding", "lag": 5, "n_val": 0}, "n_val must be an integer >= 8, got 0"),
        (
            {"name": "copy", "lag": 5, "vocab": 1},
            "copy needs 1 <= items <= 20 and 2 <= vocab <= 64, got 3, 1",
        ),
    ],
)
def test_bad_task_settings_raise_exact_messages(kwargs, message):
    with pytest.raises(ValueError) as e:
        make_task(**kwargs)
    assert str(e.value) == message
