"""Train the demo models shipped in data/demo_models/, reproducibly (fixed seeds, CPU, 1 thread).

    .venv/bin/python scripts/train_demo_models.py           # all of them (about a minute)
    .venv/bin/python scripts/train_demo_models.py --check   # retrain in memory, compare losses

Every file is written by the lab's own checkpoint code (core.runs.formats.forecaster for the
forecasters, the "compare" run kind for the echo comparison), so the app reads them back
exactly as it reads a user's checkpoint. provenance.json records data, settings, torch
version, date and seconds; data/demo_models/README.md explains it in words.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from core.compare.longmemory import make_task  # noqa: E402
from core.compare.specs import ARCHITECTURES  # noqa: E402
from core.compare.training import compare  # noqa: E402
from core.config import TrainConfig  # noqa: E402
from core.forecast.run import fit_forecaster  # noqa: E402
from core.runs import demo  # noqa: E402
from core.runs.formats.common import to_bytes, write_atomic  # noqa: E402
from core.runs.formats.forecaster import save  # noqa: E402
from core.runs.kinds.compare import summarize  # noqa: E402
from core.runs.registry import get  # noqa: E402


def train_forecaster(name: str) -> tuple[object, dict]:
    spec = demo.FORECASTERS[name]
    ds = demo.dataset(name)
    t0 = time.perf_counter()
    run = fit_forecaster(ds, spec["data_cfg"], demo.QUICK_MODEL, demo.QUICK_TRAIN)
    seconds = time.perf_counter() - t0
    scores = run.scores("test")
    info = {
        "title": spec["title"],
        "format": "lstm-lab/forecaster (core.runs.formats.forecaster)",
        "data": {"name": ds.name, "provenance": ds.provenance, "fingerprint": ds.fingerprint()},
        "data_in_file": name == demo.SINE,  # MSFT: read from data/MSFT.csv (fingerprint checked)
        "data_cfg": spec["data_cfg"].to_dict(),
        "model_cfg": run.model_cfg.to_dict(),
        "train_cfg": demo.QUICK_TRAIN.to_dict(),
        "parameters": run.n_params,
        "final_train_loss": run.fit.history[-1]["train_loss"],
        "final_val_loss": run.fit.history[-1]["val_loss"],
        "test_mae_model": scores["model_mae"],
        "test_mae_naive": scores["naive_mae"],
        "seconds": round(seconds, 2),
    }
    return run, info


def train_echo() -> tuple[object, dict]:
    t, b = demo.ECHO_TASK, demo.ECHO_BUDGET
    task = make_task(t["name"], t["lag"], n_train=t["n_train"], n_val=t["n_val"], seed=t["seed"])
    cfg = TrainConfig(
        epochs=b["epochs"],
        batch_size=b["batch_size"],
        lr=b["lr"],
        clip_norm=b["clip_norm"],
        seed=t["seed"],
        device="cpu",
    )
    specs = [ARCHITECTURES[a] for a in demo.ECHO_ARCHS]
    result = compare(task, specs, b["hidden_size"], cfg)
    summary = summarize(result)
    info = {
        "title": "RNN, LSTM (forget bias 1) and LSTM (PyTorch's forget bias) on the echo "
        "task, lag 20, the Compare page's default budget",
        "format": "lstm-lab/compare (core.runs.kinds.compare; losses, no weights)",
        "task": t,
        "budget": b,
        "trivial_loss": task.trivial_loss,
        "val_loss": {a["label"]: a["val_loss"] for a in summary.archs},
        "seconds": round(result.seconds, 2),
    }
    return summary, info


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="train again, write nothing, compare")
    args = ap.parse_args()
    torch.set_num_threads(1)
    models, runs = {}, {}
    for name in demo.FORECASTERS:
        runs[name], models[name] = train_forecaster(name)
        print(f"{name}: val loss {models[name]['final_val_loss']:.4g}, {models[name]['seconds']} s")
    runs[demo.ECHO], models[demo.ECHO] = train_echo()
    print(f"{demo.ECHO}: {models[demo.ECHO]['val_loss']}, {models[demo.ECHO]['seconds']} s")
    if args.check:
        old = demo.provenance().get("models", {})
        for name, info in models.items():
            key = "val_loss" if name == demo.ECHO else "final_val_loss"
            print(f"{name}: shipped {old.get(name, {}).get(key)!r}, now {info[key]!r}")
        return 0
    demo.DEMO_DIR.mkdir(parents=True, exist_ok=True)
    for name in demo.FORECASTERS:
        save(runs[name], demo.path(name), include_data=models[name]["data_in_file"])
    write_atomic(to_bytes(get("compare").to_payload(runs[demo.ECHO])), demo.path(demo.ECHO))
    for name in models:
        models[name]["file"] = demo.path(name).name
        models[name]["bytes"] = demo.path(name).stat().st_size
    provenance = {
        "script": demo.SCRIPT,
        "date": dt.date.today().isoformat(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, CPU, 1 torch thread",
        "models": models,
    }
    demo.PROVENANCE.write_text(json.dumps(provenance, indent=1, default=str) + "\n")
    print(f"wrote {', '.join(m['file'] for m in models.values())} and provenance.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
