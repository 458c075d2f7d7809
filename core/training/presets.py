"""One-click settings for newcomers, tuned on the bundled sample and the sine series."""

from __future__ import annotations

from core.config import ModelConfig, TrainConfig

PRESETS: dict[str, dict] = {
    "quick demo": {
        "help": "a small LSTM, 15 epochs: visibly learns during a live demo (the live ETA "
        "says how long on this machine)",
        "model": ModelConfig(cell="lstm", hidden_size=32, num_layers=1),
        "train": TrainConfig(epochs=15, batch_size=64, lr=3e-3, clip_norm=1.0),
    },
    "accurate": {
        "help": "a wider 2-layer LSTM with LR drops and early stopping: slower, better",
        "model": ModelConfig(cell="lstm", hidden_size=64, num_layers=2, dropout=0.1),
        "train": TrainConfig(
            epochs=60,
            batch_size=64,
            lr=2e-3,
            clip_norm=1.0,
            scheduler=True,
            early_stopping=True,
            patience=8,
        ),
    },
    "deep stacked": {
        "help": "4 stacked LSTM layers with dropout and clipping: shows what depth costs",
        "model": ModelConfig(cell="lstm", hidden_size=64, num_layers=4, dropout=0.2),
        "train": TrainConfig(
            epochs=40,
            batch_size=64,
            lr=1e-3,
            clip_norm=0.5,
            scheduler=True,
            early_stopping=True,
            patience=8,
        ),
    },
}
