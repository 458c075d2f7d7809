"""The trainer fits, repeats itself with a seed, stops cleanly, and survives divergence."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import prepare, synthetic
from core.forecast.run import fit_forecaster
from core.models.recurrent import RecurrentForecaster
from core.training.trainer import DIVERGED, EARLY_STOPPED, USER_STOPPED, Callback, Trainer

NOISY = synthetic("noisy_sine", n=1200, seed=0, noise=0.2)
DATA = DataConfig(target="value", lookback=30)


def tensors(split):
    return torch.from_numpy(split.x), torch.from_numpy(split.y)


def test_fits_a_noisy_sine_well_below_the_series_variance():
    run = fit_forecaster(NOISY, DATA, ModelConfig(hidden_size=32), TrainConfig(epochs=8))
    # scaled units: the series variance is ~1 and the noise floor is ~0.07
    val = run.fit.history[-1]["val_loss"]
    assert val < 0.15, run.fit.history
    assert run.fit.history[0]["val_loss"] > val
    s = run.scores("test")
    assert s["model_mae"] < s["naive_mae"]  # a sine is predictable: the model beats last value


def test_same_seed_same_history_other_seed_differs():
    def hist(seed):
        cfg = TrainConfig(epochs=3, seed=seed)
        run = fit_forecaster(NOISY, DATA, ModelConfig(hidden_size=8), cfg)
        return [(h["train_loss"], h["val_loss"]) for h in run.fit.history]

    assert hist(1) == hist(1)
    assert hist(1) != hist(2)


def test_history_records_every_field():
    run = fit_forecaster(NOISY, DATA, ModelConfig(hidden_size=8), TrainConfig(epochs=2))
    rec = run.fit.history[-1]
    assert set(rec) >= {"epoch", "train_loss", "val_loss", "lr", "grad_norm", "seconds",
                        "samples_per_s", "events"}  # fmt: skip
    assert rec["samples_per_s"] > 0 and rec["grad_norm"] > 0 and rec["lr"] == 3e-3
    assert run.fit.device["type"] == "cpu" and run.fit.device["threads"] >= 1


class _Poison(Callback):
    """Turns the weights into NaN during epoch ``at`` (a forced divergence)."""

    def __init__(self, at: int):
        self.at = at

    def on_batch_end(self, trainer, epoch, batch, n_batches):
        if epoch == self.at and batch == 2:
            with torch.no_grad():
                for p in trainer.model.parameters():
                    p.fill_(float("nan"))


def test_forced_nan_stops_with_its_reason_and_keeps_last_good_weights():
    p = prepare(NOISY.frame, DATA)
    model = RecurrentForecaster(ModelConfig(hidden_size=8))
    trainer = Trainer(model, TrainConfig(epochs=5), callbacks=[_Poison(at=3)])
    result = trainer.fit(tensors(p.train), tensors(p.val))
    assert result.reason == DIVERGED
    assert "epoch 3" in result.message and "kept the weights of epoch 2" in result.message
    assert len(result.history) == 2
    assert all(torch.isfinite(v).all() for v in model.state_dict().values())
    # the kept weights are those of epoch 2: their val loss is the recorded one
    assert trainer.evaluate(tensors(p.val)) == pytest.approx(result.history[-1]["val_loss"], 1e-5)


def test_huge_learning_rate_diverges_with_a_clear_message():
    p = prepare(NOISY.frame, DATA)
    model = RecurrentForecaster(ModelConfig(hidden_size=8, cell="rnn"))
    cfg = TrainConfig(epochs=5, lr=10.0, optimizer="sgd", clip_norm=None)
    result = Trainer(model, cfg).fit(tensors(p.train), tensors(p.val))
    assert result.reason == DIVERGED, result.history
    assert "lower learning rate" in result.message or "kept the weights" in result.message


class _StopAt(Callback):
    def __init__(self, event, epoch, batch):
        self.event, self.epoch, self.batch = event, epoch, batch

    def on_batch_end(self, trainer, epoch, batch, n_batches):
        if (epoch, batch) == (self.epoch, self.batch):
            self.event.set()


def test_stop_mid_epoch_keeps_the_last_completed_epoch():
    p = prepare(NOISY.frame, DATA)
    stop = threading.Event()
    model = RecurrentForecaster(ModelConfig(hidden_size=8))
    trainer = Trainer(model, TrainConfig(epochs=10), callbacks=[_StopAt(stop, 3, 2)],
                      stop_event=stop)  # fmt: skip
    result = trainer.fit(tensors(p.train), tensors(p.val))
    assert result.reason == USER_STOPPED
    assert [h["epoch"] for h in result.history] == [1, 2]
    assert trainer.evaluate(tensors(p.val)) == pytest.approx(result.history[-1]["val_loss"], 1e-5)


def test_early_stopping_restores_the_best_weights():
    p = prepare(NOISY.frame, DATA)
    model = RecurrentForecaster(ModelConfig(hidden_size=8))
    # a too-high learning rate makes validation loss wander: patience 2 triggers
    cfg = TrainConfig(epochs=40, lr=0.05, early_stopping=True, patience=2, scheduler=True,
                      scheduler_patience=1)  # fmt: skip
    trainer = Trainer(model, cfg)
    result = trainer.fit(tensors(p.train), tensors(p.val))
    assert result.reason == EARLY_STOPPED
    best = min(h["val_loss"] for h in result.history)
    assert result.best_val_loss == pytest.approx(best)
    assert result.history[result.best_epoch - 1]["val_loss"] == pytest.approx(best)
    assert trainer.evaluate(tensors(p.val)) == pytest.approx(best, rel=1e-5)
    assert "early stop" in result.history[-1]["events"]


def test_lr_drops_are_recorded_as_events():
    p = prepare(NOISY.frame, DATA)
    model = RecurrentForecaster(ModelConfig(hidden_size=8))
    cfg = TrainConfig(epochs=12, lr=0.05, scheduler=True, scheduler_patience=0)
    result = Trainer(model, cfg).fit(tensors(p.train), tensors(p.val))
    lrs = [h["lr"] for h in result.history]
    drops = [e for h in result.history for e in h["events"] if e.startswith("lr ")]
    assert drops and min(lrs) < 0.05


def test_gradient_clipping_bounds_the_update():
    p = prepare(NOISY.frame, DATA)
    torch.manual_seed(0)
    model = RecurrentForecaster(ModelConfig(hidden_size=8))
    x, y = tensors(p.train)
    loss = torch.nn.functional.mse_loss(model(x[:64]), y[:64] * 100)
    loss.backward()
    total = torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    clipped = torch.sqrt(sum((q.grad**2).sum() for q in model.parameters()))
    assert total > 0.5 and float(clipped) == pytest.approx(0.5, rel=1e-4)


def test_bidirectional_gru_and_rnn_train():
    for cell in ("gru", "rnn"):
        cfg = ModelConfig(cell=cell, hidden_size=8, num_layers=2, bidirectional=True, dropout=0.1)
        run = fit_forecaster(NOISY, DATA, cfg, TrainConfig(epochs=2))
        assert np.isfinite(run.fit.history[-1]["val_loss"])


def test_forget_bias_and_orthogonal_init():
    m = RecurrentForecaster(ModelConfig(hidden_size=6, forget_bias=1.0))
    b = m.rnn.bias_ih_l0 + m.rnn.bias_hh_l0
    assert torch.allclose(b[6:12], torch.ones(6))
    w = m.rnn.weight_hh_l0[6:12]  # the forget block is orthogonal
    assert torch.allclose(w @ w.T, torch.eye(6), atol=1e-5)
    plain = RecurrentForecaster(ModelConfig(hidden_size=6, forget_bias=None, orthogonal_init=False))
    pb = plain.rnn.bias_ih_l0 + plain.rnn.bias_hh_l0
    assert not torch.allclose(pb[6:12], torch.ones(6))


def test_an_exploding_loss_is_divergence_and_those_weights_are_not_kept():
    """SGD at lr 1 without clipping: epoch 1's loss is ~1e19 (finite), not a result."""
    NOISY_SMALL = synthetic("noisy_sine", n=300, seed=0, noise=0.2)
    p = prepare(NOISY_SMALL.frame, DataConfig(target="value", lookback=10))
    model = RecurrentForecaster(ModelConfig(hidden_size=8, cell="rnn"))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    cfg = TrainConfig(epochs=3, lr=1.0, optimizer="sgd", clip_norm=None, batch_size=16)
    result = Trainer(model, cfg).fit(tensors(p.train), tensors(p.val))
    assert result.reason == DIVERGED and result.history == []
    assert result.message.startswith("the training loss exploded to ")
    assert "in epoch 1; training stopped and kept the initial weights" in result.message
    for k, v in model.state_dict().items():  # the exploded weights were thrown away
        assert torch.equal(v, before[k])


class _Blowup(Callback):
    """Scales the head by 1e4 at the end of epoch ``at``: finite, but orders of magnitude off."""

    def __init__(self, at: int):
        self.at = at

    def on_batch_end(self, trainer, epoch, batch, n_batches):
        if epoch == self.at and batch == n_batches:
            with torch.no_grad():
                trainer.model.head.weight.mul_(1e4)
                trainer.model.head.bias.add_(1e4)


def test_a_later_explosion_keeps_the_last_sane_epoch():
    p = prepare(NOISY.frame, DATA)
    model = RecurrentForecaster(ModelConfig(hidden_size=8))
    trainer = Trainer(model, TrainConfig(epochs=5), callbacks=[_Blowup(at=3)])
    result = trainer.fit(tensors(p.train), tensors(p.val))
    assert result.reason == DIVERGED and len(result.history) == 2
    assert "in epoch 3; training stopped and kept the weights of epoch 2" in result.message
    assert trainer.evaluate(tensors(p.val)) == pytest.approx(result.history[-1]["val_loss"], 1e-5)
    assert result.warning == ""  # epoch 2's weights are fine


def test_a_result_worse_than_the_mean_carries_a_warning():
    p = prepare(NOISY.frame, DATA)
    model = RecurrentForecaster(ModelConfig(hidden_size=8))
    bad = Trainer(model, TrainConfig(epochs=2, lr=10.0)).fit(tensors(p.train), tensors(p.val))
    assert bad.reason != DIVERGED and bad.message == "finished 2 epochs"
    final = bad.history[-1]["val_loss"]
    assert bad.warning.startswith(f"the final validation loss ({final:.3g}) is worse than ")
    assert "always predicting the training mean" in bad.warning
    good = fit_forecaster(NOISY, DATA, ModelConfig(hidden_size=8), TrainConfig(epochs=2))
    assert good.fit.warning == ""


def test_values_beyond_float32_are_refused_before_training():
    frame = NOISY.frame * 1e300
    with pytest.raises(ValueError) as e:
        prepare(frame, DATA)
    assert str(e.value).startswith("value has values as large as ")
    assert "float32 training" in str(e.value) and "learning rate" not in str(e.value)
    with pytest.raises(ValueError, match=r"^after the 'none' scaler and 'level' windows"):
        prepare(NOISY.frame * 1e20, DataConfig(target="value", lookback=30, scaler="none"))
