"""A trained forecaster next to every baseline, on the same windows, with intervals.

:func:`compare_run` scores the network and each baseline of :mod:`core.forecast.baselines`
on the validation and test windows of a run: the same origins (each window's first target
row), the same K horizon steps (pooled), the same truth. It returns a plain dict (numbers,
strings, lists: it goes into meta.json, the CLI's JSON and the pages):

- scores per span and method: MAE, RMSE, sMAPE (%), MASE and ``rel_mae`` = MAE / the best
  baseline's MAE on that span (below 1: better than every baseline);
- MASE's denominator is the in-sample MAE of the seasonal naive forecast (season length m)
  on the run's training rows, so the same number divides every method (m = 1: last value);
- split-conformal intervals for the network (:mod:`core.forecast.conformal`: radii per
  horizon step from its validation errors) and the statistical models' own intervals, with
  the coverage measured on the test windows at each level;
- failures and notes per baseline, fit and forecast seconds, and a verdict in words.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from core.forecast.baselines import (
    MAX_ROWS,
    METHODS,
    STATS,
    BaselineForecasts,
    all_forecasts,
    season_length,
)
from core.forecast.conformal import LEVELS, conformal_interval, conformal_radius
from core.forecast.metrics import coverage, naive_scale, point_scores

SPANS = ("val", "test")
WORDS = {
    "naive": "the naive forecast (repeat the last value)",
    "seasonal naive": "the seasonal naive forecast (repeat the value one season earlier)",
    "drift": "the drift forecast (extend the line from the first to the last value)",
    "AutoETS": "exponential smoothing (AutoETS)",
    "AutoARIMA": "ARIMA (AutoARIMA)",
    "AutoTheta": "the Theta method (AutoTheta)",
}


def model_label(run) -> str:
    return run.model_cfg.cell.upper()


def model_forecasts(run, span: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(prediction (M, K), truth (M, K), origins (M,)) of the network on a span, original units."""
    p = run.prepared
    w = p.span(span)
    k = run.data_cfg.horizon
    if len(w) == 0:
        empty = np.zeros((0, k))
        return empty, empty, np.zeros(0, np.int64)
    with torch.no_grad():
        yhat = run.model.predict(torch.from_numpy(w.x)).numpy()
    pred = p.to_units(yhat, span).reshape(len(w), k)
    truth = p.target[w.start[:, None] + np.arange(k)[None, :]]
    return pred, truth, np.asarray(w.start, np.int64)


def _num(x) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


def mase_scale(train: np.ndarray, m: int) -> tuple[float, int, str]:
    """(scale, m used, words): in-sample seasonal naive MAE on the training rows."""
    if m > 1 and len(train) > m:
        scale = naive_scale(train, m)
        if scale > 0:
            return scale, m, f"in-sample MAE of the seasonal naive forecast (m={m})"
    if len(train) > 1:
        why = "" if m == 1 else f" (too few training rows or no variation for m={m})"
        return naive_scale(train, 1), 1, f"in-sample MAE of the naive forecast (m=1){why}"
    return math.nan, 1, "undefined: fewer than two training rows"


def compare_run(
    run, season: int | None = None, levels: tuple[int, ...] = LEVELS, max_rows: int = MAX_ROWS
) -> dict:
    """The comparison report of a trained run (see the module docstring)."""
    p = run.prepared
    k = run.data_cfg.horizon
    label = model_label(run)
    m, why = season_length(p.index, season)
    forecasts = {s: model_forecasts(run, s) for s in SPANS}
    origins = np.concatenate([forecasts[s][2] for s in SPANS])
    base = all_forecasts(p.target, origins, k, m, p.train_end, tuple(levels), max_rows)
    scale, m_used, scale_words = mase_scale(p.target[: p.train_end], m)
    report: dict = {
        "model": label,
        "season_length": m,
        "season_source": why,
        "horizon": k,
        "levels": list(levels),
        "mase_scale": _num(scale),
        "mase_denominator": f"{scale_words} on the {p.train_end} training rows",
        "scheme": (
            f"AutoETS, AutoARIMA and AutoTheta were fitted once on the last {max_rows} or fewer "
            "training rows; at each forecast origin they were applied to the rows before it "
            "only (parameters fixed, state updated), like the network's weights"
        ),
        "failures": dict(base.failures),
        "notes": dict(base.notes),
        "seconds": {
            name: {k_: round(v, 4) for k_, v in s.items()} for name, s in base.seconds.items()
        },
        "spans": {},
        "coverage": {},
        "width": {},
        "radius": {},
    }
    if m_used != m:
        report["notes"]["MASE"] = f"denominator uses m=1: {scale_words}"
    split = np.cumsum([len(forecasts[s][2]) for s in SPANS])[:-1]
    parts = {
        name: dict(zip(SPANS, np.split(a, split), strict=True)) for name, a in base.mean.items()
    }
    for span in SPANS:
        pred, truth, starts = forecasts[span]
        if len(starts) == 0:
            continue
        preds = {label: pred, **{name: parts[name][span] for name in METHODS if name in parts}}
        report["spans"][span] = span_scores(preds, truth, scale, label)
    _intervals(report, forecasts, base, split, label, levels)
    report["verdict"] = verdict(report)
    return report


def span_scores(preds: dict[str, np.ndarray], truth: np.ndarray, scale: float, label: str) -> dict:
    """Scores of every method on one span, the best baseline and the best method."""
    scores = {name: point_scores(truth, yhat, scale) for name, yhat in preds.items()}
    baselines = {n: s["mae"] for n, s in scores.items() if n != label and math.isfinite(s["mae"])}
    best_base = min(baselines, key=baselines.get) if baselines else None
    ref = baselines.get(best_base) if best_base else None
    for s in scores.values():
        s["rel_mae"] = s["mae"] / ref if ref else math.nan
    finite = {n: s["mae"] for n, s in scores.items() if math.isfinite(s["mae"])}
    return {
        "n_origins": int(truth.shape[0]),
        "n_forecasts": int(truth.size),
        "scores": {n: {k: _num(v) for k, v in s.items()} for n, s in scores.items()},
        "best_baseline": best_base,
        "best": min(finite, key=finite.get) if finite else None,
    }


def _intervals(report, forecasts, base: BaselineForecasts, split, label, levels) -> None:
    """Conformal radii from validation errors; coverage and width on the test windows."""
    val_pred, val_truth, _ = forecasts["val"]
    test_pred, test_truth, test_starts = forecasts["test"]
    for lv in levels:
        key = str(lv)
        radius = conformal_radius(val_truth - val_pred, lv) if len(val_pred) else None
        report["radius"][key] = [_num(r) for r in radius] if radius is not None else None
        if not len(test_starts):
            continue
        cov, width = {}, {}
        if radius is not None:
            lo, hi = conformal_interval(test_pred, radius)
            cov[f"{label} (conformal)"] = _num(coverage(test_truth, lo, hi))
            width[f"{label} (conformal)"] = _num(np.mean(hi - lo))
        for name in STATS:
            if name in base.lower:
                lo = np.split(base.lower[name][lv], split)[1]
                hi = np.split(base.upper[name][lv], split)[1]
                cov[name] = _num(coverage(test_truth, lo, hi))
                width[name] = _num(np.mean(hi - lo))
        report["coverage"][key], report["width"][key] = cov, width


def verdict(report: dict) -> str:
    """One sentence naming the best method on the test span (the validation span if no test)."""
    span = "test" if "test" in report["spans"] else "val" if "val" in report["spans"] else None
    if span is None:
        return "No validation or test windows to compare."
    s = report["spans"][span]
    label, best, base = report["model"], s["best"], s["best_baseline"]
    sc = s["scores"]
    where = "test span" if span == "test" else "validation span (there is no test span)"
    if best is None:
        return f"No method produced finite forecasts on the {where}."
    m_mae = sc.get(label, {}).get("mae")
    if base is None:
        return f"On the {where} the {label} has MAE {m_mae:.4g}; no baseline could be computed."
    b_mae = sc[base]["mae"]
    if best == label:
        return (
            f"On the {where} the {label} is the best method: MAE {m_mae:.4g}, "
            f"{sc[label]['rel_mae']:.2f}× the best baseline, {WORDS[base]} (MAE {b_mae:.4g})."
        )
    model_part = (
        f"the {label}'s MAE ({m_mae:.4g}) is {sc[label]['rel_mae']:.2f}× that"
        if m_mae is not None
        else f"the {label} produced no finite forecasts"
    )
    return f"On the {where} the best method is {WORDS[best]} with MAE {b_mae:.4g}; {model_part}."


def metric_rows(report: dict, span: str) -> list[dict]:
    """Rows of a table (method, MAE, RMSE, MASE, sMAPE, MAE vs best baseline, status) for a span,
    the failed baselines included with their reason."""
    s = (report.get("spans") or {}).get(span)
    if not s:
        return []
    rows = []
    for name, sc in s["scores"].items():
        rows.append(
            {
                "method": name,
                "MAE": sc.get("mae"),
                "RMSE": sc.get("rmse"),
                "MASE": sc.get("mase"),
                "sMAPE %": sc.get("smape"),
                "MAE / best baseline": sc.get("rel_mae"),
                "note": ("best" if name == s["best"] else "")
                + (" · " if name == s["best"] and report["notes"].get(name) else "")
                + report["notes"].get(name, ""),
            }
        )
    for name, reason in report.get("failures", {}).items():
        rows.append({"method": name, "note": f"not computed: {reason}"})
    return rows


EXTRAS_KEY = "baselines"  # run.extras[EXTRAS_KEY]: the report of the run's trained weights


def attach_comparison(run, season: int | None = None, levels: tuple[int, ...] = LEVELS) -> dict:
    """Compute the report and keep it in ``run.extras`` (saved with the run); a failure
    becomes ``{"error": why}`` there, never an exception: the trained run must survive it."""
    try:
        report = compare_run(run, season, levels)
    except Exception as e:  # bad data for a baseline must not lose the network
        report = {"error": f"the baselines could not be computed: {e}"}
    run.extras[EXTRAS_KEY] = report
    return report
