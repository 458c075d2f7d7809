"""A run's history as TensorBoard event files (``tensorboard --logdir DIR``).

Scalars, one step per epoch: ``loss/train``, ``loss/val`` (in the run's units: MSE of the
scaled target, bits per character...), ``optim/lr``, ``optim/grad_norm`` (mean gradient
norm of the epoch's batches, before clipping), ``time/seconds`` and
``time/samples_per_s``; any other number the history holds goes under ``history/``. A
forecaster with a gate recording adds ``gates/mean_<gate>`` and ``gates/saturated`` (the
probe window's mean sigmoid-gate activation and share of values below 0.1 or above 0.9,
layer 1, forward direction) at the recorded epochs (0 = the initial weights).

Written with ``torch.utils.tensorboard.SummaryWriter`` (needs the optional ``tensorboard``
package) into a temporary folder next to the destination, then renamed into place: a
failed write leaves nothing at ``DIR/<run id>``.
"""

from __future__ import annotations

import io
import math
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from core.export.variants import need
from core.gates.probe import gate_trend, recording_of

TAGS = {
    "train_loss": "loss/train",
    "val_loss": "loss/val",
    "lr": "optim/lr",
    "grad_norm": "optim/grad_norm",
    "seconds": "time/seconds",
    "samples_per_s": "time/samples_per_s",
}


def scalars(history: list[dict], extras: dict | None = None) -> dict[str, list[tuple[int, float]]]:
    """tag -> [(step, value)]: what the event files will hold (finite numbers only)."""
    out: dict[str, list[tuple[int, float]]] = {}
    for i, rec in enumerate(history):
        step = int(rec.get("epoch", i + 1))
        for key, value in rec.items():
            if key == "epoch" or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if math.isfinite(value):
                out.setdefault(TAGS.get(key, f"history/{key}"), []).append((step, float(value)))
    recording = recording_of(extras or {})
    if recording is not None and len(recording):
        trend = gate_trend(recording)
        for key, values in trend.items():
            if key == "epoch":
                continue
            tag = "gates/" + key.replace(" ", "_")
            out[tag] = [(int(e), float(v)) for e, v in zip(trend["epoch"], values, strict=True)]
    return out


def write_events(folder: Path, series: dict[str, list[tuple[int, float]]]) -> None:
    """Event files for ``series`` in ``folder`` (which must exist)."""
    tb = need("torch.utils.tensorboard", "TensorBoard export", "tensorboard")
    writer = tb.SummaryWriter(log_dir=str(folder))
    try:
        for tag, points in series.items():
            for step, value in points:
                writer.add_scalar(tag, value, step)
    finally:
        writer.close()


def export_dir(series: dict, out_dir: str | os.PathLike, name: str) -> Path:
    """Write the events to ``out_dir/name`` (replacing an earlier export of the same run);
    on any error nothing is left there and an earlier export stays as it was."""
    need(
        "torch.utils.tensorboard", "TensorBoard export", "tensorboard"
    )  # before creating any folder
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dest = out / name
    tmp = Path(tempfile.mkdtemp(dir=out, prefix=".tmp-tb-"))
    try:
        write_events(tmp, series)
        if dest.exists():
            old = Path(tempfile.mkdtemp(dir=out, prefix=".old-tb-"))
            os.replace(dest, old / "x")
            os.replace(tmp, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def zip_bytes(series: dict, name: str) -> bytes:
    """The event files zipped, under ``name/`` (for a download)."""
    with tempfile.TemporaryDirectory(prefix="lstmlab-tb-") as tmp:
        folder = Path(tmp) / name
        folder.mkdir()
        write_events(folder, series)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(folder.rglob("*")):
                if f.is_file():
                    z.write(f, f.relative_to(tmp).as_posix())
        return buf.getvalue()
