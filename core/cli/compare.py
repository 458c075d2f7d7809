"""``python -m core compare``: RNN vs GRU vs LSTM on a long-memory task, same seed and budget.

Example: ``python -m core compare --task echo --lag 20 --epochs 10 --json`` prints one JSON
object with, for each cell type, the final validation loss, parameter count and seconds
per epoch, plus the trivial loss, the budget and the gradient reaching ``lag`` steps back.
"""

from __future__ import annotations

import argparse

from core.compare.longmemory import TASKS

CELLS_DEFAULT = "rnn,gru,lstm"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="train RNN, GRU and LSTM side by side on a long-memory task")
    p.add_argument("--task", choices=TASKS, default="echo", help="long-memory task")
    p.add_argument("--lag", type=int, default=20, help="steps the model must remember")
    p.add_argument(
        "--cells", default=CELLS_DEFAULT, help=f"comma-separated cell types ({CELLS_DEFAULT})"
    )
    p.add_argument("--layers", type=int, default=1, help="stacked layers per architecture")
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--clip", type=float, default=1.0, help="gradient clipping norm; 0 = off")
    p.add_argument("--samples", type=int, default=4096, help="training sequences")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--orthogonal", action="store_true", help="orthogonal recurrent weights for every cell"
    )
    p.add_argument(
        "--pytorch-forget-bias",
        action="store_true",
        help="keep PyTorch's LSTM forget-gate bias (about 0) instead of 1",
    )
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _specs(args: argparse.Namespace):
    from core.compare.specs import CELL_LABELS, ArchSpec

    cells = [c.strip().lower() for c in args.cells.split(",") if c.strip()]
    bad = [c for c in cells if c not in CELL_LABELS]
    if bad or not cells:
        raise ValueError(f"--cells must list some of {', '.join(CELL_LABELS)}, got {args.cells!r}")
    if len(set(cells)) != len(cells):
        raise ValueError(f"--cells must not repeat a cell type, got {args.cells!r}")
    fb = None if args.pytorch_forget_bias else 1.0
    return [
        ArchSpec(
            CELL_LABELS[c],
            c,
            num_layers=args.layers,
            forget_bias=fb,
            orthogonal_init=args.orthogonal,
        )
        for c in cells
    ]


def run(args: argparse.Namespace) -> int:
    from core.cli import emit
    from core.compare.longmemory import make_task
    from core.compare.reading import read_comparison
    from core.compare.training import compare
    from core.config import TrainConfig

    specs = _specs(args)
    task = make_task(args.task, args.lag, n_train=args.samples, seed=args.seed)
    cfg = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        clip_norm=args.clip if args.clip > 0 else None,
        seed=args.seed,
        device=args.device,
    )
    result = compare(task, specs, args.hidden, cfg)
    k = min(task.lag, task.steps - 1)
    cells = {}
    for r in result.results:
        row = r.summary()
        row["grad_at_lag_init"] = r.grad_init[k] / r.grad_init[0] if r.grad_init[0] else None
        row["grad_at_lag_trained"] = (
            r.grad_trained[k] / r.grad_trained[0] if r.grad_trained[0] else None
        )
        cells[r.spec.cell] = row
    device = result.results[0].fit.device if result.results else {}
    emit(
        {
            "task": task.name,
            "lag": task.lag,
            "steps_per_sequence": task.steps,
            "loss": task.loss,
            "trivial_loss": task.trivial_loss,
            "budget": result.budget,
            "cells": cells,
            "reading": [line.replace("**", "") for line in read_comparison(result)],
            "seconds": round(result.seconds, 3),
            "device": device.get("label"),
        },
        args.json,
    )
    return 0
