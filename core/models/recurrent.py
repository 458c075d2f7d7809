"""One recurrent forecaster for every cell type.

x (B, T, F) -> recurrent stack (L layers, D directions, H units)
           -> final hidden state of the top layer, both directions (B, D*H)
           -> linear head (B, K)
"""

from __future__ import annotations

import torch
from torch import nn

from core.config import ModelConfig

CELL_CLASSES: dict[str, type[nn.RNNBase]] = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
GATE_BLOCKS = {"lstm": 4, "gru": 3, "rnn": 1}  # weight blocks per cell: (i, f, g, o), (r, z, n), h


def make_rnn(cfg: ModelConfig) -> nn.RNNBase:
    """The recurrent stack (batch_first) with the tutorials' initialisation options."""
    if cfg.cell not in CELL_CLASSES:
        raise ValueError(f"cell must be one of {', '.join(CELL_CLASSES)}, got {cfg.cell!r}")
    rnn = CELL_CLASSES[cfg.cell](
        input_size=cfg.input_size,
        hidden_size=cfg.hidden_size,
        num_layers=cfg.num_layers,
        bidirectional=cfg.bidirectional,
        dropout=cfg.dropout if cfg.num_layers > 1 else 0.0,
        batch_first=True,
    )
    init_recurrent(rnn, cfg.cell, cfg.forget_bias, cfg.orthogonal_init)
    return rnn


@torch.no_grad()
def init_recurrent(rnn: nn.RNNBase, cell: str, forget_bias: float | None, orthogonal: bool) -> None:
    """Orthogonal W_hh per gate block; LSTM forget-gate bias (b_ih + b_hh) = forget_bias.

    PyTorch orders LSTM gate blocks (i, f, g, o) and GRU blocks (r, z, n), each H rows.
    """
    h = rnn.hidden_size
    for name, p in rnn.named_parameters():
        if orthogonal and name.startswith("weight_hh"):
            for block in p.split(h, dim=0):
                nn.init.orthogonal_(block)
        if cell == "lstm" and forget_bias is not None and name.startswith("bias_"):
            # the effective bias is b_ih + b_hh: put the whole value in b_ih
            p[h : 2 * h] = forget_bias if name.startswith("bias_ih") else 0.0


class RecurrentForecaster(nn.Module):
    """Recurrent stack + linear head predicting the next K values of the target."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.rnn = make_rnn(cfg)
        self.head = nn.Linear(cfg.hidden_size * cfg.directions, cfg.horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, T, F) -> (B, K)
        _, state = self.rnn(x)
        h_n = state[0] if isinstance(state, tuple) else state  # (L*D, B, H)
        d = self.cfg.directions
        last = torch.cat([h_n[-d + i] for i in range(d)], dim=-1)  # (B, D*H)
        return self.head(last)

    @torch.no_grad()
    def predict(self, x: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
        """Inference in eval mode, in batches, on the model's device; returns (B, K) on CPU."""
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        out = [self(x[i : i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)]
        self.train(was_training)
        if not out:
            return torch.zeros(0, self.cfg.horizon)
        return torch.cat(out)


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters of a built model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def parameter_count(cfg: ModelConfig) -> int:
    """Trainable parameters of ``RecurrentForecaster(cfg)``, by arithmetic (nothing is built).

    Per layer and direction, G weight blocks of H rows (G = 4 LSTM, 3 GRU, 1 RNN):
    W_ih (G*H, in) + W_hh (G*H, H) + b_ih + b_hh (G*H each), where in = F for the first layer
    and D*H above it; then the head, (D*H -> K) weights + K biases.
    """
    g, h, d = GATE_BLOCKS[cfg.cell], cfg.hidden_size, cfg.directions
    stack = sum(
        d * g * h * ((cfg.input_size if layer == 0 else d * h) + h + 2)
        for layer in range(cfg.num_layers)
    )
    return stack + d * h * cfg.horizon + cfg.horizon
