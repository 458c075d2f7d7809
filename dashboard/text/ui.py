"""Widget groups and session accessors of the Text generation page."""

from __future__ import annotations

import hashlib
import re

import streamlit as st

from core.config import CELLS
from core.runs.formats.common import CheckpointError
from core.runs.formats.text import load_text_run
from core.text import (
    MAX_BYTES,
    MIN_CHARS,
    CharModelConfig,
    CharTrainConfig,
    Corpus,
    TextError,
    TextRun,
    corpus_from_bytes,
    corpus_from_text,
    load_shakespeare,
)
from dashboard.common import state
from dashboard.common.safe_text import md_escape
from dashboard.common.urlstate import ctl

GEN_KEY = "text_generation"  # the last Generation
GEN_OWNER_KEY = "text_generation_model"  # id() of the model that made it
LOADED_KEY = "text_loaded_file"  # hash of the checkpoint file loaded last (load once)
JOB_KIND = "text"
SOURCES = ("Shakespeare (bundled)", "Paste text", "Upload a .txt file")
PRESETS: dict[str, tuple[CharModelConfig, CharTrainConfig, str]] = {
    "Quick demo": (
        CharModelConfig(hidden_size=128, num_layers=1),
        CharTrainConfig(epochs=2, batch_size=32, seq_len=64, lr=1e-2, log_every=10),
        "1 layer of 128 LSTM units, 2 passes over the text: the shortest run.",
    ),
    "Classic char-rnn": (
        CharModelConfig(hidden_size=128, num_layers=2),
        CharTrainConfig(epochs=10, batch_size=50, seq_len=50, lr=2e-3, log_every=20),
        "Karpathy's char-rnn default, 2 layers of 128 LSTM units, 10 passes: about ten times "
        "the quick demo's work (a GPU helps; the sidebar's ETA says how long here).",
    ),
}


def set_generation(run: TextRun, gen) -> None:
    st.session_state[GEN_KEY] = gen
    st.session_state[GEN_OWNER_KEY] = id(run.model)


def current_generation(run: TextRun):
    """The last generation, if the session's current model made it (else None)."""
    if st.session_state.get(GEN_OWNER_KEY) != id(run.model):
        return None
    return st.session_state.get(GEN_KEY)


@st.cache_resource(show_spinner=False)
def shakespeare() -> Corpus:
    """Read-only, shared by every session."""
    return load_shakespeare()


@st.cache_data(max_entries=4, show_spinner=False)
def _from_upload(raw: bytes, name: str) -> Corpus:
    return corpus_from_bytes(raw, name)


@st.cache_data(max_entries=4, show_spinner=False)
def _from_paste(text: str) -> Corpus:
    return corpus_from_text(text, "pasted text")


def corpus_picker() -> Corpus | None:
    """Bundled Shakespeare, pasted or uploaded UTF-8 text; None (with a message) until usable."""
    source = st.radio("Text to learn from", SOURCES, horizontal=True, **ctl("text-source"))
    try:
        if source == SOURCES[0]:
            corpus = shakespeare()
        elif source == SOURCES[1]:
            pasted = st.text_area(
                "Paste any UTF-8 text", height=160, key="text-paste",
                placeholder=f"At least {MIN_CHARS:,} characters; a few pages or more work best.",
            )  # fmt: skip
            if not pasted.strip():
                st.info("Paste some text above to train on it.", icon=":material/edit_note:")
                return None
            corpus = _from_paste(pasted)
        else:
            up = st.file_uploader(
                f"A UTF-8 text file (up to {MAX_BYTES / 1e6:.0f} MB)",
                type=["txt", "md", "text"], key="text-upload",
            )  # fmt: skip
            if up is None:
                return None
            corpus = _from_upload(up.getvalue(), up.name)
    except TextError as e:
        st.error(f"This text cannot be used: {md_escape(e)}.", icon=":material/error:")
        return None
    note = " (cut to the first 2,000,000)" if "truncated_from" in corpus.provenance else ""
    st.caption(
        f"{len(corpus):,} characters{note}, {len(set(corpus.text))} distinct. "
        + (
            f"Source: {md_escape(corpus.provenance['origin'])}."
            if "origin" in corpus.provenance
            else ""
        )
    )
    return corpus


def settings_picker() -> tuple[CharModelConfig, CharTrainConfig] | None:
    """A preset, adjustable in an expander; None (with the config's message) when invalid."""
    name = st.radio("Preset", list(PRESETS), horizontal=True, **ctl("text-preset"))
    m, t, help_text = PRESETS[name]
    st.caption(help_text)
    k = f"text-{name}-"  # widget keys per preset: switching presets restores its values
    with st.expander("Model and training settings"):
        c1, c2, c3 = st.columns(3)
        cell = c1.selectbox("Cell", CELLS, index=CELLS.index(m.cell), **ctl(k + "cell"))
        layers = c1.slider("Layers (L)", 1, 4, m.num_layers, **ctl(k + "layers"))
        hidden = c1.select_slider(
            "Units per layer (H)", [32, 64, 128, 256, 512], m.hidden_size, **ctl(k + "hidden")
        )
        embed = c2.select_slider(
            "Embedding size (E)", [8, 16, 32, 64], m.embed_size, **ctl(k + "e")
        )
        dropout = c2.slider("Dropout between layers", 0.0, 0.5, m.dropout, 0.05, **ctl(k + "drop"))
        epochs = c2.number_input("Passes over the text", 1, 1000, t.epochs, **ctl(k + "epochs"))
        batch = c3.select_slider("Streams (B)", [4, 8, 16, 32, 50, 64, 128], t.batch_size,
                                 **ctl(k + "batch"))  # fmt: skip
        seq = c3.select_slider("Chunk length (T, BPTT)", [16, 32, 50, 64, 100, 128, 256],
                               t.seq_len, **ctl(k + "seq"))  # fmt: skip
        lr = c3.select_slider("Learning rate", [5e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2e-2],
                              t.lr, **ctl(k + "lr"))  # fmt: skip
        clip = c1.number_input("Gradient clipping (global norm)", 0.1, 100.0, t.clip_norm or 1.0,
                               **ctl(k + "clip"))  # fmt: skip
        seed = c2.number_input("Seed", 0, 2**31 - 1, t.seed, **ctl(k + "seed"))
    try:
        return (
            m.replace(cell=cell, num_layers=layers, hidden_size=hidden, embed_size=embed,
                      dropout=float(dropout) if layers > 1 else 0.0),
            t.replace(epochs=int(epochs), batch_size=batch, seq_len=seq, lr=lr,
                      clip_norm=float(clip), seed=int(seed)),
        )  # fmt: skip
    except ValueError as e:
        st.error(f"These settings are not valid: {md_escape(e)}.", icon=":material/error:")
        return None


def load_panel() -> None:
    """Load a saved text model (.pt) once per file; a bad file leaves the session's model."""
    up = st.file_uploader("Load a saved text model (.pt)", type=["pt"], key="text-load")
    if up is None:
        return
    raw = up.getvalue()
    digest = hashlib.sha256(raw).hexdigest()
    if st.session_state.get(LOADED_KEY) == digest:
        return
    try:
        run = load_text_run(raw)
    except CheckpointError as e:
        st.error(md_escape(f"Could not load {up.name}: {e}."), icon=":material/error:")
        return
    st.session_state[LOADED_KEY] = digest
    state.set_text_run(run)
    st.success(f"Loaded the text model from {md_escape(up.name)}.", icon=":material/check_circle:")
    _store_loaded(run, up.name)


def _store_loaded(run: TextRun, file_name: str) -> None:
    """A loaded model joins the runs folder like an import on the Runs page; a failed save
    is a warning (the model stays loaded in the session)."""
    from core.runs import registry as run_kinds
    from dashboard.common import state

    store = state.run_store()
    kind = run_kinds.get("text")
    try:
        result = kind.save(
            store, run, name=f"imported {file_name} · {kind.data_name(run)}",
            session=state.session_id(), origin="imported",
        )  # fmt: skip
    except Exception as e:
        st.warning(
            f"The model is loaded in this session but could not be saved to the runs folder "
            f"({type(e).__name__}); download it from the Save tab to keep it.",
            icon=":material/save:",
        )
        return
    if result.message:
        st.info(md_escape(result.message), icon=":material/auto_delete:")


def save_status(run: TextRun) -> None:
    """Where the session's text model is kept: its run in the runs folder, or not."""
    run_id = run.extras.get("saved_run_id")
    if run_id:
        st.caption(
            f"Saved in the runs folder as run `{run_id}`: rename, pin, compare or export it on "
            "the Runs page, and open it again in any later session."
        )
        runs_page = str(state.RUNS_PAGE)
        st.page_link(runs_page, label="Go to the Runs page", icon=":material/inventory_2:")
    else:
        st.caption("This model is not in the runs folder: download it to keep it.")


def file_name(run: TextRun) -> str:
    """A safe download name from the corpus name (user text reduced to [A-Za-z0-9_-])."""
    corpus = re.sub(r"[^A-Za-z0-9_-]+", "-", str(run.corpus.get("name", "text")))[:40]
    cfg = run.model_cfg
    return f"charlm-{cfg.cell}-{cfg.num_layers}x{cfg.hidden_size}-{corpus.strip('-')}.pt"
