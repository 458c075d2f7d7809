"""Gate explorer costs: recomputing gates for one window, and the per-epoch probe.

    python bench/bench_gates.py [--repeats 7] [--epochs 8]

1. Gates of one 500-step window (B=1) of a 2x128 LSTM (and GRU, RNN) with
   ``core.gates.compute``, against the fused ``nn.LSTM`` forward on the same input (the
   baseline: the same numbers without the gates). Target: < 200 ms on CPU.
2. Training with and without the :class:`core.gates.probe.GateProbe` callback, same seed and
   data, in one run. The probe's own time (measured inside it) as a share of the
   training time without it. Target: <= 10 %.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, median, table
from core.config import DataConfig, ModelConfig
from core.data import load_sample
from core.forecast.run import build_run, train_run
from core.gates.compute import recurrent_gates
from core.gates.probe import attach_probe
from core.models.recurrent import make_rnn
from core.training.device import configure_threads
from core.training.presets import PRESETS


def _case(cell: str, bidirectional: bool = False) -> tuple[str, ModelConfig]:
    name = f"{cell.upper()} 2x128{' bidir' if bidirectional else ''}, T=500, F=5"
    cfg = ModelConfig(
        cell=cell, hidden_size=128, num_layers=2, input_size=5, bidirectional=bidirectional
    )
    return name, cfg


GATE_CASES = [_case("lstm"), _case("lstm", True), _case("gru"), _case("rnn")]


def _time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return median(times)


@torch.no_grad()
def bench_gates(repeats: int) -> list[list]:
    rows = []
    for name, cfg in GATE_CASES:
        torch.manual_seed(0)
        rnn = make_rnn(cfg).eval()
        x = torch.randn(1, 500, cfg.input_size)
        fused = _time(lambda rnn=rnn, x=x: rnn(x), repeats)
        gates = _time(lambda rnn=rnn, x=x: recurrent_gates(rnn, x), repeats)
        ok = "yes" if gates < 0.2 else "NO"
        rows.append([name, fused * 1e3, gates * 1e3, gates / fused, ok])
    return rows


def bench_probe(epochs: int) -> list[list]:
    data = load_sample("MSFT", last=2500)
    dcfg = DataConfig(target="Close", lookback=30)
    cases = [
        ("quick demo (LSTM 1x32)", PRESETS["quick demo"]["model"], PRESETS["quick demo"]["train"]),
        ("accurate (LSTM 2x64)", PRESETS["accurate"]["model"], PRESETS["accurate"]["train"]),
        ("GRU 1x64", ModelConfig(cell="gru", hidden_size=64), PRESETS["quick demo"]["train"]),
    ]
    rows = []
    for name, mcfg, tcfg in cases:
        tcfg = tcfg.replace(epochs=epochs, early_stopping=False, scheduler=False)
        t_plain, t_probe, recs = [], [], []
        for _ in range(2):  # interleaved, best of 2: the machine is shared
            plain = build_run(data, dcfg, mcfg, tcfg)
            t0 = time.perf_counter()
            train_run(plain)
            t_plain.append(time.perf_counter() - t0)
            probed = build_run(data, dcfg, mcfg, tcfg)
            probe = attach_probe(probed)
            t0 = time.perf_counter()
            train_run(probed, [probe])
            t_probe.append(time.perf_counter() - t0)
            recs.append(probe.recording)
        rec = min(recs, key=lambda r: r.seconds)
        share = rec.seconds / min(t_plain)
        per_snapshot_ms = rec.seconds * 1e3 / len(rec)
        ok = "yes" if share <= 0.10 else "NO"
        rows.append(
            [name, epochs, min(t_plain), min(t_probe), per_snapshot_ms, 100 * share,
             rec.nbytes / 1024, ok]
        )  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: auto)")
    args = ap.parse_args()
    configure_threads(args.threads)
    print(f"machine: {machine()}\n")
    print("Gates of one window (B=1, T=500), median of", args.repeats, "runs, CPU")
    print(
        table(
            ["model", "nn fused forward ms", "core.gates.compute ms", "ratio", "< 200 ms"],
            bench_gates(args.repeats),
        )
    )
    print(f"\nPer-epoch probe (one window, T=30) while training on MSFT, {args.epochs} epochs")
    headers = ["config", "epochs", "train s (no probe)", "train s (probe)", "probe ms/snapshot"]
    headers += ["probe % of training", "KiB kept", "<= 10 %"]
    print(table(headers, bench_probe(args.epochs)))


if __name__ == "__main__":
    main()
