"""The Compare tab of the Runs page: runs of one kind at a time, in that kind's units."""

from __future__ import annotations

import streamlit as st

from core.runs import registry as run_kinds
from core.runs.store import RunInfo, RunStore
from dashboard.common.safe_text import md_escape
from dashboard.common.ui import chart_config
from dashboard.compare import runs as compare_runs_ui
from dashboard.runs.figures import (
    loss_overlay_figure,
    mae_ratio_figure,
    metrics_table,
    text_metrics_table,
)
from dashboard.runs.ui import label

MAX_COMPARE = 8
TEXT_COLUMNS = {
    "best val bpc": st.column_config.NumberColumn(format="%.3f"),
    "final val bpc": st.column_config.NumberColumn(format="%.3f"),
    "unigram bpc": st.column_config.NumberColumn(format="%.3f"),
    "saved vs unigram": st.column_config.NumberColumn(format="percent"),
    "train seconds": st.column_config.NumberColumn(format="%.1f"),
    "chars/s": st.column_config.NumberColumn(format="%.0f"),
}


def compare(store: RunStore, runs: list[RunInfo]) -> None:
    """Runs of one kind at a time: their losses are in that kind's units."""
    present = list(dict.fromkeys(r.kind for r in runs))
    kind = present[0]
    if len(present) > 1:
        kind = st.segmented_control(
            "Kind of runs", present, default=present[0], key="runs-compare-kind",
            format_func=lambda k: f"{k} ({run_kinds.get(k).units})",
            help="Runs of different kinds measure different losses (scaled MSE for "
            "forecasters, bits per character for text models, cross-entropy and accuracy "
            "for sentiment models): they are compared apart.",
        ) or present[0]  # fmt: skip
    same = [r for r in runs if r.kind == kind]
    COMPARERS.get(kind, compare_other)(store, same)


def _chosen(runs: list[RunInfo], key: str) -> list[RunInfo]:
    by_id = {r.id: r for r in runs}
    chosen = st.multiselect(
        "Runs to compare",
        list(by_id),
        default=list(by_id)[:3],
        key=key,
        format_func=lambda i: label(by_id[i]),
        max_selections=MAX_COMPARE,
    )
    if not chosen:
        st.info("Pick one or more runs to compare.")
    return [by_id[i] for i in chosen]


def compare_text(store: RunStore, runs: list[RunInfo]) -> None:
    """Validation bits per character over optimizer steps, and a table of text runs."""
    chosen = _chosen(runs, "runs-compare-text")
    if not chosen:
        return
    names = _unique_names(chosen)
    if len({(r.meta.get("dataset") or {}).get("fingerprint") for r in chosen}) > 1:
        st.warning(
            "These text models learned different texts: bits per character measure how "
            "predictable each text is too. Compare each against its own baselines (table).",
            icon=":material/warning:",
        )
    show_train = st.toggle("Show training loss too (dotted)", key="runs-compare-text-train")
    histories = {names[r.id]: store.history(r.id) for r in chosen}
    fig = loss_overlay_figure(
        histories, show_train, x_key="step", x_title="optimizer step",
        y_title="validation loss (bits per character)", log_y=False,
        title="Validation bits per character of the selected text models",
    )  # fmt: skip
    st.plotly_chart(fig, key="runs-overlay-text", config=chart_config())
    untrained = [names[r.id] for r in chosen if not store.history(r.id)]
    if untrained:
        st.caption(
            "No validation history (never trained here): "
            f"{', '.join(md_escape(n) for n in untrained)}."
        )
    table = text_metrics_table({names[r.id]: r.meta for r in chosen})
    st.dataframe(table, hide_index=True, width="stretch", column_config=TEXT_COLUMNS)
    st.caption(
        "bpc = bits per character on the validation text (lower is better); unigram bpc = "
        "what knowing only the character frequencies gives; saved vs unigram = "
        "1 − best ÷ unigram."
    )


def compare_forecasters(store: RunStore, runs: list[RunInfo]) -> None:
    """Overlay the loss curves and tabulate the metrics of selected forecasters."""
    by_id = {r.id: r for r in runs}
    chosen = [r.id for r in _chosen(runs, "runs-compare")]
    if not chosen:
        return
    names = _unique_names([by_id[i] for i in chosen])
    if len({by_id[i].meta.get("dataset", {}).get("fingerprint") for i in chosen}) > 1:
        st.warning(
            "These runs were trained on different data: their losses are in different "
            "scaled units. Compare skill vs the naive baseline instead.",
            icon=":material/warning:",
        )
    show_train = st.toggle("Show training loss too (dotted)", key="runs-compare-train")
    histories = {names[i]: store.history(i) for i in chosen}
    st.plotly_chart(
        loss_overlay_figure(histories, show_train), key="runs-overlay", config=chart_config()
    )
    table = metrics_table({names[i]: by_id[i].meta for i in chosen})
    st.dataframe(table, hide_index=True, width="stretch")
    if table["test MAE"].notna().any():
        st.plotly_chart(mae_ratio_figure(table), key="runs-mae", config=chart_config())


def _unique_names(infos: list[RunInfo]) -> dict[str, str]:
    seen: dict[str, int] = {}
    out = {}
    for r in infos:
        seen[r.name] = seen.get(r.name, 0) + 1
        out[r.id] = r.name if seen[r.name] == 1 else f"{r.name} ({seen[r.name]})"
    return out


def compare_other(store: RunStore, runs: list[RunInfo]) -> None:
    """Any other registered kind: validation loss per epoch, in the kind's own units."""
    chosen = _chosen(runs, f"runs-compare-{runs[0].kind}")
    if not chosen:
        return
    names = _unique_names(chosen)
    units = run_kinds.get(runs[0].kind).units
    histories = {names[r.id]: store.history(r.id) for r in chosen}
    fig = loss_overlay_figure(histories, y_title=f"validation loss ({units})", log_y=False)
    st.plotly_chart(fig, key=f"runs-overlay-{runs[0].kind}", config=chart_config())


COMPARERS = {
    "forecaster": compare_forecasters,
    "text": compare_text,
    "compare": compare_runs_ui.compare_runs,
}
