"""Cost of keeping text models in the runs folder, against plain PyTorch baselines.

    LSTMLAB_THREADS=1 python bench/bench_text_runs.py [--repeat 5] [--hidden 128] [--layers 2]

The model is the "Classic char-rnn" size (2 x 128 LSTM units on the Shakespeare
vocabulary) with a history of 200 records and 60 samples, as after a long training.
Baselines, measured in the same process: ``torch.save(model.state_dict())`` for a save,
``torch.load(weights_only=True)`` + ``load_state_dict`` for an open or an import. A store
save also writes meta.json (configs, provenance, best bpc), history.json and the charlm
checkpoint through temp files and renames, then applies the folder limits under a lock.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from bench.common import machine, table, timed  # noqa: E402
from core.runs import registry as run_kinds  # noqa: E402
from core.runs.formats.text import text_run_bytes  # noqa: E402
from core.runs.store import Limits, RunStore  # noqa: E402
from core.text import CharLM, CharModelConfig, CharTrainConfig, build_text_run, load_shakespeare  # noqa: E402
from core.training.device import configure_threads  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    args = ap.parse_args()
    configure_threads(None)
    run, _, _ = build_text_run(
        load_shakespeare(),
        CharModelConfig(hidden_size=args.hidden, num_layers=args.layers),
        CharTrainConfig(epochs=10, batch_size=50, seq_len=50),
    )
    run.history = [
        {"epoch": 1 + s // 72, "step": s, "train_loss": 4.0 - s / 1e3, "val_loss": 4.1 - s / 1e3,
         "lr": 2e-3, "grad_norm": 0.5, "seconds": s / 10, "samples_per_s": 9e4, "events": []}
        for s in range(20, 4001, 20)
    ]  # fmt: skip
    run.samples = [{"step": s, "text": "ROMEO:\nWhat say you? " * 10} for s in range(60)]
    run.result = {"reason": "completed", "steps": 4000, "seconds": 400.0, "message": "done"}
    kind = run_kinds.get("text")
    tmp = Path(tempfile.mkdtemp(prefix="bench-text-runs-"))
    store = RunStore(tmp / "runs", Limits(per_session=10_000, max_bytes=2**40))
    plain = tmp / "plain.pt"
    rows = []

    base_save = timed(lambda: torch.save(run.model.state_dict(), plain), args.repeat)
    save = timed(lambda: kind.save(store, run, session="bench"), args.repeat)
    rows.append(["save a text run (autosave)", save * 1e3, "torch.save(state_dict)",
                 base_save * 1e3, save / base_save])  # fmt: skip

    def plain_load() -> None:
        CharLM(run.model_cfg).load_state_dict(torch.load(plain, weights_only=True))

    base_load = timed(plain_load, args.repeat)
    rid = store.list()[0].id
    opened = timed(lambda: kind.load(store, rid), args.repeat)
    rows.append(["open it (Runs page)", opened * 1e3, "torch.load + load_state_dict",
                 base_load * 1e3, opened / base_load])  # fmt: skip
    data = text_run_bytes(run)
    imported = timed(lambda: run_kinds.import_checkpoint(data), args.repeat)
    rows.append(["import its .pt (dispatch)", imported * 1e3, "torch.load + load_state_dict",
                 base_load * 1e3, imported / base_load])  # fmt: skip
    n = len(store.list())
    listing = timed(store.list, args.repeat)
    rows.append([f"list {n} runs", listing * 1e3, "torch.load + load_state_dict",
                 base_load * 1e3, listing / base_load])  # fmt: skip

    size = sum(p.stat().st_size for p in (tmp / "runs" / rid).iterdir())
    plain_kb = plain.stat().st_size / 1024
    print(machine())
    print(
        f"model: {run.model_cfg.cell.upper()} {args.layers} x {args.hidden}, {run.n_params:,} "
        f"parameters, V={run.vocab.size} | history {len(run.history)} records | "
        f"one saved run {size / 1024:.0f} KB (plain state_dict {plain_kb:.0f} KB)"
    )
    print()
    print(table(["operation", "ms", "baseline", "baseline ms", "ratio"], rows))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
