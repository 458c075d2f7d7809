"""How the loss gradient reaches back in time: its norm at each lag before the last step,
and the geometric shrink per step that the vanishing-gradient story is told with."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

GRAD_SAMPLES = 256  # validation sequences used for the gradient-vs-lag profile


def input_gradient_profile(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> np.ndarray:
    """Norm of the loss gradient w.r.t. the input at each lag before the last step.

    x (B, T, F), y (B, K); L = loss_fn(model(x), y), the batch-mean loss.
    Returns g (T,) with g[k] = ||dL/dx[:, T-1-k, :]||_2 (over B and F), k = 0..T-1:
    g[0] is the last step, g[k] the step k steps earlier. The model's weights are
    not changed and no parameter gradient is kept.
    """
    device = next(model.parameters()).device
    x = x.detach().to(device).clone().requires_grad_(True)
    was_training = model.training
    model.train()  # cuDNN only backpropagates through RNNs in training mode; dropout is 0 here
    loss = loss_fn(model(x), y.to(device))
    (grad,) = torch.autograd.grad(loss, x)  # (B, T, F)
    model.train(was_training)
    per_step = grad.double().pow(2).sum(dim=(0, 2)).sqrt()  # (T,)
    return per_step.flip(0).cpu().numpy()  # index k = lag from the last step


def decay_per_step(g: Sequence[float], k: int) -> float:
    """Geometric shrink factor per step over k steps: (g[k] / g[0]) ** (1 / k)."""
    if k <= 0 or g[0] <= 0 or g[k] <= 0:
        return math.nan
    return float((g[k] / g[0]) ** (1.0 / k))
