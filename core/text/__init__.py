"""Character-level language models: corpus, model, truncated-BPTT training, sampling,
interpretable cells and checkpoints. No Streamlit or Plotly here."""

from core.text.cells import (
    GATE_NAMES,
    MAX_VIEW_CHARS,
    cell_activations,
    correlations,
    gate_keys,
    max_view_chars,
    rank_cells,
    text_features,
)
from core.text.corpus import (
    MAX_BYTES,
    MAX_CHARS,
    MIN_CHARS,
    Corpus,
    TextError,
    Vocab,
    corpus_from_bytes,
    corpus_from_text,
    load_shakespeare,
    split_ids,
    unigram_bits,
)
from core.text.generate import MAX_LENGTH, Generation, default_prompt, generate, pick
from core.text.model import CharLM, CharModelConfig, CharTrainConfig, detach_state
from core.text.train import (
    TextRun,
    build_text_run,
    chunk_starts,
    evaluate_bpc,
    fit_text,
    streams,
    text_task,
)

__all__ = [
    "GATE_NAMES",
    "MAX_BYTES",
    "MAX_CHARS",
    "MAX_LENGTH",
    "MAX_VIEW_CHARS",
    "MIN_CHARS",
    "CharLM",
    "CharModelConfig",
    "CharTrainConfig",
    "Corpus",
    "Generation",
    "TextError",
    "TextRun",
    "Vocab",
    "build_text_run",
    "cell_activations",
    "chunk_starts",
    "corpus_from_bytes",
    "corpus_from_text",
    "correlations",
    "default_prompt",
    "detach_state",
    "evaluate_bpc",
    "fit_text",
    "gate_keys",
    "generate",
    "load_shakespeare",
    "max_view_chars",
    "pick",
    "rank_cells",
    "split_ids",
    "streams",
    "text_features",
    "text_task",
    "unigram_bits",
]

from core.runs.formats.text import (
    FORMAT,
    load_text_dict,
    load_text_run,
    save_text_run,
    text_run_bytes,
    text_run_from_dict,
    text_run_to_dict,
)

__all__ += [
    "FORMAT",
    "load_text_dict",
    "load_text_run",
    "save_text_run",
    "text_run_bytes",
    "text_run_from_dict",
    "text_run_to_dict",
]
