"""Sentence sentiment: the tutorials' IMDB example (Embedding + LSTM/GRU, + attention) on
small real review sets that ship with the app, scored against two baselines.

    data.py     bundled sets, the user's CSV/TSV (clear refusals), the stratified split
    text.py     tokens, vocabulary with <unk>, padded id batches
    model.py    ClassifierConfig, SentimentClassifier (packed sequences, masked attention)
    metrics.py  accuracy / precision / recall / F1 / confusion matrix, both baselines
    train.py    TextConfig, SentimentRun, training through core.training.trainer.Trainer
    inside.py   one sentence: probability, attention and gates per word
    probe.py    plain sentences (data/sentiment/probe.tsv) the default model must get right
"""

from core.sentiment.data import (
    BUNDLED,
    DEFAULT_DATA,
    TextDataError,
    TextDataset,
    load_bundled,
    read_labelled_text,
    split_indices,
)
from core.sentiment.inside import Explanation, explain, gate_highlights, word_table
from core.sentiment.metrics import (
    bag_of_words_predict,
    classification_scores,
    confusion_matrix,
    majority_predict,
)
from core.sentiment.model import CLASSIFIER_CELLS, ClassifierConfig, SentimentClassifier
from core.sentiment.probe import (
    PROBE_FILE,
    load_probe,
    probe_accuracy,
    probe_predictions,
    read_sentences,
)
from core.sentiment.text import PAD_ID, UNK_ID, Vocab, encode_texts, tokenize
from core.sentiment.train import (
    DEFAULT_TRAIN,
    PreparedText,
    SentimentRun,
    TextConfig,
    baseline_scores,
    build_run,
    fit_sentiment,
    model_scores,
    prediction_table,
    prepare_text,
    train_run,
)

__all__ = [
    "BUNDLED",
    "CLASSIFIER_CELLS",
    "DEFAULT_DATA",
    "DEFAULT_TRAIN",
    "PAD_ID",
    "PROBE_FILE",
    "UNK_ID",
    "ClassifierConfig",
    "Explanation",
    "PreparedText",
    "SentimentClassifier",
    "SentimentRun",
    "TextConfig",
    "TextDataError",
    "TextDataset",
    "Vocab",
    "bag_of_words_predict",
    "baseline_scores",
    "build_run",
    "classification_scores",
    "confusion_matrix",
    "encode_texts",
    "explain",
    "fit_sentiment",
    "gate_highlights",
    "load_bundled",
    "load_probe",
    "majority_predict",
    "model_scores",
    "prediction_table",
    "prepare_text",
    "probe_accuracy",
    "probe_predictions",
    "read_labelled_text",
    "read_sentences",
    "split_indices",
    "tokenize",
    "train_run",
    "word_table",
]
