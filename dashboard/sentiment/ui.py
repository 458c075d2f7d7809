"""Widget groups and sections of the Sentiment page; session state for it lives here.

Every widget key starts with ``sent-`` so the groups never clash with other pages.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.config import TrainConfig
from core.sentiment import (
    BUNDLED,
    CLASSIFIER_CELLS,
    DEFAULT_TRAIN,
    ClassifierConfig,
    SentimentRun,
    TextConfig,
    TextDataError,
    TextDataset,
    load_bundled,
    read_labelled_text,
)
from dashboard.common import state
from dashboard.common.safe_text import md_escape
from dashboard.common.urlstate import ctl

UPLOADS_KEY = "sentiment_uploads"  # name -> TextDataset uploaded in this session
LAST_UPLOAD_KEY = "sentiment_last_upload"  # (file_id, name, size) of the upload taken in
DATA_WIDGET = "sent-data"
UPLOAD_PREFIX = "your file: "


def save_status(run: SentimentRun) -> None:
    """Where the session's classifier is kept: its run in the runs folder, or not."""
    run_id = run.extras.get("saved_run_id")
    if "checkpoint_dataset" in run.dataset.provenance:
        st.caption(
            "Opened from a checkpoint: its test sentences, scores and history travel with it; "
            "the training sentences do not."
        )
    if not run_id:
        st.caption("This classifier is not in the runs folder (saving is off or failed).")
        return
    st.caption(
        f"Saved in the runs folder as run `{run_id}`: rename, pin, compare or export it on the "
        "Runs page, and open it again in any later session."
    )
    st.page_link(str(state.RUNS_PAGE), label="Go to the Runs page", icon=":material/inventory_2:")


def uploads() -> dict[str, TextDataset]:
    if UPLOADS_KEY not in st.session_state:
        st.session_state[UPLOADS_KEY] = {}
    return st.session_state[UPLOADS_KEY]


@st.cache_resource(show_spinner=False)
def bundled(name: str) -> TextDataset:
    """Read-only, shared by every session (a frozen dataset of tuples)."""
    return load_bundled(name)


@st.cache_data(show_spinner=False, max_entries=8)
def parse_upload(raw: bytes, name: str) -> TextDataset:
    return read_labelled_text(raw, name)


def _take_upload() -> None:
    """Parse a newly uploaded file; on success it becomes the selected dataset."""
    file = st.file_uploader(
        "Or use your own CSV/TSV of `text,label` rows",
        type=["csv", "tsv", "txt"],
        key="sent-upload",
        help="A header naming a text column (text, sentence, review) and a label column "
        "(label, sentiment, class), or two columns without header: the text and its label. "
        "Two or more classes, at least 5 rows each.",
    )
    upload_id = (file.file_id, file.name, file.size) if file is not None else None
    if file is None or st.session_state.get(LAST_UPLOAD_KEY) == upload_id:
        return
    try:
        ds = parse_upload(file.getvalue(), file.name)
    except TextDataError as e:
        st.error(f"Could not use this file: {md_escape(e)}.", icon=":material/error:")
        return
    name = UPLOAD_PREFIX + file.name
    uploads()[name] = ds
    st.session_state[LAST_UPLOAD_KEY] = upload_id
    st.session_state[DATA_WIDGET] = name


def dataset_picker() -> TextDataset:
    """Bundled review sets and this session's uploads; returns the selected one."""
    col_pick, col_up = st.columns([3, 2], gap="large")
    with col_up:
        _take_upload()  # runs first so a fresh upload can preselect itself below
    options = list(BUNDLED) + list(uploads())
    with col_pick:
        choice = st.selectbox(
            "Labelled sentences",
            options,
            **ctl(DATA_WIDGET),
            format_func=lambda k: BUNDLED[k]["title"] if k in BUNDLED else k,
        )
        ds = bundled(choice) if choice in BUNDLED else uploads()[choice]
        counts = ds.counts()
        st.caption(
            f"{len(ds):,} sentences · {len(counts)} classes: "
            + ", ".join(f"{md_escape(c)} {n:,}" for c, n in counts.items())
        )
        if "citation" in ds.provenance:
            st.caption(f"Bundled with the app (offline). Cite: {ds.provenance['citation']}")
        elif ds.provenance.get("dropped"):
            st.caption(f"{ds.provenance['dropped']} row(s) without words or label were left out.")
    with st.expander("A few examples"):
        step = max(1, len(ds) // 6)
        rows = list(range(0, len(ds), step))[:6]
        st.dataframe(
            pd.DataFrame(
                {"text": [ds.texts[i] for i in rows], "label": [ds.labels[i] for i in rows]}
            ),
            hide_index=True,
            width="stretch",
        )
    return ds


def settings_form() -> tuple[TextConfig, ClassifierConfig, TrainConfig] | None:
    """The model and training settings; returns configs when *Train* is pressed."""
    m, t, tr = ClassifierConfig(), TextConfig(), DEFAULT_TRAIN  # the defaults the CLI uses
    with st.form("sent-settings", border=True):
        c1, c2, c3, c4 = st.columns(4)
        cell = c1.selectbox("Cell", CLASSIFIER_CELLS, **ctl("sent-cell"), format_func=str.upper)
        sizes = [16, 32, 64, 128]
        embed = c1.select_slider("Embedding size E", sizes, m.embed_dim, **ctl("sent-embed"))
        hidden = c2.select_slider("Hidden units H", sizes, m.hidden_size, **ctl("sent-hidden"))
        layers = c2.slider("Layers L", 1, 3, m.num_layers, **ctl("sent-layers"))
        bidir = c3.toggle("Bidirectional", m.bidirectional, **ctl("sent-bidir"))
        attention = c3.toggle(
            "Attention pooling",
            m.attention,
            **ctl("sent-attention"),
            help="Pool the words by learned weights (shown per word below) instead of reading "
            "only the last state.",
        )
        dropout = c3.slider("Dropout", 0.0, 0.6, m.dropout, 0.05, **ctl("sent-dropout"))
        vocab = c4.select_slider(
            "Vocabulary cap", [2000, 5000, 10000, 20000], t.max_vocab, **ctl("sent-vocab")
        )
        max_len = c4.slider("Max words per sentence", 10, 120, t.max_len, 5, **ctl("sent-maxlen"))
        e1, e2, e3, e4 = st.columns(4)
        epochs = e1.slider("Epochs", 1, 30, tr.epochs, **ctl("sent-epochs"))
        batch = e2.select_slider(
            "Batch size", [16, 32, 64, 128, 256], tr.batch_size, **ctl("sent-batch")
        )
        lr = e3.select_slider(
            "Learning rate", [1e-3, 2e-3, 3e-3, 5e-3, 1e-2], tr.lr, **ctl("sent-lr")
        )
        early = e4.toggle(
            "Early stopping",
            tr.early_stopping,
            **ctl("sent-early"),
            help=f"Stop when the validation loss has not improved for {tr.patience} epochs and "
            "keep the weights of the best epoch (it rises after 2-3 epochs: more epochs "
            "memorise the training sentences).",
        )
        pressed = st.form_submit_button(
            "Train", type="primary", icon=":material/play_arrow:", key="sent-train"
        )
    if not pressed:
        return None
    try:
        return (
            t.replace(max_vocab=vocab, max_len=max_len),
            ClassifierConfig(
                cell=cell, embed_dim=embed, hidden_size=hidden, num_layers=layers,
                bidirectional=bidir, attention=attention, dropout=dropout,
            ),
            tr.replace(epochs=epochs, batch_size=batch, lr=lr, early_stopping=early),
        )  # fmt: skip
    except ValueError as e:
        st.error(f"Invalid settings: {md_escape(e)}.", icon=":material/error:")
        return None
