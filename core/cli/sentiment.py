"""``python -m core sentiment``: train a sentence classifier, print it against both baselines."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.config import TrainConfig


def register(sub: argparse._SubParsersAction) -> None:
    from core.sentiment import (
        BUNDLED,
        CLASSIFIER_CELLS,
        DEFAULT_DATA,
        DEFAULT_TRAIN,
        ClassifierConfig,
        TextConfig,
    )

    m, t, tr = ClassifierConfig(), TextConfig(), DEFAULT_TRAIN
    on_off = argparse.BooleanOptionalAction
    p = sub.add_parser(
        "sentiment",
        help="classify review sentences (Embedding + LSTM/GRU) against two baselines",
    )
    p.add_argument("--data", default=DEFAULT_DATA, help=f"bundled set: {', '.join(BUNDLED)}")
    p.add_argument("--file", default=None, help="your own CSV/TSV of text,label (overrides --data)")
    p.add_argument("--cell", choices=CLASSIFIER_CELLS, default=m.cell)
    p.add_argument("--embed", type=int, default=m.embed_dim, help="embedding size E")
    p.add_argument("--hidden", type=int, default=m.hidden_size, help="hidden units H")
    p.add_argument("--layers", type=int, default=m.num_layers)
    p.add_argument("--bidirectional", action=on_off, default=m.bidirectional)
    p.add_argument(
        "--attention", action=on_off, default=m.attention, help="attention pooling over the words"
    )
    p.add_argument("--dropout", type=float, default=m.dropout)
    p.add_argument("--max-vocab", type=int, default=t.max_vocab)
    p.add_argument("--min-freq", type=int, default=t.min_freq, help="train count for a word id")
    p.add_argument("--max-len", type=int, default=t.max_len, help="tokens kept per sentence")
    p.add_argument("--epochs", type=int, default=tr.epochs)
    p.add_argument(
        "--early-stopping",
        action=on_off,
        default=tr.early_stopping,
        help="stop when the validation loss stalls for --patience epochs; keep the best weights",
    )
    p.add_argument("--patience", type=int, default=tr.patience)
    p.add_argument("--batch-size", type=int, default=tr.batch_size)
    p.add_argument("--lr", type=float, default=tr.lr)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    p.add_argument(
        "--probe",
        default=None,
        metavar="FILE",
        help="one sentence a line: adds each one's predicted label and p_positive to the output",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from core.cli import emit
    from core.sentiment import (
        ClassifierConfig,
        TextConfig,
        fit_sentiment,
        load_bundled,
        probe_predictions,
        read_labelled_text,
        read_sentences,
    )

    if args.file:
        path = Path(args.file)
        if not path.is_file():
            raise ValueError(f"no such file: {args.file}")
        dataset = read_labelled_text(path.read_bytes(), name=path.name)
    else:
        dataset = load_bundled(args.data)
    probe = read_sentences(args.probe) if args.probe else None  # refused before training
    text_cfg = TextConfig(
        max_vocab=args.max_vocab, min_freq=args.min_freq, max_len=args.max_len,
        split_seed=args.seed,
    )  # fmt: skip
    model_cfg = ClassifierConfig(
        cell=args.cell,
        embed_dim=args.embed,
        hidden_size=args.hidden,
        num_layers=args.layers,
        bidirectional=args.bidirectional,
        attention=args.attention,
        dropout=args.dropout,
    )
    train_cfg = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
        device=args.device, early_stopping=args.early_stopping, patience=args.patience,
    )  # fmt: skip
    run_ = fit_sentiment(dataset, text_cfg, model_cfg, train_cfg)
    res = run_.results
    last = run_.fit.history[-1] if run_.fit.history else {}
    out = {
        "data": dataset.name,
        "rows": len(dataset),
        "classes": run_.classes,
        "n_test": res["model"]["n"],
        "accuracy": res["model"]["accuracy"],
        "majority_accuracy": res["majority"]["accuracy"],
        "bag_of_words_accuracy": res["bag_of_words"]["accuracy"],
        "macro_f1": res["model"]["macro_f1"],
        "bag_of_words_macro_f1": res["bag_of_words"]["macro_f1"],
        "epochs": len(run_.fit.history),
        "train_acc": last.get("train_acc"),
        "val_acc": last.get("val_acc"),
        "reason": run_.fit.reason,
        "parameters": run_.n_params,
        "vocab": len(run_.prepared.vocab),
        "seconds": round(run_.fit.seconds, 3),
        "device": run_.fit.device.get("label"),
    }
    if probe is not None:
        out["probe"] = probe_predictions(run_, probe)
    emit(out, args.json)
    return 0
