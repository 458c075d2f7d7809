"""A zip that forecasts without the lab: model.onnx, settings.json, predict.py, README.txt.

settings.json holds what the windowing stack (``core.data.windows``) needs to rebuild the
model's input from raw rows: the input columns and target, lookback, horizon, the
normalize mode and both fitted scalers. ``predict.py`` (``predict_script.py`` here) repeats
:meth:`core.forecast.run.ForecastRun.next_values` with numpy, pandas and onnxruntime only.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from core.export.variants import convert
from core.forecast.run import ForecastRun

FORMAT = "lstm-lab/onnx-bundle"
SCRIPT = Path(__file__).with_name("predict_script.py")
READ_ME = """An LSTM Lab forecaster, exported ({variant} ONNX).

  pip install numpy pandas onnxruntime
  python predict.py your_series.csv          # the next {horizon} value(s) of '{target}'
  python predict.py your_series.csv --json

The CSV needs the column(s) {columns} (oldest row first); the last {lookback} rows are the
input. settings.json holds the scalers and window settings; model.onnx takes x float32
(batch, time, features) scaled and returns y float32 (batch, horizon) scaled.
"""


def settings(run: ForecastRun, variant: str, name: str = "", run_id: str = "") -> dict:
    cfg, p = run.data_cfg, run.prepared
    return {
        "format": FORMAT,
        "version": 1,
        "model": "model.onnx",
        "variant": variant,
        "target": cfg.target,
        "features": list(cfg.input_columns),
        "lookback": cfg.lookback,
        "horizon": cfg.horizon,
        "normalize": cfg.normalize,
        "scaler": cfg.scaler,
        "feature_scaler": p.feature_scaler.to_dict(),
        "target_scaler": p.target_scaler.to_dict(),
        "input": f"x float32 (batch, time, {len(cfg.input_columns)}), scaled",
        "output": f"y float32 (batch, {cfg.horizon}), scaled",
        "run": {"id": run_id, "name": name, "data": run.dataset.name, "cell": run.model_cfg.cell},
    }


def bundle_bytes(
    run: ForecastRun, fp32: bytes, variant: str = "fp32", name: str = "", run_id: str = ""
) -> bytes:
    """The zip's bytes (built in memory: nothing is written until it is complete)."""
    model = convert(fp32, variant)
    cfg = run.data_cfg
    text = READ_ME.format(
        variant=variant,
        horizon=cfg.horizon,
        target=cfg.target,
        columns=", ".join(dict.fromkeys([*cfg.input_columns, cfg.target])),
        lookback=cfg.lookback,
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("model.onnx", model)
        z.writestr("settings.json", json.dumps(settings(run, variant, name, run_id), indent=1))
        z.writestr("predict.py", SCRIPT.read_text())
        z.writestr("README.txt", text)
    return buf.getvalue()
