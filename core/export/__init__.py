"""Take a trained forecaster out of the lab: ONNX variants (fp32, int8, fp16) with a
size/latency/accuracy table, a self-contained bundle (ONNX + scaler JSON + predict.py),
and a run's history as TensorBoard event files.

Every optional package (onnx, onnxruntime, tensorboard) is imported inside the function
that needs it; a missing one is an :class:`~core.models.onnx_export.ExportError` saying
what to install. Files are written atomically: a failed write (a full disk) leaves nothing
at the destination and never touches the run.
"""
