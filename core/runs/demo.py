"""The demo models shipped with the lab (``data/demo_models/``): an instant first picture.

Each is an ordinary LSTM Lab checkpoint, written and read by the lab's own format code
(``core.runs.formats.forecaster`` for forecasters, the ``compare`` kind of
``core.runs.registry`` for the echo comparison), made by ``scripts/train_demo_models.py``
with fixed seeds; ``provenance.json`` beside them says how (data, settings, torch version,
date, seconds). Nothing here trains: loading a demo takes milliseconds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import Dataset, load_sample, synthetic
from core.forecast.run import ForecastRun
from core.runs.formats import forecaster as forecaster_format
from core.runs.formats.common import CheckpointError
from core.runs.registry import import_checkpoint

DEMO_DIR = Path(__file__).resolve().parents[2] / "data" / "demo_models"
PROVENANCE = DEMO_DIR / "provenance.json"
SCRIPT = "scripts/train_demo_models.py"

# what each demo is made of: the script trains exactly these, the app loads them back
SINE = "sine_lstm"  # Gates' first picture and the gate-equation lesson
MSFT = "msft_lstm"  # the stock-honesty lesson
ECHO = "echo_compare"  # RNN vs LSTM (forget bias 1 and PyTorch's) on the echo task, lag 20

SINE_SERIES = {"kind": "noisy_sine", "n": 1000, "seed": 0, "period": 50.0, "amplitude": 1.0}
SINE_SERIES["noise"] = 0.2  # Home's "watch it learn" series
QUICK_MODEL = ModelConfig(cell="lstm", hidden_size=32, num_layers=1)  # the quick demo preset
QUICK_TRAIN = TrainConfig(epochs=15, batch_size=64, lr=3e-3, clip_norm=1.0, seed=0, device="cpu")
FORECASTERS: dict[str, dict[str, Any]] = {
    SINE: {
        "data_cfg": DataConfig(target="value", lookback=30, horizon=1),
        "title": "a small LSTM (32 units) trained on the noisy sine of Home's first demo",
    },
    MSFT: {
        "data_cfg": DataConfig(target="Close", lookback=30, horizon=1, normalize="ratio"),
        "title": "a small LSTM (32 units) trained on the bundled MSFT daily closes",
    },
}
MSFT_ROWS = 2500  # the lab's offline default: the last 2,500 trading days
ECHO_TASK = {"name": "echo", "lag": 20, "n_train": 4096, "n_val": 1024, "seed": 0}
ECHO_BUDGET = {"hidden_size": 64, "epochs": 10, "batch_size": 128, "lr": 1e-2, "clip_norm": 1.0}
ECHO_ARCHS = ("RNN", "LSTM", "LSTM (PyTorch forget bias)")


def path(name: str) -> Path:
    return DEMO_DIR / f"{name}.pt"


def dataset(name: str) -> Dataset:
    """The data a demo forecaster was trained on (regenerated or read from data/)."""
    if name == SINE:
        s = SINE_SERIES
        params = {k: v for k, v in s.items() if k not in ("kind", "n", "seed")}
        return synthetic(s["kind"], n=s["n"], seed=s["seed"], **params)
    if name == MSFT:
        return load_sample("MSFT", last=MSFT_ROWS)
    raise ValueError(f"no demo forecaster called {name!r}; there are {', '.join(FORECASTERS)}")


def provenance() -> dict:
    """How every demo was made ({} if the file is missing or unreadable)."""
    try:
        data = json.loads(PROVENANCE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def made_by(name: str) -> str:
    """One sentence for the label under a demo model: what it is and how it was made."""
    info = provenance()
    entry = (info.get("models") or {}).get(name, {})
    what = entry.get("title") or FORECASTERS.get(name, {}).get("title") or name
    when = info.get("date", "?")
    torch_v = info.get("torch", "?")
    return (
        f"{what}, by `{SCRIPT}` (seed 0, CPU, torch {torch_v}, {when}); "
        f"provenance in `data/demo_models/`"
    )


def load_forecaster(name: str, data: Dataset | None = None) -> ForecastRun:
    """A demo forecaster, read by the lab's checkpoint format (its data checked by fingerprint).

    ``data`` (e.g. the app's already loaded MSFT sample) saves re-reading the series.
    """
    return forecaster_format.load_run(path(name), data if data is not None else dataset(name))


def load_comparison():
    """The shipped echo comparison (a ``CompareSummary``), read through the runs registry."""
    kind, summary = import_checkpoint(path(ECHO))
    if kind.kind != "compare":
        raise CheckpointError(f"{path(ECHO).name} is a {kind.label}, not a comparison")
    return summary
