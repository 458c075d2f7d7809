"""What a fit returns: its history, why it ended, and the best epoch; stored in checkpoints
and run folders, so :meth:`FitResult.from_dict` checks what it reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# why a fit ended
COMPLETED = "completed"
EARLY_STOPPED = "early_stopping"
USER_STOPPED = "stopped"
DIVERGED = "diverged"


@dataclass
class FitResult:
    history: list[dict]  # one record per completed epoch
    reason: str  # COMPLETED, EARLY_STOPPED, USER_STOPPED or DIVERGED
    message: str  # a sentence for the user
    best_epoch: int | None  # 1-based epoch with the lowest validation loss
    best_val_loss: float | None
    device: dict = field(default_factory=dict)
    seconds: float = 0.0
    warning: str = ""  # a sentence when the result is not worth using (worse than the mean)

    def to_dict(self) -> dict:
        return {
            "history": self.history,
            "reason": self.reason,
            "message": self.message,
            "best_epoch": self.best_epoch,
            "best_val_loss": self.best_val_loss,
            "device": self.device,
            "seconds": self.seconds,
            "warning": self.warning,
        }

    @classmethod
    def from_dict(cls, d: Any) -> FitResult:
        """From :meth:`to_dict` output (e.g. a checkpoint's); ValueError names what is wrong."""
        if not isinstance(d, dict):
            raise ValueError("the training summary is not a dict")
        unknown = sorted(str(k)[:40] for k in set(d) - set(_FIT_TYPES))
        if unknown:
            raise ValueError(f"unknown training summary field(s): {', '.join(unknown[:5])}")
        for key, types in _FIT_TYPES.items():
            required = key in ("history", "reason", "message", "best_epoch", "best_val_loss")
            if key not in d:
                if required:
                    raise ValueError(f"the training summary lacks its {key!r} field")
                continue
            value = d[key]
            if isinstance(value, bool) or not isinstance(value, types):
                raise ValueError(f"the training summary's {key!r} field has the wrong type")
        if not all(isinstance(r, dict) for r in d["history"]):
            raise ValueError("the training summary's history is not a list of records")
        return cls(**d)


_FIT_TYPES: dict[str, type | tuple[type, ...]] = {
    "history": list,
    "reason": str,
    "message": str,
    "best_epoch": (int, type(None)),
    "best_val_loss": (int, float, type(None)),
    "device": dict,
    "seconds": (int, float),
    "warning": str,
}
