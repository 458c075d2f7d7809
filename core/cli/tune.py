"""``python -m core tune``: a hyperparameter search on a CSV, a sample or a synthetic series."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tune", help="search hyperparameters with Optuna (trials as jobs)")
    p.add_argument("--csv", default=None, help="a CSV file with a date column and numbers")
    p.add_argument(
        "--data", default="sine", help="without --csv: sine, noisy_sine, ... or MSFT (bundled)"
    )
    p.add_argument("--length", type=int, default=1000, help="synthetic series length")
    p.add_argument("--target", default=None, help="target column (default: value / Close)")
    p.add_argument("--preset", default="quick", help="quick, thorough or 'cell grid'")
    p.add_argument("--trials", type=int, default=None, help="trials (default: the preset's)")
    p.add_argument("--epochs", type=int, default=None, help="epochs per trial")
    p.add_argument("--parallel", type=int, default=None, help="trials at once")
    p.add_argument("--time-limit", type=float, default=None, help="seconds for the search")
    p.add_argument("--sampler", default=None, help="tpe, random or grid")
    p.add_argument("--pruner", default=None, help="median, halving or none")
    p.add_argument("--lookback", type=int, nargs="+", default=None, help="lookbacks to try")
    p.add_argument("--hidden", type=int, nargs="+", default=None, help="hidden sizes to try")
    p.add_argument("--normalize", default=None, help="window mode: level, diff or ratio")
    p.add_argument("--study", default=None, help="study name (an existing one is continued)")
    p.add_argument("--storage", default=None, help="database URL (default: SQLite in runs/)")
    p.add_argument("--no-save", action="store_true", help="do not save the best run")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _dataset(args):
    from pathlib import Path

    from core.cli.backtest import read_prices
    from core.data import SYNTHETIC, Dataset, load_sample, synthetic

    if args.csv:
        frame = read_prices(args.csv)
        ds = Dataset(frame, Path(args.csv).name, {"kind": "csv", "file": Path(args.csv).name})
        return ds, args.target or ("Close" if "Close" in ds.columns else ds.columns[-1])
    if args.data in SYNTHETIC:
        return synthetic(args.data, n=args.length, seed=args.seed), args.target or "value"
    return load_sample(args.data, last=2500), args.target or "Close"


def run(args: argparse.Namespace) -> int:
    from core.cli import emit
    from core.config import DataConfig
    from core.jobs.threads import JobManager
    from core.tune import PRESETS, Budget, Study, TuneSpec

    if args.preset not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}, got {args.preset!r}")
    preset = PRESETS[args.preset]
    dataset, target = _dataset(args)
    b = preset["budget"]
    budget = Budget(
        trials=args.trials if args.trials is not None else b.trials,
        epochs=args.epochs if args.epochs is not None else b.epochs,
        time_limit_s=args.time_limit,
        parallel=args.parallel or b.parallel,
    )
    space = preset["space"]
    if args.lookback:
        space = space.__class__(**{**space.__dict__, "lookback": tuple(args.lookback)})
    if args.hidden:
        space = space.__class__(**{**space.__dict__, "hidden": tuple(args.hidden)})
    if args.normalize:
        space = space.__class__(**{**space.__dict__, "normalize": (args.normalize,)})
    spec = TuneSpec(
        dataset,
        DataConfig(target=target),
        space,
        budget,
        sampler=args.sampler or preset["sampler"],
        pruner=args.pruner or preset["pruner"],
        seed=args.seed,
    )
    study = Study(
        spec,
        JobManager(max_jobs=budget.parallel),
        name=args.study,
        storage=args.storage,
        store=None if args.no_save else "default",
    )
    job = study.job()
    job.start()
    try:
        job.join()
    except KeyboardInterrupt:  # Ctrl-C: stop cleanly, still conclude
        job.stop()
        job.join()
    snap = job.snapshot()
    if snap["status"] == "failed":
        raise ValueError(snap.get("message") or "the study failed")
    result = snap.get("result") or {}
    test = result.get("test") or {}
    emit(
        {
            "study": study.name,
            "storage": snap.get("storage"),
            "data": dataset.name,
            "target": target,
            "trials": snap.get("n_trials"),
            "complete": snap.get("n_complete"),
            "pruned": snap.get("n_pruned"),
            "failed": snap.get("n_failed"),
            "best_trial": result.get("best_trial"),
            "best_params": result.get("params"),
            "best_val_loss": result.get("best_value"),
            "objective": "validation MSE in the target's units, at the trial's best epoch",
            "test_mae": test.get("model_mae"),
            "naive_mae": test.get("naive_mae"),
            "drift_mae": test.get("drift_mae"),
            "moving_average_mae": test.get("moving_average_mae"),
            "ratio_to_naive": test.get("ratio_to_naive"),
            "test_windows": test.get("n"),
            "run_id": result.get("run_id"),
            "seconds": round(snap.get("elapsed") or 0.0, 2),
            "message": result.get("message") or result.get("stopped") or "",
        },
        args.json,
    )
    return 0
