"""Cost of keeping runs: save, list, reopen, export, against plain PyTorch baselines.

    LSTMLAB_THREADS=1 python bench/bench_runs.py [--repeat 5] [--hidden 32]

Baselines, measured in the same process: ``torch.save(model.state_dict())`` for a save,
``torch.load`` + ``load_state_dict`` for a reopen, the PyTorch forward pass for ONNX
inference. A RunStore save does much more (two checkpoints with the data inside, history,
meta, scores, atomic renames, limits), so the ratio says what that bookkeeping costs.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from bench.common import timed  # noqa: E402
from core.config import DataConfig, ModelConfig, TrainConfig  # noqa: E402
from core.data import load_sample  # noqa: E402
from core.forecast.run import fit_forecaster  # noqa: E402
from core.models.onnx_export import available, export_onnx  # noqa: E402
from core.models.recurrent import RecurrentForecaster  # noqa: E402
from core.runs.files import CheckpointKeeper  # noqa: E402
from core.runs.kinds import forecaster as forecaster_runs  # noqa: E402
from core.runs.store import Limits, RunStore  # noqa: E402
from core.training.device import configure_threads  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--hidden", type=int, default=32)
    args = ap.parse_args()
    threads = configure_threads(None)
    ds = load_sample("MSFT", last=2500)
    keeper = CheckpointKeeper()
    run = fit_forecaster(
        ds,
        DataConfig(target="Close", lookback=30),
        ModelConfig(hidden_size=args.hidden),
        TrainConfig(epochs=2, batch_size=64),
        callbacks=[keeper],
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench-runs-"))
    store = RunStore(tmp / "runs", Limits(per_session=10_000, max_bytes=2**40))
    rows = []

    plain = tmp / "plain.pt"
    base_save = timed(lambda: torch.save(run.model.state_dict(), plain), args.repeat)
    save = timed(lambda: forecaster_runs.save(store, run, keeper=keeper), args.repeat)
    rows.append(("save a run", save, "torch.save(state_dict)", base_save))

    rid = store.list()[0].id

    def plain_load() -> None:
        m = RecurrentForecaster(run.model_cfg)
        m.load_state_dict(torch.load(plain, weights_only=True))

    base_load = timed(plain_load, args.repeat)
    reopen = timed(lambda: forecaster_runs.load(store, rid), args.repeat)
    rows.append(("reopen a run", reopen, "torch.load + load_state_dict", base_load))
    n_runs = len(store.list())
    listing = timed(store.list, args.repeat)
    rows.append((f"list {n_runs} runs", listing, "one torch.load + load_state", base_load))

    if available("onnx") and available("onnxruntime"):
        import onnxruntime as ort

        data = export_onnx(run.model, 30)
        rows.append(
            ("export ONNX", timed(lambda: export_onnx(run.model, 30), args.repeat),
             "torch.save(state_dict)", base_save)
        )  # fmt: skip
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads  # the same thread budget as torch
        sess = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
        x = torch.randn(256, 30, 1)
        with torch.no_grad():
            base_fwd = timed(lambda: run.model(x), args.repeat * 4)
        ort_fwd = timed(lambda: sess.run(["y"], {"x": x.numpy()}), args.repeat * 4)
        rows.append(("ONNX forward (B=256, T=30)", ort_fwd, "PyTorch forward", base_fwd))

    size = sum(p.stat().st_size for p in (tmp / "runs" / rid).iterdir())
    print(f"platform: {platform.platform()} | python {platform.python_version()}")
    print(f"cpu count: {os.cpu_count()} | torch {torch.__version__} | torch threads: {threads}")
    print(f"model: LSTM H={args.hidden}, {run.n_params} parameters | data: {len(ds.frame)} rows")
    plain_kb = plain.stat().st_size / 1024
    print(f"one saved run on disk: {size / 1024:.0f} KB (plain state_dict {plain_kb:.0f} KB)")
    print()
    print(f"| {'operation':<28} | {'ms':>8} | {'baseline':<28} | {'ms':>8} | {'ratio':>6} |")
    print(f"|{'-' * 30}|{'-' * 10}|{'-' * 30}|{'-' * 10}|{'-' * 8}|")
    for name, t, base_name, base in rows:
        cells = f"{name:<28} | {t * 1e3:8.2f} | {base_name:<28} | {base * 1e3:8.2f}"
        print(f"| {cells} | {t / base:6.1f} |")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
