"""A plain-language reading of a comparison, written from its measured numbers.

Every sentence is built from the result (losses, ratios, gradient profiles, timings),
so it changes when the numbers change; nothing here is canned.
"""

from __future__ import annotations

import math

from core.compare.gradients import decay_per_step
from core.compare.longmemory import TASKS
from core.compare.training import ArchResult, CompareResult
from core.training.trainer import DIVERGED, USER_STOPPED

SOLVED = 0.1  # validation loss <= 10% of the trivial loss: the task is solved
FAILED = 0.8  # >= 80% of the trivial loss: nothing useful was learnt


def _g(x: float) -> str:
    return f"{x:.3g}" if math.isfinite(x) else "n/a"


def _times(x: float) -> str:
    """A ratio for people: 0.97, 38, 1.5e+09."""
    if not math.isfinite(x):
        return "n/a"
    return f"{x:.1e}" if x >= 1000 else f"{x:,.0f}" if x >= 10 else f"{x:.2f}"


def verdict(r: ArchResult, result: CompareResult) -> str:
    """One sentence per architecture: where its validation loss ended, against trivial.

    ratio = val_loss / trivial_loss; solved when ratio <= SOLVED, failed when >= FAILED.
    """
    task, label = result.task, r.spec.label
    if r.fit.reason == DIVERGED:
        return f"**{label}** diverged: {r.fit.message}."
    trivial = task.trivial_loss
    ratio = r.val_loss / trivial if trivial > 0 else math.nan
    acc = ""
    if r.accuracy is not None:
        vocab = task.params.get("vocab", 0)
        chance = f" (chance {1 / vocab:.0%})" if vocab else ""
        acc = f"; it recalls {r.accuracy:.0%} of the symbols{chance}"
    if task.name not in TASKS:  # a forecasting dataset: judged against the naive forecast
        if ratio < 1:
            return (
                f"**{label}** beats the naive last-value forecast: validation MSE "
                f"{_g(r.val_loss)}, {_times(ratio)}× the naive {_g(trivial)}."
            )
        return (
            f"**{label}** does not beat the naive last-value forecast: validation MSE "
            f"{_g(r.val_loss)}, {_times(ratio)}× the naive {_g(trivial)}."
        )
    if ratio <= SOLVED:
        return (
            f"**{label}** solved it: validation loss {_g(r.val_loss)}, {ratio:.1%} of the "
            f"trivial {_g(trivial)}{acc}."
        )
    if ratio >= FAILED:
        return (
            f"**{label}** stayed near the trivial loss ({_g(r.val_loss)} vs {_g(trivial)}): "
            f"it did not carry the information across {task.lag} steps{acc}."
        )
    return (
        f"**{label}** got part of the way: validation loss {_g(r.val_loss)}, {ratio:.0%} of "
        f"the trivial {_g(trivial)}{acc}."
    )


def gradient_sentences(result: CompareResult) -> list[str]:
    """How much gradient reaches k = lag steps back, at init; where it peaks after training."""
    rs = [r for r in result.results if len(r.grad_init) > 1]
    if not rs:
        return []
    k = min(result.task.lag, len(rs[0].grad_init) - 1)
    parts = []
    for r in rs:
        g = r.grad_init
        rel = g[k] / g[0] if g[0] > 0 else math.nan
        parts.append(f"{r.spec.label} {rel:.1e} (×{decay_per_step(g, k):.2f} per step)")
    out = [
        f"At initialisation, the gradient reaching the input {k} steps back, relative to the "
        f"last step, is: {'; '.join(parts)}."
    ]
    rel = {r.spec.label: r.grad_init[k] / r.grad_init[0] for r in rs if r.grad_init[0] > 0}
    if len(rel) > 1:
        lo, hi = min(rel, key=rel.get), max(rel, key=rel.get)
        if rel[lo] > 0 and rel[hi] / rel[lo] >= 10:
            out.append(
                f"So {lo} starts with a learning signal from {k} steps back about "
                f"{_times(rel[hi] / rel[lo])}× weaker than {hi}'s: that is the vanishing gradient."
            )
    peaks = []
    for r in rs:
        if r.fit.history:
            g = r.grad_trained
            peak = max(range(1, len(g)), key=lambda i: g[i])
            peaks.append(f"{r.spec.label} at {peak}")
    if peaks:
        where = (
            f" (the task's information is {result.task.lag} steps back)"
            if result.task.name in TASKS
            else ""
        )
        out.append(
            f"After training, the gradient is largest (beyond the last step) this many steps "
            f"back: {', '.join(peaks)}{where}."
        )
    return out


def cost_sentence(result: CompareResult) -> str | None:
    """Parameters and seconds per epoch relative to the smallest architecture."""
    rs = [r for r in result.results if r.fit.history]
    if len(rs) < 2:
        return None
    base = min(rs, key=lambda r: r.n_params)
    parts = [
        f"{r.spec.label} {r.n_params / base.n_params:.1f}× the parameters "
        f"({r.n_params:,}) and {r.seconds_per_epoch / base.seconds_per_epoch:.1f}× the time "
        "per epoch"
        for r in rs
        if r is not base
    ]
    return f"Cost, against {base.spec.label} ({base.n_params:,} parameters): {'; '.join(parts)}."


def clipping_sentences(result: CompareResult) -> list[str]:
    """For pairs 'X, clipped' / 'X, no clip': loss and largest mean gradient norm of each."""
    by = result.by_label()
    out = []
    for label, r in by.items():
        if not label.endswith(", clipped"):
            continue
        other = by.get(label.replace(", clipped", ", no clip"))
        if other is None:
            continue
        name = label.removesuffix(", clipped")
        peak = max((h["grad_norm"] for h in other.fit.history), default=math.nan)
        out.append(
            f"{name}: validation loss {_g(r.val_loss)} with clipping at {r.clip_norm:g}, "
            f"{_g(other.val_loss)} without"
            + (" (diverged)" if other.fit.reason == DIVERGED else "")
            + f"; unclipped, its mean gradient norm reached {_g(peak)} per epoch."
        )
    return out


def read_comparison(result: CompareResult) -> list[str]:
    """The whole reading: budget, one verdict per architecture, best vs worst, gradients,
    clipping, cost. Markdown sentences."""
    b = result.budget
    clip = result.train_cfg.clip_norm
    lines = [
        f"Same data ({b['n_train']:,} training and {b['n_val']:,} validation sequences), "
        f"same seed ({b['seed']}), same budget: {b['epochs']} epochs of batch {b['batch_size']} "
        f"({b['steps']:,} steps), learning rate {b['lr']:g}, {b['hidden_size']} hidden units"
        + (f", gradient clipping at {clip:g}." if clip else ", no gradient clipping.")
    ]
    if result.stopped:
        lines.append("You stopped the comparison: the numbers cover only what was trained.")
    lines += [verdict(r, result) for r in result.results]
    done = [r for r in result.results if r.fit.reason != USER_STOPPED and r.fit.history]
    if len(done) > 1:
        best = min(done, key=lambda r: r.val_loss)
        worst = max(done, key=lambda r: r.val_loss)
        if best.val_loss > 0 and worst.val_loss / best.val_loss >= 2:
            lines.append(
                f"{best.spec.label}'s validation loss is {_times(worst.val_loss / best.val_loss)}× "
                f"lower than {worst.spec.label}'s."
            )
    lines += gradient_sentences(result)
    lines += clipping_sentences(result)
    cost = cost_sentence(result)
    if cost:
        lines.append(cost)
    return lines
