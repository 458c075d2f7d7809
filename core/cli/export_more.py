"""The export command's int8/fp16 ONNX variants, forecast bundle and TensorBoard options
(``python -m core export --run ID ...``; the command itself is in ``core.cli.runs``)."""

from __future__ import annotations

import argparse
import errno
import sys
from pathlib import Path


def add_arguments(ex: argparse.ArgumentParser) -> None:
    q = ex.add_mutually_exclusive_group()
    q.add_argument(
        "--int8",
        action="store_true",
        help="with --onnx/--bundle: the model quantized to int8 (ONNX Runtime dynamic "
        "quantization); prints the fp32/int8/fp16 comparison table",
    )
    q.add_argument(
        "--fp16",
        action="store_true",
        help="with --onnx/--bundle: weights as float16 (a CPU computes in float32 anyway); "
        "prints the comparison table",
    )
    ex.add_argument(
        "--bundle",
        default=None,
        metavar="OUT.zip",
        help="write a zip with the ONNX model, settings.json (scalers, windows) and a "
        "predict.py that needs only numpy, pandas and onnxruntime",
    )
    ex.add_argument(
        "--tensorboard",
        default=None,
        metavar="DIR",
        help="write the run's history as TensorBoard event files to DIR/<run id>",
    )
    ex.add_argument("--repeats", type=int, default=50, help="timed calls per latency (median)")
    ex.add_argument("--ort-threads", type=int, default=1, help="ONNX Runtime threads for timing")


def variant(args: argparse.Namespace) -> str:
    return "int8" if args.int8 else "fp16" if args.fp16 else "fp32"


def wanted(args: argparse.Namespace) -> bool:
    return bool(args.bundle or args.tensorboard or args.int8 or args.fp16)


def check(args: argparse.Namespace) -> str:
    """A usage error, or ""."""
    if (args.int8 or args.fp16) and not (args.onnx or args.bundle):
        return "--int8/--fp16 choose the model written by --onnx OUT or --bundle OUT.zip"
    return ""


def write_error(e: OSError, path: str) -> str:
    why = "the disk is full" if e.errno == errno.ENOSPC else (e.strerror or str(e))
    return f"error: cannot write {path}: {why}; nothing was written there and the run is unchanged"


def run(args: argparse.Namespace, store, run_id: str, out: dict) -> int:
    """The extra exports; fills ``out``; the exit code (0 ok, 2 refused, 3 missing package,
    1 write failed)."""
    from core.export import actions, compare
    from core.export import tensorboard as tb_io
    from core.export.source import ExportRefused
    from core.models.onnx_export import ExportError
    from core.runs.formats.common import write_atomic

    path = ""
    try:
        if variant(args) != "fp32":
            result, models = actions.comparison(
                store, run_id, repeats=args.repeats, threads=args.ort_threads,
                weights=args.weights,
            )  # fmt: skip
            out["variant"] = variant(args)
            if args.onnx:
                path = args.onnx
                write_atomic(models[variant(args)], path)
                out.update(onnx=str(Path(path).resolve()), onnx_bytes=len(models[variant(args)]))
            if args.json:
                out["comparison"] = result
            else:
                print(compare.table(result))
        if args.bundle:
            data = actions.bundle(store, run_id, variant(args), args.weights)
            path = args.bundle
            write_atomic(data, path)
            out.update(bundle=str(Path(path).resolve()), bundle_bytes=len(data))
            out["bundle_usage"] = "unzip it; python predict.py your.csv"
        if args.tensorboard:
            series = actions.tensorboard_series(store, run_id)
            path = args.tensorboard
            dest = tb_io.export_dir(series, path, run_id)
            out["tensorboard"] = str(dest.resolve())
            out["tensorboard_tags"] = sorted(series)
            out["tensorboard_usage"] = f"tensorboard --logdir {Path(path).resolve()}"
    except ExportRefused as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    except OSError as e:
        print(write_error(e, path or "the output"), file=sys.stderr)
        return 1
    return 0
