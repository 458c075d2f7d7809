"""``python -m core text``: train a character model (or load one) and print a sample."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.config import CELLS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("text", help="train a character-level model and generate text")
    p.add_argument("--file", default=None, help="a UTF-8 text file (default: bundled Shakespeare)")
    p.add_argument("--chars", type=int, default=None, help="use only the first N characters")
    p.add_argument("--cell", choices=CELLS, default="lstm")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--steps", type=int, default=None, help="stop after this many steps")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seq-len", type=int, default=64, help="truncated-BPTT chunk length")
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    p.add_argument("--load", default=None, help="skip training: load this text checkpoint")
    p.add_argument("--save", default=None, help="write a text checkpoint to this path")
    p.add_argument("--prompt", default="\n", help="generation prompt (default: a newline)")
    p.add_argument("--length", type=int, default=300)
    p.add_argument("--temperature", type=float, default=0.8, help="0 = greedy")
    p.add_argument("--top-k", type=int, default=0, help="0 = no limit")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from core.cli import emit
    from core.runs.formats.text import load_text_run, save_text_run
    from core.text import (
        CharModelConfig,
        CharTrainConfig,
        build_text_run,
        corpus_from_bytes,
        fit_text,
        generate,
        load_shakespeare,
    )

    if args.load:
        run_ = load_text_run(args.load)
    else:
        if args.file:
            corpus = corpus_from_bytes(Path(args.file).read_bytes(), Path(args.file).name)
        else:
            corpus = load_shakespeare(args.chars)
        if args.chars and args.file:
            corpus = type(corpus)(corpus.text[: args.chars], corpus.name, corpus.provenance)
        model_cfg = CharModelConfig(cell=args.cell, hidden_size=args.hidden, num_layers=args.layers)
        train_cfg = CharTrainConfig(
            epochs=args.epochs, max_steps=args.steps, batch_size=args.batch_size,
            seq_len=args.seq_len, lr=args.lr, seed=args.seed, device=args.device,
            sample_every_s=3600,
        )  # fmt: skip
        run_, train_ids, val_ids = build_text_run(corpus, model_cfg, train_cfg)
        fit_text(run_, train_ids, val_ids)
    if args.save:
        save_text_run(run_, args.save)
    gen = generate(
        run_.model, run_.vocab, args.prompt, args.length, args.temperature, args.top_k, args.seed
    )
    emit(
        {
            "corpus": run_.corpus.get("name"),
            "chars": run_.corpus.get("chars"),
            "vocab": run_.vocab.size,
            "cell": run_.model_cfg.cell,
            "parameters": run_.n_params,
            "steps": run_.result.get("steps"),
            "seconds": round(run_.result.get("seconds", 0.0), 3),
            "val_bpc": run_.val_bpc,
            "uniform_bpc": run_.baselines.get("uniform_bpc"),
            "unigram_bpc": run_.baselines.get("unigram_bpc"),
            "reason": run_.result.get("reason"),
            "sample": gen.prompt + gen.text,
        },
        args.json,
    )
    return 0
