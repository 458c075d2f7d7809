"""Command line: every module in this package that defines ``register(subparsers)`` adds a
subcommand, so features add commands without editing a central list."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="LSTM Lab: train and inspect recurrent networks from the command line.",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads (default: cores - 1, or $LSTMLAB_THREADS)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def emit(obj: dict, as_json: bool) -> None:
    """Print a result as one JSON object, or as readable key: value lines."""
    if as_json:
        from core.runs.files import clean_json

        print(json.dumps(clean_json(obj), allow_nan=False))
        return
    for key, value in obj.items():
        print(f"{key}: {value}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from core.training.device import configure_threads

    configure_threads(args.threads)
    try:
        return int(args.func(args) or 0)
    except ValueError as e:  # bad settings or data: a clear message, no traceback
        print(f"error: {e}", file=sys.stderr)
        return 2
