"""``python -m core sentiment``: train a sentence classifier, print it against both baselines."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.config import TrainConfig


def register(sub: argparse._SubParsersAction) -> None:
    from core.sentiment import BUNDLED, CLASSIFIER_CELLS

    p = sub.add_parser(
        "sentiment",
        help="classify review sentences (Embedding + LSTM/GRU) against two baselines",
    )
    p.add_argument("--data", default="rt-polarity", help=f"bundled set: {', '.join(BUNDLED)}")
    p.add_argument("--file", default=None, help="your own CSV/TSV of text,label (overrides --data)")
    p.add_argument("--cell", choices=CLASSIFIER_CELLS, default="lstm")
    p.add_argument("--embed", type=int, default=64, help="embedding size E")
    p.add_argument("--hidden", type=int, default=64, help="hidden units H")
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--bidirectional", action="store_true")
    p.add_argument("--attention", action="store_true", help="attention pooling over the words")
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--max-vocab", type=int, default=10_000)
    p.add_argument("--max-len", type=int, default=60, help="tokens kept per sentence")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from core.cli import emit
    from core.sentiment import (
        ClassifierConfig,
        TextConfig,
        fit_sentiment,
        load_bundled,
        read_labelled_text,
    )

    if args.file:
        path = Path(args.file)
        if not path.is_file():
            raise ValueError(f"no such file: {args.file}")
        dataset = read_labelled_text(path.read_bytes(), name=path.name)
    else:
        dataset = load_bundled(args.data)
    text_cfg = TextConfig(max_vocab=args.max_vocab, max_len=args.max_len, split_seed=args.seed)
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
        device=args.device,
    )  # fmt: skip
    run_ = fit_sentiment(dataset, text_cfg, model_cfg, train_cfg)
    res = run_.results
    last = run_.fit.history[-1] if run_.fit.history else {}
    emit(
        {
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
        },
        args.json,
    )
    return 0
