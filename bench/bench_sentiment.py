"""Speed of the sentiment classifier against a plain PyTorch baseline, measured in one run.

    python bench/bench_sentiment.py [--device cpu|cuda] [--threads N] [--sentences N]

Baseline: nn.Embedding + nn.LSTM + nn.Linear on the same padded batches, no packing (it
reads the padding too and takes the state after the last padded step: faster to write,
wrong for short sentences). Ours: packed sequences (+ masked attention), the cost of
correctness. Also: one sentence through ``explain`` (gates replayed step by step) vs one
plain forward. Ratios > 1 mean ours is slower.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
from torch import nn
from torch.nn import functional as F

from core.sentiment import (
    ClassifierConfig,
    SentimentClassifier,
    TextConfig,
    encode_texts,
    explain,
    load_bundled,
    prepare_text,
)
from core.training.device import configure_threads, resolve_device


class Plain(nn.Module):
    """The usual tutorial model: padding included, last padded step pooled."""

    def __init__(self, v: int, e: int, h: int):
        super().__init__()
        self.embedding = nn.Embedding(v, e, padding_idx=0)
        self.rnn = nn.LSTM(e, h, batch_first=True)
        self.head = nn.Linear(h, 2)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embedding(tokens))  # (B, T, H)
        return self.head(out[:, -1])


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def train_rate(model: nn.Module, batches: list, device: torch.device, reps: int) -> float:
    """Sentences per second for forward + backward + Adam step."""
    model.to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    best = float("inf")
    for _ in range(reps):
        _sync(device)
        t0 = time.perf_counter()
        for tok, lens, y in batches:
            loss = F.cross_entropy(model(tok, lens), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    return sum(len(b[2]) for b in batches) / best


@torch.no_grad()
def infer_rate(model: nn.Module, batches: list, device: torch.device, reps: int) -> float:
    model.to(device).eval()
    best = float("inf")
    for _ in range(reps):
        _sync(device)
        t0 = time.perf_counter()
        for tok, lens, _y in batches:
            model(tok, lens)
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    return sum(len(b[2]) for b in batches) / best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("LSTMLAB_THREADS", "1")))
    ap.add_argument("--sentences", type=int, default=2048)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    threads = configure_threads(args.threads)
    device = resolve_device(args.device)
    prepared = prepare_text(load_bundled("rt-polarity"), TextConfig(max_len=60))
    tok, lens, y = (t[: args.sentences] for t in prepared.tensors["train"])
    bs = 64
    batches = [
        (tok[i : i + bs].to(device), lens[i : i + bs].to(device), y[i : i + bs].to(device))
        for i in range(0, len(y), bs)
    ]
    v, e, h = len(prepared.vocab), 64, 64
    torch.manual_seed(0)
    plain = Plain(v, e, h)
    ours = SentimentClassifier(
        ClassifierConfig(vocab_size=v, embed_dim=e, hidden_size=h, attention=False)
    )
    att = SentimentClassifier(
        ClassifierConfig(vocab_size=v, embed_dim=e, hidden_size=h, attention=True)
    )
    rows = []
    base_train = train_rate(plain, batches, device, args.reps)
    base_infer = infer_rate(plain, batches, device, args.reps)
    rows.append(("train, plain LSTM (padded)", base_train, 1.0))
    for name, m in (("train, ours packed", ours), ("train, ours packed + attention", att)):
        r = train_rate(m, batches, device, args.reps)
        rows.append((name, r, base_train / r))
    rows.append(("inference, plain LSTM (padded)", base_infer, 1.0))
    for name, m in (("inference, ours packed", ours), ("inference, ours + attention", att)):
        r = infer_rate(m, batches, device, args.reps)
        rows.append((name, r, base_infer / r))
    text = "a gorgeous , witty film , but the ending is dull and far too long ."
    one_ids, one_len = encode_texts([text], prepared.vocab, 60)  # (1, T), no padding
    one = one_ids.to(device), one_len
    with torch.no_grad():
        t0 = time.perf_counter()
        for _ in range(20):
            plain.eval()(*one)
        t_plain = (time.perf_counter() - t0) / 20
    t0 = time.perf_counter()
    for _ in range(20):
        explain(att, prepared.vocab, prepared.classes, text)
    t_expl = (time.perf_counter() - t0) / 20
    rows.append(("one sentence, plain forward", 1 / t_plain, 1.0))
    rows.append(
        ("one sentence, explain (probability, attention, gates)", 1 / t_expl, t_expl / t_plain)
    )

    print(f"machine: {platform.platform()} · {platform.processor() or platform.machine()}")
    print(f"cpus: {os.cpu_count()} · torch {torch.__version__} · threads {threads} · "
          f"device {device} · {len(y)} sentences, batch {bs}, E=H=64, V={v}")  # fmt: skip
    print(f"{'case':<56} {'sentences/s':>12} {'time vs plain':>14}")
    for name, rate, ratio in rows:
        print(f"{name:<56} {rate:>12,.0f} {ratio:>13.2f}x")


if __name__ == "__main__":
    main()
