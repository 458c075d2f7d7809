"""Stocks page: the backtest job's progress and the report it produces."""

from __future__ import annotations

import math
import re

import pandas as pd
import streamlit as st

from core.forecast.backtest import METHODS
from core.forecast.stock_report import StockReport
from dashboard.common import jobs
from dashboard.common.safe_text import md_escape
from dashboard.common.ui import chart_config, metric_row
from dashboard.stocks.figures import (
    backtest_figure,
    currency_of,
    future_figure,
    teacher_figure,
)

KIND = "stocks"
METHOD_LABELS = {
    "model": "LSTM",
    "naive": "naive (last value)",
    "drift": "drift",
    "moving_average": "moving average (20 d)",
}


def _pct(v: float | None) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.0%}"


def _num(v: float | None, fmt: str = ".3f") -> str:
    return "n/a" if v is None or not math.isfinite(v) else format(v, fmt)


@st.fragment(run_every=1.0)
def job_progress() -> None:
    """Progress of the running backtest with a Stop button; its error if it failed."""
    job = jobs.holder().get(KIND)
    if job is None:
        return
    snap = job.snapshot()
    jobs.progress_or_failure(
        job,
        snap,
        fraction=(snap.get("epoch") or 0) / max(snap.get("epochs") or 1, 1),
        text=md_escape(f"{snap['name']}: {snap.get('message') or 'starting'}…"),
        stop_key="stocks-stop",
        stop_label="Stop the backtest",
        failed="The backtest failed: {}.",
    )
    if job.done and jobs.collect_finished():
        st.rerun(scope="app")


MASE_NOTE = (
    "MASE and the model/naive ratio use different denominators: MASE divides each MAE by the "
    "average one-day price change over all the history before the first origin (smaller when "
    "prices were lower), the ratio by the naive forecast's MAE on the same backtest days, so "
    "MASE can sit far above 1 while the ratio is near 1; compare methods within a column."
)


def metrics_table(summary: dict) -> pd.DataFrame:
    rows = {
        METHOD_LABELS[m]: {
            "MAE": summary[m]["mae"],
            "RMSE": summary[m]["rmse"],
            "MAPE %": summary[m]["mape"],
            "sMAPE %": summary[m]["smape"],
            "MASE": summary[m]["mase"],
            "direction right": summary[m]["directional_accuracy"],
        }
        for m in METHODS
    }
    extra = summary.get("baselines") or {}
    for name, sc in (extra.get("scores") or {}).items():
        rows[name] = {k: sc[v] for k, v in COLUMNS.items()}
    return pd.DataFrame(rows).T


COLUMNS = {"MAE": "mae", "RMSE": "rmse", "MAPE %": "mape", "sMAPE %": "smape", "MASE": "mase",
           "direction right": "directional_accuracy"}  # fmt: skip


def baselines_caption(summary: dict) -> str | None:
    """Season, refit schedule, interval coverage, failures and the best method, in words."""
    b = summary.get("baselines")
    if not b:
        return None
    label = {**METHOD_LABELS, "model": "the LSTM"}
    best = label.get(b["best"], b["best"]) if b.get("best") else "n/a"
    cov = ", ".join(f"{n} {_pct(c)}" for n, c in b["coverage"].items())
    text = (
        f"Best on these backtest days: **{md_escape(best)}** "
        f"(MAE {_num(b.get('best_mae'), '.3f')}). Seasonal naive, AutoETS, AutoARIMA and "
        "AutoTheta use season length "
        f"{b['season_length']} ({md_escape(b['season_source'])}); the statistical models are "
        f"refitted every {b['refit_every']} origins on the {b['stat_rows']} rows up to it and "
        "applied in between to the rows up to each origin only."
    )
    if cov:
        text += f" Their {b['interval']:.0%} intervals covered: {md_escape(cov)}."
    for name, why in {**b.get("failures", {}), **b.get("notes", {})}.items():
        text += f" {md_escape(name)}: {md_escape(why)}."
    return text


def decimals(values) -> int:
    """Decimals for a whole column: 3 significant digits of its smallest non-zero value."""
    finite = [abs(float(v)) for v in values if v is not None and math.isfinite(v) and v != 0]
    if not finite:
        return 2
    return min(6, max(1, 2 - math.floor(math.log10(min(finite)))))


def metrics_display(summary: dict) -> pd.DataFrame:
    """The metrics as text: one number of decimals per column, 'n/a' where none applies."""
    table = metrics_table(summary)
    out = pd.DataFrame(index=table.index)
    for col in table.columns:
        values = table[col].astype("float64")
        if col == "direction right":
            out[col] = [_pct(v) for v in values]
        else:
            fmt = f",.{decimals(values)}f"
            out[col] = [_num(v, fmt) for v in values]
    return out


def render_report(rep: StockReport) -> None:
    s, bt = rep.backtest.summary, rep.backtest
    st.subheader(f"Walk-forward backtest · {md_escape(rep.dataset_name)}", anchor=False)
    if rep.stopped:
        st.warning("Stopped before the end: the scores cover only the origins done so far.")
    if not s:
        st.info("No forecast was scored before the stop: run the backtest again.")
        return
    v = s["verdict"]
    getattr(st, v["level"])(v["text"])
    metric_row(
        {
            "Model MAE": _num(s["model"]["mae"], ".2f"),
            "Naive MAE": _num(s["naive"]["mae"], ".2f"),
            "Model / naive": _num(s["mae_ratio"], ".3f"),
            "DM p (model better)": _num(s["dm"]["pvalue_better"], ".2f"),
        }
    )
    metric_row(
        {
            "Direction right (model)": _pct(s["model"]["directional_accuracy"]),
            "Direction right (always up)": _pct(s["always_up_accuracy"]),
            f"{s['interval']:.0%} interval covered": _pct(s["coverage"]),
            "Forecasts scored": f"{s['n_forecasts']}",
        }
    )
    cfg = rep.config
    st.caption(
        f"{s['n_origins']} origins over the last {bt.config['backtest']['test_rows']} rows, "
        f"{s['n_forecasts']} forecasts, {bt.fits} network fits ({bt.seconds:.1f} s). At each "
        "origin the scalers are refitted on data up to that day only; the network every "
        f"{bt.config['backtest']['refit_every']} origins. Mode: {cfg.mode}, {cfg.strategy}, "
        f"horizon {cfg.horizon}. Directional accuracy compares with 50% (a coin) and with "
        "always calling 'up'; the naive forecast calls no direction (n/a)."
    )
    st.dataframe(metrics_display(s), width="stretch", key="stocks-metrics", placeholder="n/a")
    extra = baselines_caption(s)
    if extra:
        st.markdown(extra)
    st.caption(MASE_NOTE)
    history = rep_history(rep)
    money = currency_of(rep.provenance)
    st.plotly_chart(
        backtest_figure(
            history, bt.table, f"Forecasts from each origin · {rep.dataset_name}", money
        ),
        width="stretch",
        key="stocks-backtest",
        config=chart_config(),
    )
    if cfg.horizon > 1:
        st.dataframe(pd.DataFrame(s["per_step"]).set_index("step"), key="stocks-per-step")
    if rep.demo is not None:
        st.markdown(
            "**Why one-step charts look deceptively good.** The orange curve is the same "
            "network predicting one day at a time while being fed the *true* past prices: "
            "it hugs the truth because it mostly repeats yesterday's price. The red curve "
            "is a real forecast made on the first origin and left running on its own "
            "predictions: that is what a forecast of the future looks like."
        )
        st.plotly_chart(
            teacher_figure(rep.demo, f"One-step vs free-running · {rep.dataset_name}", money),
            width="stretch",
            key="stocks-teacher",
            config=chart_config(),
        )
    if rep.future is not None:
        unit = "trading day" if rep.calendar == "weekdays" else "day"
        when = f"{cfg.horizon} {unit}s" if cfg.horizon > 1 else unit
        st.plotly_chart(
            future_figure(
                history, rep.future, f"Forecast of the next {when} · {rep.dataset_name}", money
            ),
            width="stretch",
            key="stocks-future",
            config=chart_config(),
        )
        st.caption(
            f"Fitted on the whole history; {s['interval']:.0%} interval from quantile "
            f"regression, which covered {_pct(s['coverage'])} of the backtest truths. "
            "Exchange holidays are not known offline and count as trading days."
        )
    downloads(rep)


def rep_history(rep: StockReport) -> pd.Series:
    from dashboard.common import state

    ds = state.datasets().get(rep.dataset_name)
    if ds is not None and rep.config.target in ds.frame:
        return ds.frame[rep.config.target]
    t = rep.backtest.table
    return pd.Series(t.truth.to_numpy(), index=t.target_date)


def downloads(rep: StockReport) -> None:
    c1, c2 = st.columns(2)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", rep.dataset_name.split(" ")[0]) or "series"
    c1.download_button(
        "Backtest table (CSV)",
        rep.backtest.table.to_csv(index=False).encode(),
        file_name=f"{stem}_backtest.csv",
        mime="text/csv",
        icon=":material/download:",
        key="stocks-dl-backtest",
    )
    if rep.future is not None:
        c2.download_button(
            "Forecast (CSV)",
            rep.future.to_csv().encode(),
            file_name=f"{stem}_forecast.csv",
            mime="text/csv",
            icon=":material/download:",
            key="stocks-dl-forecast",
        )
