"""Saved RNN vs GRU vs LSTM comparisons in the UI: the session's comparison, the Runs page's
details, export and Compare tab for kind "compare", and the page's view of an opened one."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from core.runs.kinds.compare import UNITS, CompareSummary
from core.runs.store import RunInfo, RunStore
from dashboard.common import state
from dashboard.common.ui import chart_config
from dashboard.runs.figures import loss_overlay_figure

TABLE_COLUMNS = {
    "parameters": st.column_config.NumberColumn(format="localized"),
    "s / epoch": st.column_config.NumberColumn(format="%.2f"),
    "final val loss": st.column_config.NumberColumn(format="%.4g"),
    "best val loss": st.column_config.NumberColumn(format="%.4g"),
    "val / trivial": st.column_config.NumberColumn(format="percent"),
}


def opened_summary() -> CompareSummary | None:
    result = state.compare_result()
    return result if isinstance(result, CompareSummary) else None


def show_opened(summary: CompareSummary, draw: Callable[[dict], None]) -> None:
    """The compare page for a comparison opened from the runs folder (no models, no tensors)."""
    run_id = summary.extras.get("saved_run_id", "?")
    stopped = " It was stopped before the end." if summary.stopped else ""
    st.info(
        f"Showing the saved comparison `{run_id}`: {summary.task.get('title', '?')} "
        f"({len(summary.archs)} architecture(s), "
        f"{summary.seconds:.1f} s of training).{stopped} Press **Compare** to train a new one.",
        icon=":material/inventory_2:",
    )
    draw(summary.snapshot())
    st.caption(
        "Opened from the runs folder: a comparison keeps its summary only (curves, table, "
        "gradient profiles, reading), not the trained models or the task's data, so nothing "
        "here can be trained further; the same settings and seed train it again."
    )
    st.subheader("What the charts show", anchor=False)
    st.markdown("\n".join(f"- {line}" for line in summary.reading()))


def _n(v: Any, fmt: str, default: str = "?") -> str:
    return format(v, fmt) if isinstance(v, (int, float)) else default


def details_markdown(m: dict, size: str) -> str:
    """The Details expander of a saved comparison (from its meta.json)."""
    t, b, fit = m.get("task") or {}, m.get("budget") or {}, m.get("fit") or {}
    device = (fit.get("device") or {}).get("label", "?")
    rows = "; ".join(
        f"{a.get('label')} {_n(a.get('val_loss'), '.4g', '-')}" for a in m.get("archs") or []
    )
    return (
        f"- **Task**: {t.get('title', '?')} · trivial predictor {_n(t.get('trivial'), '.4g')} "
        f"({fit.get('loss', '?')})\n"
        f"- **Budget**: {b.get('epochs', '?')} epochs of batch {b.get('batch_size', '?')}, "
        f"learning rate {_n(b.get('lr'), 'g')}, seed {b.get('seed', '?')}, "
        f"{b.get('hidden_size', '?')} hidden units, {_n(b.get('n_train'), ',')} training "
        f"sequences · {_n(fit.get('seconds'), '.1f')} s on {device}"
        + (" · stopped" if m.get("stopped") else "")
        + f"\n- **Final validation loss**: {rows} · summary only (no weights), {size} on disk"
    )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "comparison"


def export(store: RunStore, info: RunInfo, kind: Any) -> None:
    """Download the comparison's JSON summary (a comparison keeps no weights)."""
    st.download_button(
        "Summary (.json)",
        kind.checkpoint_bytes(store, info.id),
        f"{_slug(info.name)}.json",
        "application/json",
        key="runs-dl-compare",
        icon=":material/data_object:",
        help="Task, budget, per-architecture losses, histories, gradient profiles and reading",
    )
    st.caption(
        "A comparison is kept as its summary only, with no trained weights: there is no "
        "checkpoint or ONNX file to export. The JSON is strict (missing numbers are null)."
    )


def _label(info: RunInfo) -> str:
    created = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.created))
    return f"{info.name} · {created}"


def compare_runs(store: RunStore, runs: list[RunInfo]) -> None:
    """The Runs page's Compare tab for comparisons: every architecture of the chosen ones."""
    by_id = {r.id: r for r in runs}
    chosen = st.multiselect(
        "Comparisons to put side by side", list(by_id), default=list(by_id)[:2],
        key="runs-compare-compare", format_func=lambda i: _label(by_id[i]), max_selections=4,
    )  # fmt: skip
    if not chosen:
        st.info("Pick one or more comparisons.")
        return
    histories: dict[str, list[dict]] = {}
    rows = []
    for i, run_id in enumerate(chosen):
        info, tag = by_id[run_id], f"#{i + 1}"
        for h in store.history(run_id):
            histories.setdefault(f"{tag} {h.get('arch', '?')}", []).append(h)
        trivial = (info.meta.get("task") or {}).get("trivial")
        for a in info.meta.get("archs") or []:
            val = a.get("val_loss")
            rows.append({
                "comparison": f"{tag} {info.name}", "architecture": a.get("label"),
                "parameters": a.get("parameters"), "s / epoch": a.get("seconds_per_epoch"),
                "final val loss": val, "best val loss": a.get("best_val_loss"),
                "val / trivial": val / trivial if val is not None and trivial else None,
            })  # fmt: skip
    fig = loss_overlay_figure(
        histories, y_title=f"{UNITS}, log scale",
        title="Validation loss of every architecture in the selected comparisons",
    )  # fmt: skip
    st.plotly_chart(fig, key="runs-overlay-compare", config=chart_config())
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config=TABLE_COLUMNS)
    st.caption(
        "Losses are in each task's units (MSE or cross-entropy): compare across tasks with "
        "val / trivial, the final validation loss as a share of the trivial predictor's."
    )
