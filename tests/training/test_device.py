"""core.training.device: the choices offered and the device they resolve to."""

from __future__ import annotations

import torch

from core.training.device import device_choices, resolve_device


def test_device_choices_offer_cuda_only_where_it_is_seen(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert device_choices() == ["auto", "cpu"]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device_choices() == ["auto", "cpu", "cuda"]


def test_every_choice_resolves():
    for name in device_choices():
        assert resolve_device(name).type in ("cpu", "cuda", "mps")
