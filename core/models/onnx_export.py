"""ONNX export of a forecaster, and a parity check with onnxruntime (both optional extras).

The exported graph takes ``x`` (B, T, F) float32 and returns ``y`` (B, K), the scaled
forecast, exactly as ``RecurrentForecaster.forward``; batch and time are dynamic axes.

Exporter choice (measured on torch 2.13, CPU): the TorchScript exporter (``dynamo=False``)
writes nn.LSTM/GRU/RNN as ONNX's own LSTM/GRU/RNN operators, exports in well under a
second and keeps batch and time dynamic for every cell, bidirectional included. The
dynamo exporter took about 7 s per model and fixed the time axis of bidirectional models.
PyTorch marks the TorchScript exporter as deprecated, so when it is gone we fall back to
dynamo with a fixed time axis T = the run's lookback.

Needs the ``onnx`` package (``pip install -r requirements-onnx.txt``); the parity check
also needs ``onnxruntime``. Neither is needed to train or use the lab.
"""

from __future__ import annotations

import importlib.util
import io
import warnings

import numpy as np
import torch

from core.models.recurrent import RecurrentForecaster


class ExportError(RuntimeError):
    """The export could not run; the message says what to install or change."""


def available(module: str) -> bool:
    """Whether an optional package (onnx, onnxruntime) is installed."""
    return importlib.util.find_spec(module) is not None


def export_onnx(model: RecurrentForecaster, lookback: int, opset: int = 17) -> bytes:
    """The model as ONNX bytes: input "x" (B, T, F) -> output "y" (B, K)."""
    if not available("onnx"):
        raise ExportError(
            "ONNX export needs the optional 'onnx' package: pip install -r requirements-onnx.txt"
        )
    model = model.cpu().eval()
    x = torch.zeros(2, lookback, model.cfg.input_size)  # (B, T, F) example input
    buf = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
            torch.onnx.export(
                model,
                (x,),
                buf,
                input_names=["x"],
                output_names=["y"],
                dynamic_axes={"x": {0: "batch", 1: "time"}, "y": {0: "batch"}},
                opset_version=opset,
                dynamo=False,
            )
    except Exception as legacy_error:  # the TorchScript exporter removed or failing
        buf = io.BytesIO()
        try:
            batch = torch.export.Dim("batch")
            torch.onnx.export(
                model, (x,), buf, input_names=["x"], output_names=["y"],
                dynamic_shapes={"x": {0: batch}}, dynamo=True,
            )  # fmt: skip
        except Exception as e:
            raise ExportError(
                f"ONNX export failed ({type(legacy_error).__name__}: {legacy_error}; "
                f"then {type(e).__name__}: {str(e)[:200]})"
            ) from None
    return buf.getvalue()


def onnx_parity(
    onnx_bytes: bytes, model: RecurrentForecaster, lookback: int, batch: int = 16, seed: int = 0
) -> float:
    """max |onnxruntime(x) - model(x)| over random inputs x ~ N(0, 1) of shape (B, T, F)."""
    if not available("onnxruntime"):
        raise ExportError(
            "checking the ONNX file needs the optional 'onnxruntime' package: "
            "pip install -r requirements-onnx.txt"
        )
    import onnxruntime as ort

    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, lookback, model.cfg.input_size, generator=g)  # (B, T, F)
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    got = session.run(["y"], {"x": x.numpy()})[0]  # (B, K)
    with torch.no_grad():
        want = model.cpu().eval()(x).numpy()
    return float(np.abs(got - want).max())
