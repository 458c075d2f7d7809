"""Sentiment classifiers in the runs folder: kind "sentiment", format "lstm-lab/sentiment".

A saved sentiment run is a folder like every run: meta.json (configs, dataset provenance
with its sha256, best validation cross-entropy in nats, accuracies of the model and both
baselines on the test split, timings, device), history.json (one record per epoch:
train/val cross-entropy and accuracy) and payload.pt, which is exactly the checkpoint a
user downloads (``core.runs.formats.sentiment``), loaded back with ``weights_only=True``.
"""

from __future__ import annotations

import math

from core.runs.formats.sentiment import (
    FORMAT,
    SCORED,
    dataset_summary,
    sentiment_from_dict,
    sentiment_to_dict,
)
from core.runs.registry import RunKind, register
from core.sentiment.train import SentimentRun


def _finite(v) -> float | None:
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None


class SentimentKind(RunKind):
    kind, format, label = "sentiment", FORMAT, "sentiment model"
    units = "cross-entropy / accuracy"  # best_val_loss: cross-entropy in nats
    run_type = SentimentRun

    def to_payload(self, run: SentimentRun) -> dict:
        return sentiment_to_dict(run)

    def from_payload(self, ckpt: dict) -> SentimentRun:
        return sentiment_from_dict(ckpt)

    def history(self, run: SentimentRun) -> list[dict]:
        return list(run.fit.history) if run.fit else []

    def data_name(self, run: SentimentRun) -> str:
        return run.dataset.name

    def default_name(self, run: SentimentRun) -> str:
        m = run.model_cfg
        bi = "bi-" if m.bidirectional else ""
        att = " + attention" if m.attention else ""
        return f"{bi}{m.cell.upper()} {m.hidden_size}×{m.num_layers}{att} · {run.dataset.name}"

    def meta(self, run: SentimentRun) -> dict:
        fit, hist = run.fit, self.history(run)
        best = next((h for h in hist if fit and h.get("epoch") == fit.best_epoch), None)
        rates = [h["samples_per_s"] for h in hist if _finite(h.get("samples_per_s"))]
        return {
            "data_cfg": run.text_cfg.to_dict(),  # how sentences became ids, and the split
            "model_cfg": run.model_cfg.to_dict(),
            "train_cfg": run.train_cfg.to_dict(),
            "dataset": {**dataset_summary(run), "vocab_size": len(run.prepared.vocab)},
            "fit": {
                "best_val_loss": _finite(fit.best_val_loss) if fit else None,  # nats
                "best_epoch": fit.best_epoch if fit else None,
                "best_val_acc": _finite((best or {}).get("val_acc")),
                "reason": fit.reason if fit else None,
                "message": fit.message if fit else "",
                "seconds": fit.seconds if fit else None,
                "sentences_per_s": sum(rates) / len(rates) if rates else None,
                "device": fit.device if fit else {},
            },
            "test": {  # held-out test split: the model against both baselines
                k: {m: _finite(run.results[k].get(m)) for m in ("accuracy", "macro_f1")}
                for k in SCORED
                if k in run.results
            }
            | {"n": (run.results.get("model") or {}).get("n"), "classes": list(run.classes)},
            "n_epochs": len(hist),
            "n_params": run.n_params,
        }


register(SentimentKind())
