"""Sentiment: the tutorials' IMDB example (Embedding + LSTM), trained live on real reviews,
judged against two baselines, and opened up word by word."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.sentiment import explain, gate_highlights, prediction_table, word_table
from core.sentiment.inside import GATE_NAMES
from core.tasks.sentiment import sentiment_task
from dashboard.common import jobs, state
from dashboard.common.ui import chart_config, metric_row
from dashboard.runs import notes as runs_notes
from dashboard.sentiment import figures as figs
from dashboard.sentiment import link as sentiment_link
from dashboard.sentiment import ui

KIND = "sentiment"
EXAMPLE = "A gorgeous, witty film, but the ending is dull and far too long."

st.title("Sentiment")
st.markdown(
    "Classify review sentences as positive or negative with an **Embedding + LSTM** "
    "(or GRU; stacked, bidirectional), trained live. The default reads all bundled review "
    "sets together, pools the words with **attention** (its weight for each word is "
    "shown below) and stops early when the validation loss turns up. Padded positions are "
    "packed away, so they never reach the loss, the attention or the gates."
)
sentiment_link.bind()  # the link's settings, before the widgets
dataset = ui.dataset_picker()
configs = ui.settings_form()
if configs is not None:
    text_cfg, model_cfg, train_cfg = configs
    jobs.start_job(
        KIND,
        sentiment_task(dataset, text_cfg, model_cfg, train_cfg),
        name=f"{model_cfg.cell.upper()} · {dataset.name}",
        result_key=state.SENTIMENT_RUN_KEY,
    )


@st.fragment(run_every=1.0)
def live() -> None:
    """Progress and curves of this session's sentiment job, redrawn every second."""
    job = jobs.holder().get(KIND)
    if job is None:
        return
    if jobs.collect_finished():
        st.rerun(scope="app")
    snap = job.snapshot()
    epochs, epoch = snap.get("epochs") or 0, snap.get("epoch") or 0
    done = epoch + snap.get("batch", 0) / max(snap.get("n_batches", 1), 1)
    jobs.progress_or_failure(
        job,
        snap,
        fraction=done / max(epochs, 1),
        text=f"{ui.md_escape(snap['name'])}: epoch {epoch}/{epochs}",
        stop_key="sent-stop",
        widths=(5, 1),
    )
    if job.result is not None and job.result is state.sentiment_run():
        runs_notes.eviction_note(snap)  # older runs removed to make room for this one
    if snap.get("save_warning") and job.result is state.sentiment_run():  # trained, not saved
        st.warning(ui.md_escape(snap["save_warning"]), icon=":material/save:")
    elif snap.get("message"):
        st.caption(ui.md_escape(snap["message"]))
    if snap.get("history") or snap.get("baselines"):
        st.plotly_chart(
            figs.curves_figure(
                snap.get("history", []), snap.get("baselines"), f"Live: {snap['name']}"
            ),
            width="stretch",
            key="sent-curves",
            config=chart_config(),
        )


live()
run = state.sentiment_run()
if run is None:
    st.info("Press **Train** to fit a classifier; results and the inside view appear here.")
    st.stop()

res = run.results
st.header("Results on the held-out test split", anchor=False)
st.caption(
    f"{ui.md_escape(run.dataset.name)} · {res['model']['n']:,} test sentences never seen in "
    f"training · {run.n_params:,} parameters · {run.fit.message} in {run.fit.seconds:.1f} s "
    f"({run.fit.device.get('label', '')}) · vocabulary {len(run.prepared.vocab):,} words, "
    f"{run.prepared.oov_rate('test'):.1%} of test words read as `<unk>`"
)
ui.save_status(run)
majority = res["majority"]["accuracy"]
metric_row(
    {
        "model accuracy": f"{res['model']['accuracy']:.1%}",
        "bag of words": f"{res['bag_of_words']['accuracy']:.1%}",
        "majority class": f"{majority:.1%}",
        "model macro F1": f"{res['model']['macro_f1']:.3f}",
    }
)
col_bar, col_cm, col_bow = st.columns(3)
col_bar.plotly_chart(
    figs.scores_figure(res), width="stretch", key="sent-scores", config=chart_config()
)
col_cm.plotly_chart(
    figs.confusion_figure(res["model"], "Confusion: model"),
    width="stretch",
    key="sent-cm",
    config=chart_config(),
)
col_bow.plotly_chart(
    figs.confusion_figure(res["bag_of_words"], "Confusion: bag of words"),
    width="stretch",
    key="sent-cm-bow",
    config=chart_config(),
)
per_class = pd.DataFrame(
    [
        {"classifier": figs.SCORE_NAMES[k], "class": c, **v}
        for k in ("model", "bag_of_words", "majority")
        for c, v in res[k]["per_class"].items()
    ]
)
st.dataframe(per_class, hide_index=True, width="stretch", column_config={
    m: st.column_config.NumberColumn(format="%.3f") for m in ("precision", "recall", "f1")
})  # fmt: skip

with st.expander("Where the model is wrong: its most confident mistakes on the test split"):
    mistakes = prediction_table(run)
    st.dataframe(
        mistakes[~mistakes["correct"]].drop(columns="correct").head(20),
        hide_index=True,
        width="stretch",
        column_config={"confidence": st.column_config.ProgressColumn(min_value=0, max_value=1)},
    )

st.header("Inside: one sentence, word by word", anchor=False)
text = st.text_input("Type a sentence", EXAMPLE, key="sent-text", max_chars=500)
try:
    expl = explain(
        run.model, run.prepared.vocab, run.classes, text, run.text_cfg.max_len, run.text_cfg.lower
    )
except ValueError as e:
    st.warning(ui.md_escape(f"{str(e).capitalize()}."), icon=":material/edit:")
    st.stop()
labels = figs.word_labels(expl.words, expl.known)
col_p, col_a = st.columns([1, 2])
col_p.plotly_chart(
    figs.probability_figure(expl.classes, expl.probs),
    width="stretch",
    key="sent-prob",
    config=chart_config(),
)
if expl.attention is not None:
    col_a.plotly_chart(
        figs.attention_figure(labels, expl.attention),
        width="stretch",
        key="sent-att",
        config=chart_config(),
    )
else:
    col_a.info("Turn on *Attention pooling* and retrain to see which words the classifier reads.")
if not all(expl.known):
    st.caption("\\* not in the vocabulary: read as the out-of-vocabulary token `<unk>`.")

cfg = run.model_cfg
c1, c2, c3 = st.columns(3)
layer = c1.selectbox(
    "Layer",
    range(cfg.num_layers),
    cfg.num_layers - 1,
    key=f"sent-layer-{cfg.num_layers}",
    format_func=lambda i: f"layer {i + 1}",
)
direction = c2.selectbox(
    "Direction",
    range(cfg.directions),
    key=f"sent-dir-{cfg.directions}",
    format_func=lambda d: ("forward", "backward")[d],
)
keys = list(expl.gates)
gate = c3.selectbox(
    "Gate or state",
    keys,
    key=f"sent-gate-{cfg.cell}",
    format_func=lambda k: f"{k}: {GATE_NAMES[k]}",
)
table = word_table(expl, layer, direction)
for what, words in gate_highlights(table).items():
    st.markdown(f"**Words that {what}:** " + ", ".join(ui.md_escape(w) for w in words))
sig = [k for k in keys if k in figs.SIGMOID_GATES]
st.plotly_chart(
    figs.word_gates_figure(table, labels, sig),
    width="stretch",
    key="sent-wordgates",
    config=chart_config(),
)
st.plotly_chart(
    figs.gate_heatmap(
        expl.gates[gate][layer, direction], labels, gate,
        f"{GATE_NAMES[gate].capitalize()}: layer {layer + 1}, "
        f"{('forward', 'backward')[direction]}",
    ),
    width="stretch",
    key="sent-heatmap", config=chart_config())  # fmt: skip
