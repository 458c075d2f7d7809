"""Speed of the text-generation features against plain PyTorch, measured in the same run.

    LSTMLAB_THREADS=1 python bench/bench_text.py [--steps 60] [--hidden 128] [--device cpu]

Rows: training (core.text.fit_text vs a bare TBPTT loop with the same model, data, optimizer
and clipping), validation bpc, generation (with per-step probabilities vs a bare sampling
loop) and the Cells view (step-by-step gate replay vs one fused nn.LSTM forward). Ratio =
LSTM Lab time / plain time (1.00 = same speed; the replay is expected to be slower).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
from torch import nn

from core.text import (
    CharModelConfig,
    CharTrainConfig,
    build_text_run,
    cell_activations,
    evaluate_bpc,
    fit_text,
    generate,
    load_shakespeare,
    streams,
)
from core.training.device import configure_threads, resolve_device


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def plain_train(run, train_ids, cfg: CharTrainConfig, device) -> None:
    """The reference: a bare truncated-BPTT loop, nothing recorded."""
    torch.manual_seed(cfg.seed)
    model = run.model.to(device).train()
    x, y = (t.to(device) for t in streams(train_ids, cfg.batch_size))
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    state, step = None, 0
    while step < cfg.max_steps:
        for s in range(0, x.shape[1], cfg.seq_len):
            logits, state = model(x[:, s : s + cfg.seq_len], state)
            loss = nn.functional.cross_entropy(
                logits.flatten(0, 1), y[:, s : s + cfg.seq_len].flatten()
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_norm)
            opt.step()
            state = tuple(t.detach() for t in state)
            step += 1
            if step >= cfg.max_steps:
                break
    loss.item()  # sync


@torch.no_grad()
def plain_generate(model, ids: torch.Tensor, length: int, temperature: float) -> list[int]:
    gen = torch.Generator().manual_seed(0)
    logits, state = model(ids)
    out = []
    for _ in range(length):
        p = torch.softmax(logits[0, -1].cpu() / temperature, dim=0)
        nxt = int(torch.multinomial(p, 1, generator=gen))
        out.append(nxt)
        logits, state = model(torch.tensor([[nxt]], device=ids.device), state)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    threads = configure_threads()
    device = resolve_device(args.device)
    corpus = load_shakespeare()
    mcfg = CharModelConfig(hidden_size=args.hidden, num_layers=args.layers)
    tcfg = CharTrainConfig(epochs=100, max_steps=args.steps, log_every=args.steps,
                           sample_every_s=math.inf, device=args.device)  # fmt: skip
    rows = []

    warm, tr, va = build_text_run(corpus, mcfg, tcfg.replace(max_steps=2))
    fit_text(warm, tr, va)  # first use of the optimizer and autograd imports modules: untimed
    lab = plain = math.inf
    for _ in range(3):  # interleaved, best of 3; building a model (vocab, split) is not timed
        run, tr, va = build_text_run(corpus, mcfg, tcfg)
        t0 = time.perf_counter()
        fit_text(run, tr, va, sampler=lambda run, step: "")  # live samples timed below
        lab = min(lab, time.perf_counter() - t0)
        fresh, _, _ = build_text_run(corpus, mcfg, tcfg)
        t0 = time.perf_counter()
        plain_train(fresh, tr, tcfg, device)
        evaluate_bpc(fresh.model, va, 256)  # the same single validation pass
        plain = min(plain, time.perf_counter() - t0)
    chars = args.steps * tcfg.batch_size * tcfg.seq_len
    rows.append((f"train {args.steps} steps + 1 val bpc", lab, plain, chars / lab))
    model = run.model.to(device).eval()
    lab = best_of(lambda: evaluate_bpc(model, va, 256))
    plain = best_of(lambda: model(torch.from_numpy(va[:-1]).to(device)[None]))
    rows.append((f"val bpc, {len(va):,} chars (plain: 1 stream)", lab, plain, len(va) / lab))
    prompt = torch.from_numpy(run.vocab.encode("ROMEO:")).to(device)[None]
    lab = best_of(lambda: generate(model, run.vocab, "ROMEO:", 1000, 0.8, 0, 0))
    plain = best_of(lambda: plain_generate(model, prompt, 1000, 0.8))
    rows.append(("generate 1,000 chars (+ top-5 probs)", lab, plain, 1000 / lab))
    probe = run.probe[:3000]
    ids = torch.from_numpy(run.vocab.encode(probe)).to(device)[None]
    lab = best_of(lambda: cell_activations(model, run.vocab, probe))
    with torch.no_grad():
        plain = best_of(lambda: model.rnn(model.embed(ids)))
    rows.append((f"cells view, {len(probe):,} chars, all gates", lab, plain, len(probe) / lab))

    print(f"platform: {platform.platform()}; python {platform.python_version()}; "
          f"torch {torch.__version__}; CPUs: {os.cpu_count()}; torch threads: {threads}; "
          f"device: {device}")  # fmt: skip
    print(f"model: LSTM {args.layers} x {args.hidden}, batch {tcfg.batch_size} x seq "
          f"{tcfg.seq_len}, vocab {run.vocab.size}; best of 2-3 runs")  # fmt: skip
    print()
    print(f"| {'what':44} | LSTM Lab s | plain PyTorch s | ratio | LSTM Lab chars/s |")
    print(f"|{'-' * 46}|-----------:|----------------:|------:|-----------------:|")
    for name, a, b, rate in rows:
        print(f"| {name:44} | {a:10.3f} | {b:15.3f} | {a / b:5.2f} | {rate:16,.0f} |")


if __name__ == "__main__":
    main()
