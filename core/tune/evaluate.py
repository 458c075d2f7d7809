"""After the search: the best trial scored once on the test span, next to the baselines, and
the study's trials as plain records (for the page, the CLI and reopening a stored study)."""

from __future__ import annotations

import math

import numpy as np

from core.forecast.evaluation import BASELINES
from core.forecast.metrics import mae, rmse
from core.forecast.run import ForecastRun


def test_scores(run: ForecastRun) -> dict:
    """One-step test MAE/RMSE of the model and of the lab's baselines (naive, drift, moving
    average), each forecasting from the history up to its origin only."""
    s = run.scores("test")
    df = run.predictions("test")
    target = run.prepared.target
    w = run.prepared.test
    out = {"n": s["n"], "model_mae": s["model_mae"], "model_rmse": s["model_rmse"],
           "naive_mae": s["naive_mae"], "naive_rmse": s["naive_rmse"]}  # fmt: skip
    for name, fn in BASELINES.items():
        if name == "naive":
            continue
        preds = np.array([fn(target[:start], 1)[0] for start in w.start]) if len(w) else []
        out[f"{name}_mae"] = mae(df.truth.to_numpy(), np.asarray(preds, np.float64))
        out[f"{name}_rmse"] = rmse(df.truth.to_numpy(), np.asarray(preds, np.float64))
    naive = out["naive_mae"]
    out["ratio_to_naive"] = out["model_mae"] / naive if naive and math.isfinite(naive) else None
    return out


def trial_record(ft) -> dict:
    """A finished or running Optuna FrozenTrial as a plain dict."""
    curve = [[int(step), float(v)] for step, v in sorted(ft.intermediate_values.items())]
    info = ft.user_attrs.get("info") or {}
    duration = info.get("duration_s")
    if duration is None and ft.datetime_start and ft.datetime_complete:
        duration = (ft.datetime_complete - ft.datetime_start).total_seconds()
    return {
        "number": ft.number,
        "state": ft.state.name.lower(),
        "params": dict(ft.params),
        "value": ft.value if ft.value is not None else None,
        "val_curve": curve,
        "train_curve": list(ft.user_attrs.get("train_loss", [])),
        "duration_s": duration,
        "pruned_at": info.get("pruned_at"),
        "message": info.get("message", ""),
        "n_params": info.get("n_params"),
    }


def study_snapshot(study) -> dict:
    """What the page draws of a stored study (the same shape the coordinator publishes)."""
    trials = [trial_record(t) for t in study.get_trials(deepcopy=False)]
    attrs = dict(study.user_attrs)
    return {
        "study": study.study_name,
        "trials": trials,
        "space": attrs.get("space"),
        "budget": attrs.get("budget"),
        "data": attrs.get("data"),
        "result": attrs.get("result"),
        "sampler": attrs.get("sampler"),
        "pruner": attrs.get("pruner"),
        **counts(trials),
    }


def counts(trials: list[dict]) -> dict:
    states = [t["state"] for t in trials]
    done = [t for t in trials if t["state"] == "complete" and t["value"] is not None]
    best = min(done, key=lambda t: t["value"]) if done else None
    return {
        "n_trials": len(trials),
        "n_complete": states.count("complete"),
        "n_pruned": states.count("pruned"),
        "n_failed": states.count("fail"),
        "n_running": states.count("running"),
        "best": {k: best[k] for k in ("number", "value", "params")} if best else None,
    }


def distributions(space: dict) -> dict:
    """Optuna distributions of a search space's parameters (from ``SearchSpace.to_dict``)."""
    from core.tune.options import optuna

    d = optuna().distributions
    return {
        "cell": d.CategoricalDistribution(list(dict.fromkeys(space["cells"]))),
        "hidden_size": d.CategoricalDistribution(sorted(set(space["hidden"]))),
        "num_layers": d.IntDistribution(*map(int, space["layers"])),
        "dropout": d.FloatDistribution(*map(float, space["dropout"])),
        "lr": d.FloatDistribution(*map(float, space["lr"]), log=True),
        "batch_size": d.CategoricalDistribution(sorted(set(space["batch"]))),
        "lookback": d.CategoricalDistribution(sorted(set(space["lookback"]))),
        "normalize": d.CategoricalDistribution(list(dict.fromkeys(space["normalize"]))),
    }


def as_study(snapshot: dict):
    """An in-memory Optuna study of a snapshot's finished trials, for optuna.visualization
    (no database read per redraw; works for a study whose trials ran elsewhere)."""
    from core.tune.options import optuna

    o = optuna()
    states = {"complete": o.trial.TrialState.COMPLETE, "pruned": o.trial.TrialState.PRUNED,
              "fail": o.trial.TrialState.FAIL}  # fmt: skip
    dists = distributions(snapshot["space"]) if snapshot.get("space") else {}
    study = o.create_study(direction="minimize", study_name=snapshot.get("study"))
    for t in snapshot.get("trials", []):
        if t["state"] not in states:
            continue
        params = {k: v for k, v in t["params"].items() if k in dists}
        study.add_trial(
            o.trial.create_trial(
                state=states[t["state"]],
                value=t["value"] if t["state"] == "complete" else None,
                params=params,
                distributions={k: dists[k] for k in params},
                intermediate_values={int(s): float(v) for s, v in t["val_curve"]},
            )
        )
    return study
