"""``python -m core runs list`` and ``python -m core export --run DIR --onnx OUT``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.cli import export_more


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="list the saved runs")
    runs_sub = p.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    ls = runs_sub.add_parser("list", help="one line per saved run, newest first")
    ls.add_argument("--dir", default=None, help="runs folder (default: $LSTMLAB_RUNS_DIR or runs/)")
    ls.add_argument("--json", action="store_true", help="print one JSON object")
    ls.set_defaults(func=list_runs)
    for action, words in (
        ("share", "show a run to every browser session, read-only (a gallery)"),
        ("unshare", "show a run only to the session that trained it again"),
    ):
        sh = runs_sub.add_parser(action, help=words)
        sh.add_argument("run_id", metavar="ID", help="a run id, as `runs list` prints it")
        sh.add_argument("--dir", default=None, help="runs folder (default: $LSTMLAB_RUNS_DIR)")
        sh.set_defaults(func=share, shared=action == "share")

    ex = sub.add_parser("export", help="export a saved run as ONNX and/or a checkpoint file")
    ex.add_argument("--run", required=True, help="a run folder, or a run id in the runs folder")
    ex.add_argument("--onnx", default=None, help="write the model as ONNX to this path")
    ex.add_argument("--checkpoint", default=None, help="write the checkpoint (.pt) here")
    ex.add_argument("--weights", choices=("auto", "best", "last"), default="auto")
    ex.add_argument("--json", action="store_true", help="print one JSON object")
    export_more.add_arguments(ex)
    ex.set_defaults(func=export)


def _store(folder: str | None):
    from core.runs.store import RunStore

    return RunStore(folder) if folder else RunStore.default()


def list_runs(args: argparse.Namespace) -> int:
    store = _store(args.dir)
    rows = [r.summary() for r in store.list()]
    if args.json:
        from core.cli import emit

        emit({"root": str(store.root), "runs": rows}, True)
        return 0
    if not rows:
        print(f"no runs in {store.root}")
        return 0
    print(f"{len(rows)} run(s) in {store.root}")
    for r in rows:
        if r["broken"]:
            print(f"{r['id']}  BROKEN: {r['broken']}")
            continue
        loss = f"{r['best_val_loss']:.4g}" if r["best_val_loss"] is not None else "-"
        loss = f"{loss} ({r['units']})" if r["best_val_loss"] is not None else loss
        pin = (" [pinned]" if r["pinned"] else "") + (" [shared]" if r["shared"] else "")
        print(
            f"{r['id']}  {r['created']}  {r['kind']:<10} {r['model']:<12} best val "
            f"{loss:<20} {r['data']}  '{r['name']}'{pin}"
        )
    return 0


def share(args: argparse.Namespace) -> int:
    """Operator: put a run in (or take it out of) the gallery every session sees."""
    info = _store(args.dir).set_shared(args.run_id, args.shared)  # RunError -> exit 2
    where = "every browser session (read-only)" if args.shared else "its own session only"
    print(f"'{info.name}' ({info.id}) is now shown to {where}")
    return 0


def _resolve(run_arg: str):
    """(store, run id) from a folder path or an id in the default runs folder."""
    from core.runs.store import RunStore

    path = Path(run_arg).expanduser()
    if path.is_dir():
        return RunStore(path.resolve().parent), path.resolve().name
    return _store(None), run_arg


def export(args: argparse.Namespace) -> int:
    from core.cli import emit
    from core.models.onnx_export import ExportError, export_onnx, onnx_parity
    from core.runs.formats.common import write_atomic
    from core.runs.formats.forecaster import load_dict, model_from_dict

    if not args.onnx and not args.checkpoint and not export_more.wanted(args):
        print(
            "error: give --onnx OUT, --checkpoint OUT, --bundle OUT.zip and/or --tensorboard DIR",
            file=sys.stderr,
        )
        return 2
    if export_more.check(args):
        print(f"error: {export_more.check(args)}", file=sys.stderr)
        return 2
    from core.runs import registry as run_kinds

    store, run_id = _resolve(args.run)
    info = store.get(run_id)  # RunError (a ValueError) -> exit 2
    kind = run_kinds.info_kind(info)
    if kind is None:
        why = info.broken or f"its kind {info.kind!r} is unknown to this LSTM Lab"
        print(f"error: run '{info.name}' cannot be exported: {why}", file=sys.stderr)
        return 2
    if (args.onnx or args.bundle) and not kind.onnx:
        what = "ONNX export" if args.onnx else "the forecast bundle"
        print(
            f"error: run '{info.name}' is a {kind.label}: {what} is for forecasters only "
            "(export its checkpoint with --checkpoint, its history with --tensorboard)",
            file=sys.stderr,
        )
        return 2
    out: dict = {"run": run_id, "kind": kind.kind}
    if args.checkpoint or args.onnx:
        out["checkpoint_source"] = str(kind.checkpoint_source(store, run_id, args.weights))
        data = kind.checkpoint_bytes(store, run_id, args.weights)
    if args.checkpoint:
        try:
            write_atomic(data, args.checkpoint)
        except OSError as e:
            print(export_more.write_error(e, args.checkpoint), file=sys.stderr)
            return 1
        out["checkpoint"] = str(Path(args.checkpoint).resolve())
    if args.onnx and export_more.variant(args) == "fp32":
        ckpt = load_dict(data)
        model = model_from_dict(ckpt)
        lookback = ckpt["data_cfg"]["lookback"]
        try:
            data = export_onnx(model, lookback)
        except ExportError as e:
            print(f"error: {e}", file=sys.stderr)
            return 3
        try:
            write_atomic(data, args.onnx)
        except OSError as e:
            print(export_more.write_error(e, args.onnx), file=sys.stderr)
            return 1
        out.update(onnx=str(Path(args.onnx).resolve()), onnx_bytes=len(data))
        out["input"] = f"x float32 (batch, time, {model.cfg.input_size}), scaled"
        out["output"] = f"y float32 (batch, {model.cfg.horizon}), scaled"
        out["scalers"] = json.dumps(
            {"feature": ckpt["feature_scaler"], "target": ckpt["target_scaler"]}
        )
        try:
            out["onnxruntime_max_abs_diff"] = onnx_parity(data, model, lookback)
        except ExportError as e:
            out["onnxruntime_check"] = f"skipped: {e}"
    code = export_more.run(args, store, run_id, out)
    if code == 0:
        emit(out, args.json)
    return code
