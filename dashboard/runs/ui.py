"""Widget groups of the Runs page: manage one run, compare several, export, import.

Actions run in ``on_click`` callbacks, before the page redraws, so the table always shows
the folder as it is after the action; their outcome is shown once as a "flash" message.
"""

from __future__ import annotations

import json
import re
import time

import streamlit as st

from core.models.onnx_export import ExportError, available, export_onnx, onnx_parity
from core.runs import registry as run_kinds
from core.runs.formats import forecaster as ckpt_io
from core.runs.kinds import forecaster as forecaster_runs
from core.runs.store import RunError, RunInfo, RunStore
from dashboard.common import state
from dashboard.common.safe_text import md_escape
from dashboard.compare import runs as compare_runs_ui
from dashboard.runs import deploy
from dashboard.runs import kinds as run_kinds_ui
from dashboard.runs import report as run_report
from dashboard.runs.kept import keep, kept, offer

FLASH_KEY = "_runs_flash"
CONFIRM_KEY = "_runs_confirm_delete"
ONNX_KEY = "_runs_onnx"  # {"id": run id, "bytes": ..., "check": sentence}


def flash(kind: str, text: str) -> None:
    """Show ``text`` (Markdown: escape the user's strings in it) after the next rerun."""
    st.session_state[FLASH_KEY] = (kind, text)


def show_flash() -> None:
    kind, text = st.session_state.pop(FLASH_KEY, (None, None))
    if kind == "error":
        st.error(text, icon=":material/error:")
    elif kind == "warning":
        st.warning(text, icon=":material/warning:")
    elif kind == "success":
        st.success(text, icon=":material/check_circle:")


def label(info: RunInfo) -> str:
    s = info.summary()
    pin = "📌 " if info.pinned else ""
    return f"{pin}{info.name} · {s['model']} · {s['kind']} · {s['created']}"


def size_text(n: float) -> str:
    """Bytes as a short readable size: 812 KB, 3.4 MB, 1.2 GB."""
    for unit, scale in (("GB", 2**30), ("MB", 2**20)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{max(n / 1024, 0):.0f} KB"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "run"


# -- actions (callbacks) -------------------------------------------------------------------------
def guarded(fn, *args) -> None:
    """Run a button callback; a run-store error becomes a flash message, not a traceback."""
    try:
        fn(*args)
    except (RunError, ckpt_io.CheckpointError, OSError) as e:
        flash("error", md_escape(e))


def _open(store: RunStore, run_id: str, session: str) -> None:
    info = store.get(run_id, session)
    kind, ui = run_kinds.info_kind(info), run_kinds_ui.get_ui(info.kind)
    if kind is None or ui is None:
        flash(
            "error",
            f"'{md_escape(info.name)}' is a {md_escape(info.kind)} run: "
            "this LSTM Lab cannot open it.",
        )
        return
    ui.set_current(kind.load(store, run_id))
    flash("success", f"Opened '{md_escape(info.name)}': it is now this session's {ui.role}.")


def _rename(store: RunStore, run_id: str, key: str, session: str) -> None:
    info = store.rename(run_id, st.session_state.get(key, ""), session)
    flash("success", f"Renamed to '{md_escape(info.name)}'.")


def _pin(store: RunStore, run_id: str, pinned: bool, session: str) -> None:
    info = store.set_pinned(run_id, pinned, session)
    flash("success", f"'{md_escape(info.name)}' is {'pinned' if pinned else 'no longer pinned'}.")


def _delete(store: RunStore, run_id: str, session: str) -> None:
    name = store.get(run_id, session).name
    store.delete(run_id, session)
    st.session_state.pop(CONFIRM_KEY, None)
    flash(
        "success", f"Deleted '{md_escape(name)}'. A run you had opened stays open in this session."
    )


def _build_onnx(store: RunStore, run_id: str) -> None:
    ckpt = ckpt_io.load_dict(forecaster_runs.checkpoint_path(store, run_id))
    model, lookback = ckpt_io.model_from_dict(ckpt), ckpt["data_cfg"]["lookback"]
    try:
        data = export_onnx(model, lookback)
    except ExportError as e:
        flash("error", md_escape(e))
        return
    try:
        diff = onnx_parity(data, model, lookback)
        check = f"Checked with onnxruntime on 16 random inputs: max |ONNX − PyTorch| = {diff:.1e}."
    except ExportError:
        check = "Not checked: onnxruntime (optional) is not installed."
    keep(ONNX_KEY, run_id, bytes=data, check=check)


# -- widget groups ------------------------------------------------------------------------------
def manage(store: RunStore, info: RunInfo, session: str) -> None:
    """Open, rename, pin and delete one run (only Open for a shared run)."""
    ui = run_kinds_ui.get_ui(info.kind)
    own = info.writable_by(session)
    if not own:
        st.caption(
            "A shared run, in every session's list: open it to look inside; it cannot be "
            "renamed, pinned or deleted from here.",
        )
    if ui is None or run_kinds.info_kind(info) is None:
        st.info(
            f"'{md_escape(info.name)}' is a {md_escape(info.kind)} run: "
            "this version of LSTM Lab cannot open it, "
            "but you can rename, pin or delete it.",
            icon=":material/info:",
        )
    elif run_kinds_ui.is_current(info.kind, info.id):
        st.caption(f"This run is the session's {ui.role}.")
    pages = ", ".join(lbl for _, lbl in run_kinds_ui.page_links(info.kind))
    c1, c2, c3 = st.columns(3)
    c1.button(
        "Open",
        type="primary",
        icon=":material/open_in_new:",
        key="runs-open",
        help=f"Make it the session's {ui.role}" + (f" ({pages})" if pages else "")
        if ui
        else "This kind of run cannot be opened here",
        on_click=guarded,
        args=(_open, store, info.id, session),
        width="stretch",
        disabled=ui is None or run_kinds.info_kind(info) is None,
    )
    c2.button(
        "Unpin" if info.pinned else "Pin",
        icon=":material/push_pin:",
        key="runs-pin",
        help="Pinned runs are never removed by the folder limits",
        on_click=guarded,
        args=(_pin, store, info.id, not info.pinned, session),
        width="stretch",
        disabled=not own,
    )
    c3.button(
        "Delete…",
        icon=":material/delete:",
        key="runs-delete",
        width="stretch",
        disabled=not own,
        on_click=lambda: st.session_state.__setitem__(CONFIRM_KEY, info.id),
    )
    if ui is not None and ui.current() is not None:  # where the opened model is used
        for page, text in run_kinds_ui.page_links(info.kind):
            st.page_link(page, label=text, icon=":material/arrow_forward:")
    if own and st.session_state.get(CONFIRM_KEY) == info.id:
        st.warning(
            f"Delete '{md_escape(info.name)}' and its checkpoints from disk? This cannot be undone."
        )
        d1, d2 = st.columns(2)
        d1.button(
            "Yes, delete",
            type="primary",
            key="runs-delete-confirm",
            on_click=guarded,
            args=(_delete, store, info.id, session),
        )
        d2.button(
            "Cancel",
            key="runs-delete-cancel",
            on_click=lambda: st.session_state.pop(CONFIRM_KEY, None),
        )
    details(info)
    if not own:
        return
    key = f"runs-rename-{info.id}"
    r1, r2 = st.columns([3, 1], vertical_alignment="bottom")
    r1.text_input("New name", value=info.name, key=key, max_chars=120)
    r2.button(
        "Rename", key="runs-rename", on_click=guarded, args=(_rename, store, info.id, key, session)
    )


def details(info: RunInfo) -> None:
    """Where the data came from and how the run was made (read from its meta.json)."""
    m = info.meta
    ds = m.get("dataset") or {}
    with st.expander("Details: data, settings, timings"):
        st.markdown(run_kinds_ui.details_markdown(info.kind, m, size_text(info.size_bytes)))
        st.json(
            {k: m.get(k) for k in ("data_cfg", "model_cfg", "train_cfg")}
            | {"provenance": ds.get("provenance")},
            expanded=False,
        )


def export(store: RunStore, info: RunInfo) -> None:
    """Download the checkpoint, the settings as JSON, and (forecasters) the model as ONNX."""
    kind = run_kinds.info_kind(info)
    if kind is None:
        st.info(
            md_escape(
                f"'{info.name}' is a {info.kind} run: this version of LSTM Lab cannot export it."
            )
        )
        return
    if getattr(kind, "export_json", False):  # a summary without weights (comparisons)
        compare_runs_ui.export(store, info, kind)
        return
    slug = _slug(info.name)
    ds = info.meta.get("dataset") or {}
    if kind.kind == "forecaster":
        what = f"Weights, settings, scalers and the training data ({ds.get('rows')} rows)"
    elif kind.kind == "sentiment":
        n = (info.meta.get("test") or {}).get("n")
        what = f"Settings, weights, vocabulary, history and the {n} test sentences"
    else:
        what = f"Settings, weights and history of this {kind.label} ({kind.format}, no data)"
    c1, c2, _ = st.columns([1, 1, 2])
    c1.download_button(
        "Checkpoint (.pt)",
        kind.checkpoint_bytes(store, info.id),
        f"{slug}.pt",
        "application/octet-stream",
        key="runs-dl-pt",
        icon=":material/download:",
        help=f"{what}: restore it anywhere with Import",
    )
    meta = json.dumps({k: v for k, v in info.meta.items() if k != "session"}, indent=1)
    c2.download_button(
        "Settings (.json)",
        meta,
        f"{slug}.json",
        "application/json",
        key="runs-dl-json",
        icon=":material/data_object:",
    )
    if kind.kind == "forecaster":
        run_report.download(store, info.id, info.name, slug)
    if not kind.onnx:
        st.info(
            f"ONNX export is for forecasters only. A {kind.label} is exported as its "
            "checkpoint (.pt): Import on this page, or the page that made it, loads it back.",
            icon=":material/info:",
        )
        deploy.section(store, info, slug, forecaster=False)
        return
    st.markdown(
        "**ONNX** · input `x` (batch, time, features), output `y` (batch, horizon), "
        "both in the scaled units of the JSON's scalers."
    )
    if not available("onnx"):
        st.info(
            "ONNX export needs the optional packages in requirements-onnx.txt "
            "(`pip install -r requirements-onnx.txt`); everything else works without."
        )
        deploy.section(store, info, slug, forecaster=False)
        return
    st.button(
        "Build the ONNX file",
        key="runs-onnx-build",
        icon=":material/build:",
        on_click=guarded,
        args=(_build_onnx, store, info.id),
    )
    built = kept(ONNX_KEY, info.id)
    if built is not None:
        offer("ONNX (.onnx)", built["bytes"], f"{slug}.onnx", "application/octet-stream",
              key="runs-dl-onnx")  # fmt: skip
        st.caption(built["check"])
    if not available("onnxruntime"):
        st.caption("onnxruntime is optional: install it to check the file against PyTorch.")
    deploy.section(store, info, slug, forecaster=True)


def import_checkpoint(store: RunStore) -> None:
    """Restore a run from an uploaded checkpoint; anything else is refused with the reason."""
    kinds = [k for k in run_kinds.kinds().values() if k.exported]
    st.caption(
        "Only checkpoints written by LSTM Lab are accepted: "
        f"{', '.join(f'{k.label}s (`{k.format}`)' for k in kinds)}. "
        "They are read with "
        "`torch.load(weights_only=True)`: files carrying code, truncated files and weights "
        "that do not fit their settings are refused."
    )
    st.file_uploader("Checkpoint file", type=["pt", "pth"], key="runs-upload")
    st.button(
        "Restore this run",
        key="runs-import",
        icon=":material/upload:",
        on_click=guarded,
        args=(_import, store),
    )


def _import(store: RunStore) -> None:
    upload = st.session_state.get("runs-upload")
    if upload is None:
        flash("warning", "Choose a checkpoint file first.")
        return
    kind, run = run_kinds.import_checkpoint(upload.getvalue(), state.datasets().values())
    result = kind.save(
        store,
        run,
        name=f"imported {upload.name} · {kind.data_name(run)}",
        session=state.session_id(),
        origin="imported",
    )
    ui = run_kinds_ui.get_ui(kind.kind)
    note = f" {md_escape(result.message)}" if result.message else ""
    if ui is None:
        flash("success", f"Restored '{md_escape(result.info.name)}' into the runs folder.{note}")
        return
    ui.set_current(run)
    flash(
        "success",
        f"Restored '{md_escape(result.info.name)}': it is now this session's {ui.role}.{note}",
    )


def evictions_notice(store: RunStore, session: str, hours: float = 24.0) -> None:
    """Tell the user which of their runs the limits removed recently."""
    recent = store.evictions(since=time.time() - hours * 3600, session=session)
    if not recent:
        return
    names = ", ".join(f"'{md_escape(e['name'])}'" for e in recent[:5])
    more = f" and {len(recent) - 5} more" if len(recent) > 5 else ""
    st.info(
        f"To stay within the limits, {len(recent)} older run(s) were removed in the last "
        f"{hours:g} h: {names}{more} ({recent[0]['reason']}). Pin a run to keep it.",
        icon=":material/auto_delete:",
    )
