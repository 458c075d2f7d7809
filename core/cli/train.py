"""``python -m core train``: fit a forecaster, compare it with the baselines, print the scores.

``--csv FILE --target COL`` trains on a user's file (read by the lab's CSV reader) and saves
the run in the runs folder like the dashboard does (it shows on the Runs page, and
``python -m core export --run ID --onnx OUT`` works on it); ``--data`` trains on a bundled
or synthetic series and saves only with ``--store``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from core.config import CELLS, DataConfig, ModelConfig, TrainConfig


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train", help="train a forecaster on a CSV file, a sample or a synthetic series"
    )
    p.add_argument(
        "--data",
        default="sine",
        help="sine, noisy_sine, sum_of_sines, trend_seasonal, or a bundled sample: MSFT, "
        "airline, sunspots",
    )
    p.add_argument("--csv", default=None, help="train on this CSV file (overrides --data)")
    p.add_argument("--length", type=int, default=1000, help="synthetic series length")
    p.add_argument(
        "--target", default=None, help="target column (default: value / Close / the first)"
    )
    p.add_argument("--features", nargs="*", default=(), help="extra input columns (default: none)")
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
    p.add_argument(
        "--season", type=int, default=None, help="season length (default: from the dates)"
    )
    p.add_argument("--no-baselines", action="store_true", help="skip the baseline comparison")
    p.add_argument(
        "--store",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="save the run in the runs folder (default: yes with --csv, no otherwise)",
    )
    p.add_argument("--save", default=None, help="also write a checkpoint to this path")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def load_dataset(args: argparse.Namespace):
    """(dataset, default target) for --csv, a synthetic series or a bundled sample."""
    from core.cli.backtest import read_prices
    from core.data import SYNTHETIC, Dataset, load_sample, synthetic
    from core.data.sources import SAMPLES

    if args.csv:
        frame = read_prices(args.csv)
        frame.attrs.clear()
        name = Path(args.csv).name
        prov = {"kind": "csv", "file": name, "rows": len(frame)}
        return Dataset(frame, name, prov), str(frame.columns[0])
    if args.data in SYNTHETIC:
        return synthetic(args.data, n=args.length, seed=args.seed), "value"
    if args.data in SAMPLES and args.data != "MSFT":
        ds = load_sample(args.data)
        return ds, SAMPLES[args.data]["target"]
    return load_sample(args.data, last=2500), "Close"


def train_and_save(dataset, data_cfg, model_cfg, train_cfg, store: bool, baselines: bool):
    """Train through the dashboard's own job (same saving, same comparison); (run, snapshot)."""
    from core.jobs.threads import FAILED, Job
    from core.tasks.forecast import forecast_task

    task = forecast_task(
        dataset, data_cfg, model_cfg, train_cfg,
        store="default" if store else None, session=None, baselines=baselines,
    )  # fmt: skip
    job = Job(task, name=f"{model_cfg.cell.upper()} · {dataset.name} · {data_cfg.target}")
    job.start()
    job.join()
    snap = job.snapshot()
    if snap["status"] == FAILED:
        raise ValueError(snap.get("message") or "training failed")
    return job.result, snap


def run(args: argparse.Namespace) -> int:
    from core.cli import emit
    from core.forecast.comparison import EXTRAS_KEY, attach_comparison

    dataset, default_target = load_dataset(args)
    target = args.target or default_target
    data_cfg = DataConfig(
        target=target, features=tuple(args.features), lookback=args.lookback, horizon=args.horizon
    )
    model_cfg = ModelConfig(cell=args.cell, hidden_size=args.hidden, num_layers=args.layers)
    train_cfg = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        device=args.device,
    )
    store = args.store if args.store is not None else bool(args.csv)
    baselines = not args.no_baselines
    season_default = args.season is None
    run_, snap = train_and_save(
        dataset, data_cfg, model_cfg, train_cfg, store, baselines and season_default
    )
    if baselines and not season_default:  # not saved with the run: the run keeps the inferred one
        attach_comparison(run_, args.season)
    last = run_.fit.history[-1] if run_.fit.history else {}
    if args.save:
        from core.runs.formats.forecaster import save

        save(run_, args.save)
    out = {
        "run_id": snap.get("saved_run"),
        "save_warning": snap.get("save_warning"),
        "data": dataset.name,
        "target": target,
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
    }
    report = run_.extras.get(EXTRAS_KEY)
    if isinstance(report, dict):
        out.update(baseline_summary(report))
    emit(out, args.json)
    return 0


def baseline_summary(report: dict) -> dict:
    """The comparison's JSON part: scores per span and method, coverage, verdict."""
    if "error" in report:
        return {"baselines_error": report["error"]}
    spans = report.get("spans", {})
    return {
        "season_length": report["season_length"],
        "season_source": report["season_source"],
        "mase_denominator": report["mase_denominator"],
        "scores": {span: s["scores"] for span, s in spans.items()},
        "best": {span: s["best"] for span, s in spans.items()},
        "best_baseline": {span: s["best_baseline"] for span, s in spans.items()},
        "coverage": report["coverage"],
        "failures": report["failures"],
        "notes": report["notes"],
        "baseline_seconds": report["seconds"],
        "verdict": report["verdict"],
    }
