"""Runs: every training run saved on disk; open, rename, pin, delete, compare, export, import."""

from __future__ import annotations

import streamlit as st

from core.runs import registry as run_kinds
from dashboard.common import jobs, state
from dashboard.common.safe_text import md_escape
from dashboard.runs import compare as runs_compare
from dashboard.runs import notes as runs_notes
from dashboard.runs import ui as runs_ui
from dashboard.runs.figures import runs_table

st.title("Runs")
store = state.run_store()
session = state.session_id() or ""  # never None here: None is the operator (command line)
runs = store.list(session=session)  # this session's runs and the shared gallery
usage = store.usage()
mine = sum(1 for r in runs if r.writable_by(session))
st.caption(
    f"Every training run is saved on the server, visible only to the browser session that "
    f"trained it: {mine} of yours, plus {len(runs) - mine} shared with everyone (read-only). "
    f"At most {usage['per_session']} runs per session and "
    f"{runs_ui.size_text(usage['max_bytes'])} in all "
    f"({runs_ui.size_text(usage['bytes'])} used): when a limit is reached the oldest "
    "unpinned runs are removed first."
)
runs_ui.show_flash()
for job in jobs.holder().jobs.values():  # every kind of training job saves its run
    runs_notes.save_notes(job.snapshot())
runs_ui.evictions_notice(store, session)

broken = [r for r in runs if r.broken]
ready = [r for r in runs if not r.broken]
known = [r for r in ready if run_kinds.get(r.kind) is not None]
if broken:
    with st.expander(f"{len(broken)} of your runs cannot be read"):
        for r in broken:
            c1, c2 = st.columns([4, 1], vertical_alignment="center")
            c1.text(f"{r.id}: {r.broken}")
            c2.button(
                "Delete",
                key=f"runs-broken-{r.id}",
                on_click=runs_ui.guarded,
                args=(store.delete, r.id, session),
            )

if not ready:
    st.info(
        "No saved runs yet. Train a model (the Home page's one-click demo is quickest): "
        "it is saved here when training ends.",
        icon=":material/inventory_2:",
    )
    if state.TRAIN_PAGE.exists():
        st.page_link(str(state.TRAIN_PAGE), label="Go to the Train page", icon=":material/school:")
else:
    st.dataframe(
        runs_table([r.summary() for r in ready]),
        hide_index=True,
        width="stretch",
        column_config={
            "best_val_loss": st.column_config.NumberColumn(
                "best val loss",
                help="lowest validation loss, in the units of the next column: MSE of the "
                "scaled target for forecasters, bits per character for text models, "
                "cross-entropy in nats for sentiment models",
                format="%.4g",
            ),
            "data": st.column_config.TextColumn("data / corpus"),
            "test_mae": st.column_config.NumberColumn(
                "test MAE",
                help="mean absolute error on the test span, in the target's units",
                format="%.4g",
            ),
            "pinned": st.column_config.CheckboxColumn("pinned"),
        },
    )

by_id = {r.id: r for r in ready}
if not ready:
    st.subheader("Import a checkpoint", anchor=False)
    runs_ui.import_checkpoint(store)
    st.stop()

selected = st.selectbox(
    "Run to open, manage or export",
    list(by_id),
    key="runs-selected",
    format_func=lambda i: runs_ui.label(by_id[i]),
)
info = by_id[selected]
tab_manage, tab_compare, tab_export, tab_import = st.tabs(
    ["Open & manage", "Compare", "Export", "Import"]
)
with tab_import:
    runs_ui.import_checkpoint(store)
with tab_manage:
    runs_ui.manage(store, info, session)

with tab_compare:
    if known:
        runs_compare.compare(store, known)
    else:
        st.info("No runs to compare yet.")

with tab_export:
    st.caption(f"Exporting **{md_escape(info.name)}** (pick another run above the tabs).")
    runs_ui.export(store, info)
