"""FP32 ONNX -> int8 (ONNX Runtime dynamic quantization) and fp16 (onnx float16 conversion).

int8: ``onnxruntime.quantization.quantize_dynamic`` stores weights as int8 and quantizes
activations on the fly; an LSTM node becomes ``DynamicQuantizeLSTM`` and the linear head a
``MatMulInteger``. GRU and plain RNN nodes have no dynamic-quantized operator: only their
head is quantized (``recurrent_quantized`` says so).

fp16: weights stored as float16 with float32 inputs/outputs (``keep_io_types``). ONNX
Runtime's CPU provider has no float16 LSTM/GRU/RNN or Gemm kernels, so it inserts casts and
computes in float32: on a CPU the file is half the size but not faster (usually slower).
"""

from __future__ import annotations

import importlib
import logging
import tempfile
from pathlib import Path

from core.models.onnx_export import ExportError

VARIANTS = ("fp32", "int8", "fp16")
RECURRENT_OPS = {"LSTM", "GRU", "RNN"}
QUANTIZED_RECURRENT_OPS = {"DynamicQuantizeLSTM"}
INSTALL = "pip install -r requirements-onnx.txt"


def need(module: str, what: str, package: str | None = None):
    """Import an optional module, or ExportError saying which package to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = package or module.split(".")[0]
        raise ExportError(f"{what} needs the optional '{top}' package: {INSTALL}") from None


def to_int8(fp32: bytes) -> bytes:
    """Dynamic int8 quantization of an FP32 ONNX model (weights int8, activations on the fly)."""
    q = need("onnxruntime.quantization", "int8 quantization")
    with tempfile.TemporaryDirectory(prefix="lstmlab-q-") as tmp:
        src, dst = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        src.write_bytes(fp32)
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # its "consider pre-processing" advice, on every call
        try:
            q.quantize_dynamic(str(src), str(dst), weight_type=q.QuantType.QInt8)
        except Exception as e:
            raise ExportError(f"int8 quantization failed: {type(e).__name__}: {e}") from None
        finally:
            root.setLevel(level)
        return dst.read_bytes()


def to_fp16(fp32: bytes) -> bytes:
    """Weights as float16, inputs and outputs still float32."""
    onnx = need("onnx", "fp16 conversion")
    f16 = need("onnxruntime.transformers.float16", "fp16 conversion")
    try:
        model = f16.convert_float_to_float16(onnx.load_from_string(fp32), keep_io_types=True)
    except Exception as e:
        raise ExportError(f"fp16 conversion failed: {type(e).__name__}: {e}") from None
    return model.SerializeToString()


def convert(fp32: bytes, variant: str) -> bytes:
    """The FP32 model as ``variant`` (one of VARIANTS)."""
    if variant == "fp32":
        return fp32
    if variant == "int8":
        return to_int8(fp32)
    if variant == "fp16":
        return to_fp16(fp32)
    raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")


def op_types(model: bytes) -> list[str]:
    """The operator types of the graph, in order."""
    onnx = need("onnx", "reading an ONNX graph")
    return [n.op_type for n in onnx.load_from_string(model).graph.node]


def recurrent_quantized(model: bytes) -> bool | None:
    """True when every recurrent node is a quantized one, False when some is not, None when
    the graph has no recurrent node."""
    ops = set(op_types(model))
    if not ops & (RECURRENT_OPS | QUANTIZED_RECURRENT_OPS):
        return None
    return not ops & RECURRENT_OPS


def session(model: bytes, threads: int = 1):
    """An ONNX Runtime CPU session with fixed thread counts."""
    ort = need("onnxruntime", "running an ONNX model")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3  # no warnings about the casts fp16 needs on a CPU
    try:
        return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    except Exception as e:
        raise ExportError(f"ONNX Runtime cannot load this model: {str(e)[:300]}") from None
