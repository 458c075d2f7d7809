"""The Generate and Cells tabs of the Text generation page."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from core.text import (
    GATE_NAMES,
    MAX_LENGTH,
    Generation,
    TextError,
    TextRun,
    cell_activations,
    default_prompt,
    gate_keys,
    generate,
    max_view_chars,
    rank_cells,
    text_features,
)
from dashboard.common.safe_text import md_escape
from dashboard.common.ui import chart_config
from dashboard.text.figures import activation_figure, char_label, colored_text_html, legend_html
from dashboard.text.ui import current_generation, set_generation

ACTS_KEY, RANK_KEY = "text_acts", "text_rank"  # one-entry caches: (run, text) -> result
UNIT_RANGE = {"i": (0, 1), "f": (0, 1), "o": (0, 1), "r": (0, 1), "z": (0, 1)}  # sigmoid gates


def _prompt_default(run: TextRun) -> str:
    """Shown with a typed \\n for the line break (a text box cannot hold a newline)."""
    for p in ("ROMEO:\n", "First Citizen:\n"):
        if not run.vocab.unknown(p):
            return p.replace("\n", "\\n")
    return default_prompt(run.vocab, run.probe).replace("\n", "\\n")


def generate_tab(run: TextRun) -> None:
    with st.form("text-gen-form", border=False):
        c1, c2, c3, c4, c5 = st.columns([3, 1, 1, 1, 1])
        prompt = c1.text_input("Prompt", _prompt_default(run), key="text-prompt")
        length = c2.number_input("Length", 1, MAX_LENGTH, 400, key="text-length")
        temp = c3.number_input(
            "Temperature",
            0.0,
            5.0,
            0.8,
            0.1,
            key="text-temp",
            help="0 = greedy: always the most likely character",
        )
        top_k = c4.number_input(
            "Top-k",
            0,
            run.vocab.size,
            0,
            key="text-topk",
            help="sample only among the k most likely; 0 = all",
        )
        seed = c5.number_input("Seed", 0, 2**31 - 1, 0, key="text-gen-seed")
        go = st.form_submit_button("Generate", type="primary", icon=":material/edit:")
    if go:
        try:
            gen = generate(
                run.model,
                run.vocab,
                prompt.replace("\\n", "\n"),
                int(length),
                float(temp),
                int(top_k),
                int(seed),
            )
        except TextError as e:
            st.error(f"Cannot generate: {md_escape(e)}.", icon=":material/error:")
            return
        set_generation(run, gen)
    gen: Generation | None = current_generation(run)
    if gen is None:
        st.caption("Type `\\n` in the prompt for a line break.")
        return
    show_generation(gen)


def show_generation(gen: Generation) -> None:
    c1, c2, c3 = st.columns(3)
    c1.metric("Mean probability of the emitted characters", f"{gen.chosen_prob.mean():.0%}")
    c2.metric("Mean model entropy", f"{gen.entropy_bits.mean():.2f} bits/char")
    c3.metric("Settings", f"T = {gen.temperature:g}, top-k = {gen.top_k or 'all'}")
    hover = ["prompt"] * len(gen.prompt) + [
        f"{char_label(ch)}: p = {gen.chosen_prob[n]:.1%}. Model's top 5: "
        + ", ".join(
            f"{char_label(c)} {p:.0%}"
            for c, p in zip(gen.top_chars[n], gen.top_probs[n], strict=True)
        )
        for n, ch in enumerate(gen.text)
    ]
    values = np.concatenate([np.full(len(gen.prompt), np.nan), gen.chosen_prob])
    st.html(
        legend_html(
            0.0,
            1.0,
            "model probability of each generated character (hover one; the prompt is grey)",
        )
    )
    st.html(colored_text_html(gen.prompt + gen.text, values, 0.0, 1.0, hover))
    with st.expander("Next-character probabilities, position by position"):
        table = pd.DataFrame(gen.table())
        table["char"] = table["char"].map(char_label)
        st.dataframe(
            table,
            hide_index=True,
            height=300,
            key="text-prob-table",
            column_config={
                "p(char)": st.column_config.ProgressColumn(
                    "p(char)", min_value=0.0, max_value=1.0, format="percent"
                )
            },
        )


def _cached(key: str, run: TextRun, text: str, make):
    tag = (id(run.model), hashlib.sha256(text.encode()).hexdigest())
    hit = st.session_state.get(key)
    if hit is None or hit[0] != tag:
        hit = (tag, make())
        st.session_state[key] = hit
    return hit[1]


def _show_ranked(row: dict, keys: dict) -> None:
    st.session_state[keys["layer"]] = int(row["layer"])
    st.session_state[keys["gate"]] = row["gate"]
    st.session_state[keys["unit"]] = int(row["unit"])


def cells_tab(run: TextRun) -> None:
    gen: Generation | None = current_generation(run)
    sources = ["validation text", *(["generated text"] if gen else []), "your own text"]
    src = st.radio("Text to colour", sources, horizontal=True, key="text-cells-source")
    if src == "validation text":
        text = run.probe
    elif src == "generated text":
        text = gen.prompt + gen.text
    else:
        text = st.text_area(
            "Your text (only characters the model knows)", run.probe[:400], key="text-cells-own"
        )
    cfg = run.model_cfg
    if len(text) > max_view_chars(cfg):
        st.caption(f"Showing the first {max_view_chars(cfg):,} of {len(text):,} characters.")
        text = text[: max_view_chars(cfg)]
    sfx = f"{cfg.cell}-{cfg.num_layers}x{cfg.hidden_size}"
    keys = {k: f"text-cell-{k}-{sfx}" for k in ("layer", "gate", "unit")}
    c1, c2, c3 = st.columns(3)
    layer = c1.selectbox("Layer", range(1, cfg.num_layers + 1), key=keys["layer"])
    gate = c2.selectbox(
        "Gate or state", gate_keys(cfg.cell), format_func=GATE_NAMES.get, key=keys["gate"]
    )
    unit = c3.number_input("Unit", 0, cfg.hidden_size - 1, 0, key=keys["unit"])
    try:
        acts = _cached(ACTS_KEY, run, text, lambda: cell_activations(run.model, run.vocab, text))
    except TextError as e:
        st.error(f"Cannot colour this text: {md_escape(e)}.", icon=":material/error:")
        return
    values = acts[gate][layer - 1][:, unit]  # (T,)
    lo, hi = UNIT_RANGE.get(gate, (-1.0, 1.0))
    if gate == "c":
        lo, hi = -float(np.abs(values).max() or 1.0), float(np.abs(values).max() or 1.0)
    label = f"layer {layer}, {GATE_NAMES[gate]}, unit {unit}: value after reading each character"
    st.html(legend_html(lo, hi, label))
    st.html(
        colored_text_html(
            text,
            values,
            lo,
            hi,
            [f"{char_label(c)}: {v:+.3f}" for c, v in zip(text, values, strict=True)],
        )
    )
    feats = text_features(text)
    feat = st.selectbox("Compare with", list(feats), index=1, key="text-cells-feature")
    title = f"Layer {layer}, {GATE_NAMES[gate]}, unit {unit} vs {feat}"
    st.plotly_chart(
        activation_figure(text, values, feats[feat], feat, title),
        width="stretch",
        key="text-cells-trace",
        config=chart_config(),
    )
    st.subheader("Hunt for interpretable cells", anchor=False)
    if st.button(
        "Rank cells by correlation with simple features",
        key="text-rank",
        icon=":material/leaderboard:",
    ):
        _cached(RANK_KEY, run, text, lambda: rank_cells(acts, text))
    hit = st.session_state.get(RANK_KEY)
    if hit and hit[0] == (id(run.model), hashlib.sha256(text.encode()).hexdigest()):
        table, constant = hit[1]
        st.dataframe(
            table,
            hide_index=True,
            key="text-rank-table",
            column_config={"r": st.column_config.NumberColumn("Pearson r", format="%.3f")},
        )
        st.caption(
            "r: Pearson correlation between the cell's value and the feature over the "
            "positions where the feature applies (vowel vs consonant: letters only). "
            "|r| near 1: the cell tracks the feature; the sign only says which way."
        )
        if constant:
            st.caption(f"Not ranked (constant in this text): {', '.join(constant)}.")
        if len(table):
            rows = table.to_dict("records")
            pick = st.selectbox(
                "Colour the text by a ranked cell",
                range(len(rows)),
                format_func=lambda i: (
                    "{feature}: layer {layer} {gate} unit {unit} (r = {r:+.2f})".format(**rows[i])
                ),
                key="text-rank-pick",
            )
            st.button(
                "Show this cell",
                key="text-rank-show",
                on_click=_show_ranked,
                args=(rows[pick], keys),
            )
