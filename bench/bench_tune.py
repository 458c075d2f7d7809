"""Benchmark: hyperparameter search on the bundled sine and on MSFT.

Per series:
- the best validation loss a small TPE study finds (median pruning) vs the Train page's
  default preset ("quick demo") trained for the same epochs: both the validation MSE in the
  target's units at the best epoch, lower is better; trials pruned; wall time of the study;
- the per-trial overhead of the tuning machinery (trials as jobs, a coordinator polling
  their snapshots, Optuna calls on the server) against a bare Optuna ask/tell loop training
  the same trials in the calling thread with the same storage (random sampler with the same
  seed, no pruning: both train exactly the same settings). Medians of ``REPEATS`` runs each,
  alternated: wall time per trial, and the time per trial spent outside building and
  training the model (the machinery's own cost, which machine load disturbs far less).
  Target: within 10%.

Run from the repo root: ``LSTMLAB_THREADS=1 python bench/bench_tune.py``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine, median, table  # noqa: E402
from core.config import DataConfig  # noqa: E402
from core.data import load_sample, synthetic  # noqa: E402
from core.forecast.run import build_run, train_run  # noqa: E402
from core.jobs.threads import JobManager  # noqa: E402
from core.training.device import configure_threads  # noqa: E402
from core.training.presets import PRESETS as TRAIN_PRESETS  # noqa: E402
from core.training.trainer import Callback  # noqa: E402
from core.tune import Budget, SearchSpace, Study, TuneSpec  # noqa: E402
from core.tune.options import make_sampler, optuna  # noqa: E402
from core.tune.space import trial_configs  # noqa: E402
from core.tune.trial import VALUE_KEY, UnitsLoss  # noqa: E402

TRIALS, EPOCHS, OVERHEAD_TRIALS, REPEATS = 10, 8, 6, 3
SPACE = SearchSpace(
    cells=("lstm", "gru"), hidden=(16, 32, 64), layers=(1, 2), lr=(1e-3, 2e-2), batch=(32, 64)
)


def space_for(data_cfg):
    """The bench's space with the series' own window mode (losses compare in target units)."""
    return replace(SPACE, normalize=(data_cfg.normalize,), lookback=(data_cfg.lookback,))


def series():
    return [
        ("sine", synthetic("sine", n=1000), DataConfig(target="value", lookback=30)),
        (
            "MSFT",
            load_sample("MSFT", last=1000),
            DataConfig(target="Close", lookback=30, normalize="ratio"),
        ),
    ]


def default_preset_loss(ds, data_cfg) -> float:
    """The preset's validation MSE in the target's units at its best epoch (as a trial's)."""
    p = TRAIN_PRESETS["quick demo"]
    run = build_run(ds, data_cfg, p["model"], p["train"].replace(epochs=EPOCHS))
    fit = train_run(run, [UnitsLoss(run)]).fit
    return next(h[VALUE_KEY] for h in fit.history if h["epoch"] == fit.best_epoch)


def study(ds, data_cfg, url, trials, sampler, pruner) -> tuple[dict, float]:
    budget = Budget(trials=trials, epochs=EPOCHS)
    spec = TuneSpec(ds, data_cfg, space_for(data_cfg), budget, sampler, pruner)
    t0 = time.perf_counter()
    job = Study(spec, JobManager(1), storage=url, store=None).job().start()
    job.join()
    return job.snapshot(), time.perf_counter() - t0


class _Report(Callback):
    def __init__(self, trial):
        self.trial = trial

    def on_epoch_end(self, trainer, record):  # Optuna's documented per-epoch pattern
        self.trial.report(record[VALUE_KEY], record["epoch"])
        if self.trial.should_prune():  # never with the bench's NopPruner; asked as usual
            trainer.stop_event.set()


def bare_loop(ds, data_cfg, url, trials) -> tuple[float, float]:
    """The same trials as a bare Optuna ask/tell loop, no jobs: the baseline.
    Returns (wall seconds, seconds spent building and training the trials)."""
    o = optuna()
    t0 = time.perf_counter()
    space = space_for(data_cfg)
    st = o.create_study(
        storage=url, sampler=make_sampler("random", space, 0), pruner=o.pruners.NopPruner()
    )
    train_s = 0.0
    for _ in range(trials):
        trial = st.ask()
        cfgs = trial_configs(space.suggest(trial), data_cfg, EPOCHS)
        t1 = time.perf_counter()
        run = build_run(ds, *cfgs)
        fit = train_run(run, [UnitsLoss(run), _Report(trial)]).fit
        train_s += time.perf_counter() - t1
        st.tell(trial, next(h[VALUE_KEY] for h in fit.history if h["epoch"] == fit.best_epoch))
    return time.perf_counter() - t0, train_s


def main() -> None:
    configure_threads(None)
    print(f"machine: {machine()}")
    print(
        f"study: {TRIALS} trials x {EPOCHS} epochs, TPE + median pruning, 1 trial at once; "
        f"overhead: {OVERHEAD_TRIALS} trials, random sampler, no pruning, medians of {REPEATS}\n"
    )
    rows = []
    tmp = Path(tempfile.mkdtemp())
    for name, ds, data_cfg in series():
        default = default_preset_loss(ds, data_cfg)
        snap, wall = study(ds, data_cfg, f"sqlite:///{tmp / f'{name}.db'}", TRIALS, "tpe", "median")
        best = snap["best"]["value"]
        bare, ours = [], []
        for r in range(REPEATS):
            bare.append(
                bare_loop(ds, data_cfg, f"sqlite:///{tmp / f'b{name}{r}.db'}", OVERHEAD_TRIALS)
            )
            snap_o, t = study(
                ds,
                data_cfg,
                f"sqlite:///{tmp / f'o{name}{r}.db'}",
                OVERHEAD_TRIALS,
                "random",
                "none",
            )
            ours.append((t, sum(x["duration_s"] for x in snap_o["trials"])))
        n = OVERHEAD_TRIALS
        b, o = median([w for w, _ in bare]), median([w for w, _ in ours])
        rows.append(
            [
                name,
                default,
                best,
                best / default,
                snap["n_pruned"],
                f"{wall:.0f}",
                b / n,
                o / n,
                f"{100 * (o / b - 1):+.1f}%",
                median([(w - tr) / n for w, tr in bare]),
                median([(w - tr) / n for w, tr in ours]),
            ]
        )
        print(f"{name} done", flush=True)
    print()
    print(
        table(
            [
                "series",
                "default val loss",
                "tuned val loss",
                "tuned/default",
                "pruned",
                "study s",
                "bare s/trial",
                "ours s/trial",
                "ours vs bare",
                "bare: not training s/trial",
                "ours: not training s/trial",
            ],
            rows,
        )
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
