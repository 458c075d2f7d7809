"""``python -m core train``: fit a forecaster and print the final losses."""

from __future__ import annotations

import argparse

from core.config import CELLS, DataConfig, ModelConfig, TrainConfig


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a forecaster on a sample or synthetic series")
    p.add_argument(
        "--data",
        default="sine",
        help="sine, noisy_sine, sum_of_sines, trend_seasonal, or MSFT (bundled)",
    )
    p.add_argument("--length", type=int, default=1000, help="synthetic series length")
    p.add_argument("--target", default=None, help="target column (default: value / Close)")
    p.add_argument("--lookback", type=int, default=30)
    p.add_argument("--horizon", type=int, default=1)
    p.add_argument("--cell", choices=CELLS, default="lstm")
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    p.add_argument("--save", default=None, help="write a checkpoint to this path")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from core.cli import emit
    from core.data import SYNTHETIC, load_sample, synthetic
    from core.forecast.run import fit_forecaster

    if args.data in SYNTHETIC:
        dataset = synthetic(args.data, n=args.length, seed=args.seed)
        target = args.target or "value"
    else:
        dataset = load_sample(args.data, last=2500)
        target = args.target or "Close"
    data_cfg = DataConfig(target=target, lookback=args.lookback, horizon=args.horizon)
    model_cfg = ModelConfig(cell=args.cell, hidden_size=args.hidden, num_layers=args.layers)
    train_cfg = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        device=args.device,
    )
    run_ = fit_forecaster(dataset, data_cfg, model_cfg, train_cfg)
    last = run_.fit.history[-1] if run_.fit.history else {}
    if args.save:
        from core.runs.formats.forecaster import save

        save(run_, args.save)
    emit(
        {
            "data": dataset.name,
            "cell": args.cell,
            "epochs": len(run_.fit.history),
            "train_loss": last.get("train_loss"),
            "val_loss": last.get("val_loss"),
            "best_val_loss": run_.fit.best_val_loss,
            "best_epoch": run_.fit.best_epoch,
            "reason": run_.fit.reason,
            "parameters": run_.n_params,
            "seconds": round(run_.fit.seconds, 3),
            "device": run_.fit.device.get("label"),
            "threads": run_.fit.device.get("threads"),
            "test": run_.scores("test"),
        },
        args.json,
    )
    return 0
