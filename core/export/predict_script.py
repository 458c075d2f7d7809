"""Forecast the next values of a series with an exported LSTM Lab model.

Needs only numpy, pandas and onnxruntime (no torch, no LSTM Lab). Usage:

    python predict.py data.csv            # one line per step: t+1 <value>
    python predict.py data.csv --json     # {"target": ..., "forecast": [...]}

The CSV needs the columns named in settings.json ("features" and "target"), oldest row
first; its last "lookback" rows are the model's input. settings.json and model.onnx are
read from this script's folder unless --settings / --model say otherwise.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def encode(x, base, mode):
    """Inputs relative to the window's last row, as the model was trained."""
    if mode == "level":
        return x
    if mode == "diff":
        return x - base
    if mode == "ratio":
        return x / base - 1.0
    raise ValueError(f"unknown normalize mode {mode!r}")


def decode(z, base, mode):
    """Model outputs (unscaled) back to the target's units."""
    if mode == "level":
        return z
    if mode == "diff":
        return base + z
    if mode == "ratio":
        return base * (1.0 + z)
    raise ValueError(f"unknown normalize mode {mode!r}")


def forecast(frame, settings, session):
    """The next `horizon` values of the target after the frame's last row."""
    cols, target, lookback = settings["features"], settings["target"], settings["lookback"]
    missing = [c for c in dict.fromkeys([*cols, target]) if c not in frame.columns]
    if missing:
        sys.exit(f"error: the CSV has no column {', '.join(missing)} (it has: "
                 f"{', '.join(map(str, frame.columns))})")  # fmt: skip
    if len(frame) < lookback:
        sys.exit(f"error: the model needs the last {lookback} rows; the CSV has {len(frame)}")
    data = frame[cols].to_numpy(np.float64)[-lookback:]  # (T, F)
    last = float(frame[target].to_numpy(np.float64)[-1])
    if not (np.isfinite(data).all() and np.isfinite(last)):
        sys.exit(f"error: the last {lookback} rows have missing or non-numeric values")
    mode = settings["normalize"]
    fs, ts = settings["feature_scaler"], settings["target_scaler"]
    x = (encode(data, data[-1:], mode) - np.asarray(fs["shift"])) / np.asarray(fs["scale"])
    y = session.run(["y"], {"x": x[None].astype(np.float32)})[0][0].astype(np.float64)
    z = y * ts["scale"][0] + ts["shift"][0]
    return decode(z, last, mode)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Forecast the next values of a CSV series.")
    ap.add_argument("csv", help="the series, oldest row first")
    ap.add_argument("--settings", default=str(HERE / "settings.json"))
    ap.add_argument("--model", default=None, help="default: the model named in settings.json")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    import onnxruntime as ort  # here, so the lab can import this file without it

    settings = json.loads(Path(args.settings).read_text())
    model = args.model or str(Path(args.settings).resolve().parent / settings["model"])
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    values = forecast(pd.read_csv(args.csv), settings, session)
    if args.json:
        print(json.dumps({"target": settings["target"], "forecast": [float(v) for v in values]}))
    else:
        for k, v in enumerate(values, 1):
            print(f"t+{k}\t{v:.10g}")


if __name__ == "__main__":
    main()
