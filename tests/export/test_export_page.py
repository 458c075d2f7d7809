"""The Runs page's Export tab (real AppTest): the int8/fp16 table, the bundle and the
TensorBoard logs of a forecaster, built on a click; a missing package is a message."""

from __future__ import annotations

import io
import sys
import zipfile

from conftest import errors_of, run_page
from export_helpers import tiny_run

from core.runs.kinds import forecaster as forecaster_runs


def quant_table(at):
    """The comparison table (the dataframe with a "variant" column), or None."""
    return next((d.value for d in at.dataframe if "variant" in d.value.columns), None)


def test_export_tab_builds_the_table_the_bundle_and_the_logs(app, store):
    forecaster_runs.save(store, tiny_run(epochs=1))
    at = run_page(app, "runs.py")
    at.button(key="runs-quant-build").click().run(timeout=120)
    assert not errors_of(at)
    table = quant_table(at)
    assert list(table["variant"]) == ["pytorch eager", "onnx fp32", "onnx int8", "onnx fp16"]
    assert (table["ms/window b1"] > 0).all() and table["test MAE"].notna().all()
    labels = [b.proto.label for b in at.get("download_button")]
    assert any(lbl.startswith("ONNX int8 (") for lbl in labels)
    at.selectbox(key="runs-bundle-variant").set_value("int8")
    at.button(key="runs-bundle-build").click().run(timeout=120)
    at.button(key="runs-tb-build").click().run(timeout=120)
    assert not errors_of(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert any(lbl.startswith("Bundle, int8 (.zip") for lbl in labels)
    assert "TensorBoard logs (.zip)" in labels
    assert quant_table(at) is not None  # the table stays
    data = at.session_state["_runs_export_bundle"]["bytes"]
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert {"model.onnx", "settings.json", "predict.py"} <= set(names)


def test_without_onnxruntime_the_table_button_explains(app, store, monkeypatch):
    forecaster_runs.save(store, tiny_run(epochs=1))
    at = run_page(app, "runs.py")
    for name in [n for n in sys.modules if n == "onnxruntime" or n.startswith("onnxruntime.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    at.button(key="runs-quant-build").click().run(timeout=120)
    assert any("needs the optional 'onnxruntime' package" in e for e in errors_of(at))
    assert quant_table(at) is None
