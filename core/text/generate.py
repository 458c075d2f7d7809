"""Sampling text from a character model, with the model's probabilities at every step.

At each step the model gives logits z over the V characters. The model's own
distribution is p = softmax(z). Sampling uses softmax(z / temperature) restricted to
the top-k characters (k = 0: all); temperature 0 means greedy: always argmax z.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from core.text.corpus import TextError, Vocab
from core.text.model import CharLM

MAX_LENGTH = 5000  # characters per generation
MAX_PROMPT = 2000
N_TOP = 5  # alternatives kept per position


@dataclass
class Generation:
    """A continuation and, for each generated position n, what the model expected there."""

    prompt: str
    text: str  # the N generated characters (without the prompt)
    temperature: float
    top_k: int
    seed: int
    top_chars: list[list[str]]  # (N, N_TOP) most likely next characters, model's p
    top_probs: np.ndarray  # (N, N_TOP) their probabilities p
    chosen_prob: np.ndarray  # (N,) p of the character that was emitted
    entropy_bits: np.ndarray  # (N,) entropy of the model's p, bits

    def table(self) -> list[dict]:
        """One row per generated position: the character, its p, the alternatives."""
        return [
            {
                "position": n + 1,
                "char": ch,
                "p(char)": float(self.chosen_prob[n]),
                "entropy (bits)": float(self.entropy_bits[n]),
                **{
                    f"#{j + 1}": f"{self.top_chars[n][j]!r} {self.top_probs[n, j]:.0%}"
                    for j in range(self.top_probs.shape[1])
                },
            }
            for n, ch in enumerate(self.text)
        ]


def check_settings(vocab: Vocab, prompt: str, length: int, temperature: float, top_k: int) -> None:
    """Exact messages for every bad generation setting."""
    if not prompt:
        raise TextError("the prompt is empty: type at least one character to start from")
    if len(prompt) > MAX_PROMPT:
        raise TextError(f"the prompt has {len(prompt):,} characters; the limit is {MAX_PROMPT:,}")
    if not (isinstance(length, int) and 1 <= length <= MAX_LENGTH):
        raise TextError(f"length must be an integer from 1 to {MAX_LENGTH}, got {length!r}")
    if not (isinstance(temperature, (int, float)) and math.isfinite(temperature)):
        raise TextError(f"temperature must be a number from 0 to 5, got {temperature!r}")
    if not 0 <= temperature <= 5:
        raise TextError(f"temperature must be a number from 0 to 5, got {temperature!r}")
    if not (isinstance(top_k, int) and top_k >= 0):
        raise TextError(f"top-k must be 0 (no limit) or a positive integer, got {top_k!r}")
    vocab.encode(prompt, what="the prompt")


def pick(logits: torch.Tensor, temperature: float, top_k: int, gen: torch.Generator) -> int:
    """One character id from logits (V,): argmax at temperature 0, else a seeded draw."""
    if temperature == 0:
        return int(torch.argmax(logits))
    z = logits / temperature
    if 0 < top_k < z.numel():
        vals, idx = torch.topk(z, top_k)
        z = torch.full_like(z, -math.inf).scatter(0, idx, vals)
    probs = torch.softmax(z.double(), dim=0)
    return int(torch.multinomial(probs.float().cpu(), 1, generator=gen))


@torch.no_grad()
def generate(
    model: CharLM,
    vocab: Vocab,
    prompt: str,
    length: int = 300,
    temperature: float = 0.8,
    top_k: int = 0,
    seed: int = 0,
) -> Generation:
    """Read the prompt, then emit ``length`` characters one at a time, state carried."""
    check_settings(vocab, prompt, length, temperature, top_k)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    ids = torch.from_numpy(vocab.encode(prompt)).to(device)[None]  # (1, P)
    logits, state = model(ids)  # (1, P, V)
    z = logits[0, -1].float().cpu()  # (V,) logits for the first generated character
    k = min(N_TOP, vocab.size)
    out, top_i, top_p, chosen, entropy = [], [], [], [], []
    for _ in range(length):
        p = torch.softmax(z.double(), dim=0)
        nxt = pick(z, temperature, top_k, gen)
        vals, idx = torch.topk(p, k)
        out.append(nxt)
        top_i.append(idx.tolist())
        top_p.append(vals.numpy())
        chosen.append(float(p[nxt]))
        entropy.append(float(-(p * torch.log2(p.clamp_min(1e-300))).sum()))
        logits, state = model(torch.tensor([[nxt]], device=device), state)
        z = logits[0, -1].float().cpu()
    model.train(was_training)
    return Generation(
        prompt=prompt,
        text=vocab.decode(out),
        temperature=float(temperature),
        top_k=int(top_k),
        seed=int(seed),
        top_chars=[[vocab.chars[i] for i in row] for row in top_i],
        top_probs=np.array(top_p, dtype=np.float64).reshape(length, k),
        chosen_prob=np.array(chosen),
        entropy_bits=np.array(entropy),
    )


def default_prompt(vocab: Vocab, text: str = "") -> str:
    """A newline when the corpus has one (a fresh line), else the corpus's first character."""
    if "\n" in vocab.chars:
        return "\n"
    return text[:1] if text else vocab.chars[0]


def live_sample(run, step: int) -> str:
    """The sample shown while training: seeded by the step so reruns repeat it exactly."""
    cfg = run.train_cfg
    prompt = default_prompt(run.vocab, run.probe)
    g = generate(
        run.model, run.vocab, prompt, cfg.sample_length, cfg.sample_temperature, 0, cfg.seed + step
    )
    return g.text
