"""The architectures a comparison trains: cell, depth, direction, initialisation and
clipping, each under a label shown in legends and tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from core.compare.longmemory import TaskData
from core.config import ModelConfig, TrainConfig


@dataclass(frozen=True)
class ArchSpec:
    """One architecture of a comparison."""

    label: str  # shown in legends and tables
    cell: str  # lstm, gru or rnn
    num_layers: int = 1  # L
    bidirectional: bool = False  # D = 2
    forget_bias: float | None = 1.0  # LSTM forget-gate bias at init; None = PyTorch's (~0)
    orthogonal_init: bool = False  # False: PyTorch's uniform init, the textbook setting
    clip: bool | None = None  # None: as the TrainConfig; False: no clipping; True: clip

    def model_config(self, task: TaskData, hidden_size: int) -> ModelConfig:
        return ModelConfig(
            cell=self.cell,
            input_size=task.input_size,
            hidden_size=hidden_size,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            horizon=task.output_size,
            forget_bias=self.forget_bias,
            orthogonal_init=self.orthogonal_init,
        )

    def train_config(self, cfg: TrainConfig) -> TrainConfig:
        if self.clip is None:
            return cfg
        return cfg.replace(clip_norm=(cfg.clip_norm or 1.0) if self.clip else None)


ARCHITECTURES: dict[str, ArchSpec] = {
    s.label: s
    for s in (
        ArchSpec("RNN", "rnn"),
        ArchSpec("GRU", "gru"),
        ArchSpec("LSTM", "lstm"),
        ArchSpec("LSTM (PyTorch forget bias)", "lstm", forget_bias=None),
        ArchSpec("RNN ×2", "rnn", num_layers=2),
        ArchSpec("GRU ×2", "gru", num_layers=2),
        ArchSpec("LSTM ×2", "lstm", num_layers=2),
        ArchSpec("bi-RNN", "rnn", bidirectional=True),
        ArchSpec("bi-GRU", "gru", bidirectional=True),
        ArchSpec("bi-LSTM", "lstm", bidirectional=True),
    )
}
DEFAULT_ARCHS = ("RNN", "GRU", "LSTM")
CELL_LABELS = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}


def with_orthogonal(specs: Sequence[ArchSpec], orthogonal: bool) -> list[ArchSpec]:
    """The same architectures with orthogonal recurrent weights (a known fix for plain RNNs)."""
    return [replace(s, orthogonal_init=orthogonal) for s in specs]


def depth_specs(cells: Sequence[str], num_layers: int) -> list[ArchSpec]:
    """A deeper stack of each cell, trained once with and once without gradient clipping."""
    specs = []
    for cell in cells:
        name = f"{CELL_LABELS[cell]} ×{num_layers}"
        specs.append(ArchSpec(f"{name}, clipped", cell, num_layers=num_layers, clip=True))
        specs.append(ArchSpec(f"{name}, no clip", cell, num_layers=num_layers, clip=False))
    return specs
