"""Training a character model with truncated BPTT, live progress and samples.

The training text is cut into B parallel streams (each a contiguous slice); step s
reads columns [s*T, (s+1)*T) of every stream and starts from the state the previous
chunk ended in (detached: gradients flow back at most T characters). The loss is
reported in bits per character: bpc = cross-entropy (nats) / ln 2.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from core.models.recurrent import count_parameters
from core.text.corpus import Corpus, TextError, Vocab, split_ids, unigram_bits
from core.text.generate import live_sample
from core.text.model import CharLM, CharModelConfig, CharTrainConfig, detach_state
from core.training.device import describe_device, resolve_device
from core.training.trainer import make_optimizer, seed_everything, state_copy

LN2 = math.log(2.0)
PROBE_CHARS = 3000  # validation text kept with the run for the Cells view
MAX_VAL_CHARS = 50_000  # validation bpc is measured on at most this many characters
MAX_SAMPLES = 60  # live samples kept per run: the first KEEP_FIRST and the latest
KEEP_FIRST = 10  # the early gibberish stays, to show the progress


@dataclass
class TextRun:
    """A character model with the settings, vocabulary and history that made it."""

    model_cfg: CharModelConfig
    train_cfg: CharTrainConfig
    model: CharLM
    vocab: Vocab
    corpus: dict  # Corpus.info(): name, provenance, fingerprint, chars
    probe: str = ""  # the start of the validation text (for the Cells view)
    baselines: dict = field(default_factory=dict)  # uniform_bpc, unigram_bpc
    history: list[dict] = field(default_factory=list)
    samples: list[dict] = field(default_factory=list)  # {"step", "text"} live samples
    result: dict = field(default_factory=dict)  # reason, message, seconds, device, steps
    extras: dict = field(default_factory=dict)  # session notes (saved_run_id), not saved

    @property
    def n_params(self) -> int:
        return count_parameters(self.model)

    @property
    def val_bpc(self) -> float | None:
        return self.history[-1]["val_loss"] if self.history else None


def streams(ids: np.ndarray, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """B contiguous streams: x (B, N) and y (B, N) = the character after each x."""
    n = (len(ids) - 1) // batch_size
    if n < 2:
        raise TextError(
            f"the text is too short for {batch_size} parallel streams ({len(ids):,} characters):"
            " lower the batch size or use a longer text"
        )
    t = torch.from_numpy(np.ascontiguousarray(ids))
    x = t[: n * batch_size].view(batch_size, n)
    y = t[1 : n * batch_size + 1].view(batch_size, n)
    return x, y


def chunk_starts(n: int, seq_len: int) -> range:
    """Column offsets of the chunks; the last chunk may be shorter."""
    return range(0, n, seq_len)


@torch.no_grad()
def evaluate_bpc(model: CharLM, ids: np.ndarray, seq_len: int = 256, n_streams: int = 8) -> float:
    """Mean bits per character of predicting ids[1:] from what precedes, state carried.

    bpc = (1 / N) * sum_t -log2 p(x_{t+1} | x_1..x_t), over N predicted characters
    (each of ``n_streams`` contiguous streams starts from a zero state).
    """
    ids = ids[: MAX_VAL_CHARS + 1]
    n_streams = max(1, min(n_streams, (len(ids) - 1) // 64))
    if len(ids) < 3:
        return float("nan")
    x, y = streams(ids, n_streams)
    device = next(model.parameters()).device
    x, y = x.to(device), y.to(device)
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    for s in chunk_starts(x.shape[1], seq_len):
        logits, state = model(x[:, s : s + seq_len], state)  # (B, T, V)
        yb = y[:, s : s + seq_len]
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), yb.flatten(), reduction="sum")
        total += float(loss)
        count += yb.numel()
    model.train(was_training)
    return total / count / LN2


def build_text_run(
    corpus: Corpus, model_cfg: CharModelConfig, train_cfg: CharTrainConfig
) -> tuple[TextRun, np.ndarray, np.ndarray]:
    """An untrained run whose vocabulary and head fit the corpus, plus (train, val) ids."""
    vocab = Vocab.from_text(corpus.text)
    ids = vocab.encode(corpus.text)
    train_ids, val_ids = split_ids(ids, train_cfg.val_fraction)
    if len(val_ids) < 64:
        raise TextError(
            f"the validation part has only {len(val_ids)} characters: raise the validation "
            "fraction or use a longer text"
        )
    streams(train_ids, train_cfg.batch_size)  # raises early when the text is too short
    model_cfg = model_cfg.replace(vocab_size=vocab.size)
    seed_everything(train_cfg.seed)
    run = TextRun(
        model_cfg,
        train_cfg,
        CharLM(model_cfg),
        vocab,
        corpus.info(),
        probe=corpus.text[len(train_ids) : len(train_ids) + PROBE_CHARS],
        baselines={
            "uniform_bpc": math.log2(vocab.size),
            "unigram_bpc": unigram_bits(train_ids, vocab.size),
        },
    )
    return run, train_ids, val_ids


class _Quiet:
    """Stands in for a job context when training runs outside a job."""

    def __init__(self, stop_event: threading.Event | None = None):
        self.stop_event = stop_event or threading.Event()

    def publish(self, **fields) -> None: ...

    def append(self, key: str, item, limit: int = 5000) -> None: ...


def fit_text(
    run: TextRun,
    train_ids: np.ndarray,
    val_ids: np.ndarray,
    ctx=None,
    sampler: Callable[[TextRun, int], str] | None = None,
) -> TextRun:
    """Train in place; ``ctx`` (a core.jobs.JobContext or alike) gets progress and samples.

    Stops at the end of the budget, when ``ctx.stop_event`` is set (checked every chunk),
    or on a non-finite loss (the weights of the last record are restored).
    """
    ctx = ctx or _Quiet()
    sampler = sampler or live_sample
    cfg = run.train_cfg
    seed_everything(cfg.seed)
    device = resolve_device(cfg.device)
    model = run.model.to(device).train()
    x, y = streams(train_ids, cfg.batch_size)
    x, y = x.to(device), y.to(device)
    starts = chunk_starts(x.shape[1], cfg.seq_len)
    total = cfg.epochs * len(starts)
    total = min(total, cfg.max_steps) if cfg.max_steps else total
    opt = make_optimizer(model.parameters(), cfg)
    clip = cfg.clip_norm if cfg.clip_norm is not None else math.inf
    ctx.publish(
        epochs=math.ceil(total / len(starts)), epoch=0, batch=0, n_batches=len(starts),
        steps=total, step=0, device=describe_device(device), n_params=run.n_params,
        n_train=len(train_ids), n_val=len(val_ids), baselines=run.baselines,
    )  # fmt: skip
    t0 = last_pub = time.perf_counter()
    last_sample = -math.inf
    good = state_copy(model)
    step, reason = 0, "completed"
    acc_loss, acc_norm, acc_n, acc_chars, t_rec = 0.0, 0.0, 0, 0, time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        state = None  # every epoch starts each stream from a zero state
        for c, s in enumerate(starts):
            if ctx.stop_event.is_set():
                reason = "stopped"
                break
            xb, yb = x[:, s : s + cfg.seq_len], y[:, s : s + cfg.seq_len]  # (B, T)
            logits, state = model(xb, state)  # (B, T, V)
            loss = nn.functional.cross_entropy(logits.flatten(0, 1), yb.flatten())
            if not torch.isfinite(loss):
                model.load_state_dict(good)
                reason = "diverged"
                break
            opt.zero_grad(set_to_none=True)
            loss.backward()
            norm = float(nn.utils.clip_grad_norm_(model.parameters(), clip))
            opt.step()
            state = detach_state(state)  # truncated BPTT: keep values, cut the graph
            step += 1
            acc_loss, acc_norm = acc_loss + loss.item(), acc_norm + norm
            acc_n, acc_chars = acc_n + 1, acc_chars + yb.numel()
            now = time.perf_counter()
            if step % cfg.log_every == 0 or step == total:
                record = {
                    "epoch": epoch, "step": step, "chars": step * cfg.batch_size * cfg.seq_len,
                    "train_loss": acc_loss / acc_n / LN2,
                    "val_loss": evaluate_bpc(model, val_ids, cfg.seq_len * 4),
                    "lr": opt.param_groups[0]["lr"], "grad_norm": acc_norm / acc_n,
                    "seconds": now - t0, "samples_per_s": acc_chars / max(now - t_rec, 1e-9),
                    "events": [],
                }  # fmt: skip
                run.history.append(record)
                ctx.append("history", record)
                good = state_copy(model)
                acc_loss, acc_norm, acc_n, acc_chars, t_rec = 0.0, 0.0, 0, 0, time.perf_counter()
            every = cfg.sample_every_s
            recorded = bool(run.history) and run.history[-1]["step"] == step
            if step == total or (recorded if every == 0 else now - last_sample >= every):
                last_sample = now  # the first step, then every few seconds, and the last
                run.samples = _keep([*run.samples, {"step": step, "text": sampler(run, step)}])
                ctx.publish(samples=run.samples)
                t_rec += time.perf_counter() - now  # chars/s counts training time only
            if now - last_pub >= 0.25 or step == total:
                last_pub = now
                eta = (now - t0) / step * (total - step)
                ctx.publish(epoch=epoch, batch=c + 1, step=step, eta_s=eta)
            if step >= total:
                break
        if reason != "completed" or step >= total:
            break
    seconds = time.perf_counter() - t0
    run.model = model.cpu().eval()
    run.result = {
        "reason": reason, "steps": step, "seconds": seconds, "device": describe_device(device),
        "message": _message(reason, step, run.val_bpc, run.baselines),
    }  # fmt: skip
    ctx.publish(reason=reason, message=run.result["message"], eta_s=0.0)
    return run


def _keep(samples: list[dict]) -> list[dict]:
    if len(samples) <= MAX_SAMPLES:
        return samples
    return samples[:KEEP_FIRST] + samples[-(MAX_SAMPLES - KEEP_FIRST) :]


def _message(reason: str, steps: int, val_bpc: float | None, baselines: dict) -> str:
    head = {
        "completed": f"Finished {steps:,} steps",
        "stopped": f"Stopped by you after {steps:,} steps",
        "diverged": f"The loss became NaN after {steps:,} steps; weights restored to the last "
        "record (lower the learning rate)",
    }[reason]
    if val_bpc is None:
        return head + "."
    return (
        f"{head}: validation {val_bpc:.2f} bits/char (uniform guess "
        f"{baselines['uniform_bpc']:.2f}, character frequencies {baselines['unigram_bpc']:.2f})."
    )
