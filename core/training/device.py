"""Device and thread selection, and a description of both for the UI."""

from __future__ import annotations

import os

import torch

ENV_THREADS = "LSTMLAB_THREADS"


def default_threads() -> int:
    """Torch intra-op threads for training.

    Small recurrent nets gain little from many threads, and torch with more
    threads than free cores stalls badly on shared machines (a sub-second fit
    was seen taking 26 to 70 s). We leave one core for the web server:
    ``cores - 1``, at least 1, at most 8. ``LSTMLAB_THREADS`` overrides.
    """
    env = os.environ.get(ENV_THREADS, "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(8, (cores or 1) - 1))


def configure_threads(n: int | None = None) -> int:
    """Set torch's intra-op thread count (process-wide) and return it."""
    n = default_threads() if n is None else max(1, int(n))
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def device_choices() -> list[str]:
    """The devices a user may pick here: "auto", "cpu", and "cuda" where a CUDA GPU is seen."""
    return ["auto", "cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' picks cuda, then mps, then cpu; an unavailable explicit device is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was requested but no CUDA GPU is available")
    if name == "mps" and not (
        getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
    ):
        raise ValueError("device 'mps' was requested but Apple MPS is not available")
    return torch.device(name)


def describe_device(device: torch.device | str) -> dict:
    """A JSON-able description: kind, name, memory (GPU) or thread count (CPU)."""
    device = torch.device(device)
    if device.type == "cuda":
        idx = device.index if device.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(idx)
        return {
            "type": "cuda",
            "name": props.name,
            "memory_total_gb": round(props.total_memory / 2**30, 1),
            "memory_allocated_gb": round(torch.cuda.memory_allocated(idx) / 2**30, 2),
            "label": f"GPU: {props.name} ({props.total_memory / 2**30:.0f} GiB)",
        }
    if device.type == "mps":
        return {"type": "mps", "name": "Apple MPS", "label": "GPU: Apple MPS"}
    threads = torch.get_num_threads()
    return {
        "type": "cpu",
        "name": "CPU",
        "threads": threads,
        "cores": os.cpu_count(),
        "label": f"CPU, {threads} torch thread{'s' if threads != 1 else ''} "
        f"of {os.cpu_count()} cores",
    }
