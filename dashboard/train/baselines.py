"""The Train page's comparison with the baselines: controls, verdict, tables, interval band.

The report comes from :mod:`core.forecast.comparison` (computed in the training job and
saved with the run). A season length other than the report's is computed here on demand
(the statistical models are fitted once per season length) and kept for the run.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from core.forecast.baselines import season_length
from core.forecast.comparison import EXTRAS_KEY, compare_run, metric_rows
from core.forecast.conformal import LEVELS
from dashboard.common.safe_text import md_escape

CACHE_KEY = "_train_baselines"  # {"run": the run, "season": m, "report": dict}
SEASON_KEY, LEVEL_KEY, SEASON_FOR = "train-season", "train-level", "_train_season_for"


def report_for(run, season: int | None) -> dict:
    """The run's saved report when it matches ``season`` (None: the inferred one), else a
    fresh one (kept in the session for this run and season)."""
    saved = run.extras.get(EXTRAS_KEY)
    usable = isinstance(saved, dict) and "error" not in saved
    if usable and (season is None or saved.get("season_length") == season):
        return saved
    cached = st.session_state.get(CACHE_KEY)
    if cached and cached["run"] is run and cached["season"] == season:
        return cached["report"]
    with st.spinner("Fitting the baselines (AutoETS, AutoARIMA, AutoTheta)…"):
        try:
            report = compare_run(run, season)
        except Exception as e:  # a baseline's bad day must not break the page
            report = {"error": f"the baselines could not be computed: {e}"}
    st.session_state[CACHE_KEY] = {"run": run, "season": season, "report": report}
    return report


def _fmt(x, pattern: str = "{:.3g}") -> str:
    return "n/a" if x is None or not math.isfinite(x) else pattern.format(x)


def controls(run) -> tuple[int | None, int]:
    """Season length (defaults to the one inferred for the run) and interval level."""
    saved = run.extras.get(EXTRAS_KEY)
    inferred = saved.get("season_length") if isinstance(saved, dict) else None
    if not inferred:  # a run saved before the comparison existed: infer it from its dates
        inferred = season_length(run.prepared.index)[0]
    if st.session_state.get(SEASON_FOR) is not run:  # a new run: back to its inferred season
        st.session_state[SEASON_FOR] = run
        st.session_state.pop(SEASON_KEY, None)
    c = st.columns([1, 1, 3])
    season = c[0].number_input(
        "Season length (steps)",
        min_value=1,
        max_value=400,
        value=int(inferred),
        key=SEASON_KEY,
        help="Inferred from the dates: monthly 12, quarterly 4, trading days 5, daily 7, "
        "hourly 24; 1 = no season. Used by seasonal naive, AutoETS/ARIMA/Theta and MASE.",
    )
    level = c[1].selectbox(
        "Interval level", LEVELS, index=0, key=LEVEL_KEY, format_func=lambda v: f"{v}%"
    )
    return (None if season == inferred else int(season)), int(level)


def panel(run, spans: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame | None, str]:
    """Draw the comparison; return the test span's interval band (first step) and its name."""
    st.markdown("**Against the baselines**")
    season, level = controls(run)
    report = report_for(run, season)
    if "error" in report:
        st.warning(f"{md_escape(report['error'])}.", icon=":material/warning:")
        return None, ""
    st.markdown(f"**Verdict.** {md_escape(report['verdict'])}")
    tabs = st.tabs(["Test span", "Validation span"])
    for tab, span in zip(tabs, ("test", "val"), strict=True):
        rows = metric_rows(report, span)
        with tab:
            if not rows:
                st.caption("No windows in this span.")
                continue
            table = pd.DataFrame(rows).set_index("method")
            st.dataframe(table.style.format(precision=3, na_rep="–"), width="stretch")
    m, k = report["season_length"], report["horizon"]
    steps = "the one-step forecast" if k == 1 else f"all {k} horizon steps pooled"
    st.caption(
        f"Season length m={m} ({md_escape(report['season_source'])}). Scores: {steps} of "
        f"every window. MASE = MAE / "
        f"{md_escape(report['mase_denominator'])} ({_fmt(report.get('mase_scale'))}); "
        "MAE / best baseline below 1 beats every baseline. "
        f"{md_escape(report['scheme'][0].upper() + report['scheme'][1:])}."
    )
    coverage_table(report, level)
    return band(run, spans, report, level)


def coverage_table(report: dict, level: int) -> None:
    cov = (report.get("coverage") or {}).get(str(level)) or {}
    width = (report.get("width") or {}).get(str(level)) or {}
    if not cov:
        return
    rows = [
        {"interval": name, "nominal": f"{level}%", "test coverage": _fmt(c, "{:.0%}"),
         "mean width": width.get(name)}
        for name, c in cov.items()
    ]  # fmt: skip
    st.dataframe(
        pd.DataFrame(rows).set_index("interval").style.format(precision=3, na_rep="–"),
        width="stretch",
    )
    st.caption(
        f"Share of test values inside each {level}% interval (all horizon steps): near "
        f"{level}% is honest, well below is over-confident. The network's interval is "
        "split-conformal: its validation errors per horizon step give the half-width "
        "(validation also chose its best epoch, so its coverage may be a little optimistic)."
    )


def band(run, spans, report, level: int) -> tuple[pd.DataFrame | None, str]:
    radius = (report.get("radius") or {}).get(str(level))
    test = spans.get("test")
    if not radius or radius[0] is None or test is None or not len(test):
        return None, ""
    r = float(radius[0])
    frame = pd.DataFrame(
        {"lower": test["prediction"] - r, "upper": test["prediction"] + r}, index=test.index
    )
    cov = ((report.get("coverage") or {}).get(str(level)) or {}).get(
        f"{report['model']} (conformal)"
    )
    name = f"{level}% conformal interval (test coverage {_fmt(cov, '{:.0%}')})"
    return frame, name
