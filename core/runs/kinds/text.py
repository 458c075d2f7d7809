"""Text models in the runs folder: kind "text", checkpoint format "lstm-lab/charlm".

A saved text run is a folder like every run: meta.json (configs, corpus provenance with
its sha256, best validation bits per character, timings, device), history.json (one
record per logged step, losses in bits per character) and payload.pt, which is exactly
the charlm checkpoint a user downloads (``core.runs.formats.text``), loaded back with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import math

from core.runs.formats.text import FORMAT, text_run_from_dict, text_run_to_dict
from core.runs.registry import RunKind, register
from core.text.train import TextRun


def _finite(v) -> float | None:
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None


def best_record(history: list[dict]) -> dict | None:
    """The record with the lowest validation bits per character (None without any)."""
    scored = [h for h in history if _finite(h.get("val_loss")) is not None]
    return min(scored, key=lambda h: h["val_loss"]) if scored else None


class TextKind(RunKind):
    kind, format, label = "text", FORMAT, "text model"
    units = "bits/char"
    run_type = TextRun

    def to_payload(self, run: TextRun) -> dict:
        return text_run_to_dict(run)

    def from_payload(self, ckpt: dict) -> TextRun:
        return text_run_from_dict(ckpt)

    def history(self, run: TextRun) -> list[dict]:
        return list(run.history)

    def data_name(self, run: TextRun) -> str:
        return str(run.corpus.get("name") or "text")

    def default_name(self, run: TextRun) -> str:
        m = run.model_cfg
        return f"{m.cell.upper()} {m.hidden_size}×{m.num_layers} · {self.data_name(run)}"

    def trained(self, run: TextRun) -> bool:
        """At least one optimizer step (a stop before the first record still counts)."""
        return int(run.result.get("steps") or 0) > 0

    def meta(self, run: TextRun) -> dict:
        best, res = best_record(run.history), run.result
        rates = [h["samples_per_s"] for h in run.history if _finite(h.get("samples_per_s"))]
        corpus = run.corpus
        return {
            "model_cfg": run.model_cfg.to_dict(),
            "train_cfg": run.train_cfg.to_dict(),
            "dataset": {
                "name": corpus.get("name", "text"),
                "provenance": corpus.get("provenance", {}),
                "fingerprint": corpus.get("fingerprint"),  # sha256 of the UTF-8 text
                "chars": corpus.get("chars"),
                "bytes": corpus.get("bytes"),
                "vocab_size": run.vocab.size,
            },
            "fit": {
                "best_val_loss": best["val_loss"] if best else None,  # bits per character
                "best_step": best["step"] if best else None,
                "final_val_loss": run.val_bpc,
                "reason": res.get("reason"),
                "message": res.get("message", ""),
                "seconds": res.get("seconds"),
                "steps": res.get("steps"),
                "chars_per_s": sum(rates) / len(rates) if rates else None,
                "device": res.get("device") or {},
            },
            "baselines": dict(run.baselines),
            "n_epochs": max((h.get("epoch", 0) for h in run.history), default=0),
            "n_steps": res.get("steps"),
            "n_params": run.n_params,
        }


register(TextKind())
