"""int8/fp16 ONNX variants and their comparison table, core and CLI, on a real tiny LSTM."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from export_helpers import save, tiny_run

from core.cli import main
from core.export import actions, compare
from core.export.variants import op_types, recurrent_quantized, to_int8
from core.models.onnx_export import export_onnx


@pytest.fixture(scope="module")
def trained():
    return tiny_run()


@pytest.fixture
def saved(tmp_path, trained):
    return save(tmp_path / "runs", trained)


def test_int8_is_a_dynamic_quantized_lstm_and_the_table_is_honest(saved, trained):
    store, run_id = saved
    result, models = actions.comparison(store, run_id, repeats=5, budget_s=0.2)
    rows = {r["variant"]: r for r in result["rows"]}
    assert list(rows) == ["pytorch eager", "onnx fp32", "onnx int8", "onnx fp16"]
    ops = op_types(models["int8"])
    assert "DynamicQuantizeLSTM" in ops and "LSTM" not in ops and "MatMulInteger" in ops
    assert recurrent_quantized(models["int8"]) is True
    assert "LSTM" in op_types(models["fp16"]) and "Cast" in op_types(models["fp16"])
    # MAE in the data's units, as the run's own scores compute it
    want = trained.scores("test")["model_mae"]
    assert rows["pytorch eager"]["test_mae"] == pytest.approx(want, rel=1e-9)
    assert rows["onnx fp32"]["test_mae"] == pytest.approx(want, rel=1e-5)
    assert rows["onnx fp32"]["max_diff"] < 1e-5
    assert 0 < rows["onnx int8"]["max_diff"] < 0.05  # quantized: close, not equal
    assert rows["onnx int8"]["mean_diff"] <= rows["onnx int8"]["max_diff"]
    assert rows["onnx int8"]["test_mae"] == pytest.approx(want, rel=0.05)
    assert 0 < rows["onnx fp16"]["max_diff"] < 5e-3
    for r in rows.values():
        assert r["bytes"] > 0 and r["ms_per_window_b1"] > 0 and r["ms_per_window_b64"] > 0
    assert rows["onnx fp32"]["speed_vs_fp32_b1"] == 1.0
    text = compare.table(result)
    assert "onnx int8" in text and "test MAE" in text and "not faster on a CPU" in text


def test_a_gru_keeps_its_float_recurrence_and_the_table_says_so():
    run = tiny_run(cell="gru", epochs=0)
    q = to_int8(export_onnx(run.model, run.data_cfg.lookback))
    assert "GRU" in op_types(q) and recurrent_quantized(q) is False
    result = compare.compare(run, export_onnx(run.model, 8), ("int8",), repeats=3, budget_s=0.1)
    assert "only the head is int8" in compare.table(result)


@pytest.mark.parametrize("normalize", ["level", "diff"])
def test_next_values_rebuild_the_windows_the_model_was_tested_on(normalize):
    run = tiny_run(normalize=normalize, epochs=0)
    w = run.prepared.test
    s = int(w.start[5])  # a test window whose first target is row s
    got = run.next_values(run.dataset.frame.iloc[:s])
    with torch.no_grad():
        want = run.prepared.to_units(run.model(torch.from_numpy(w.x)).numpy(), "test")[5]
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_cli_int8_writes_the_quantized_file_and_prints_the_table(saved, tmp_path, capsys):
    store, run_id = saved
    out = tmp_path / "m.int8.onnx"
    argv = ["export", "--run", str(store.root / run_id), "--onnx", str(out), "--int8"]
    assert main([*argv, "--repeats", "3"]) == 0
    printed = capsys.readouterr().out
    assert "onnx int8" in printed and "ms/window b64" in printed and "variant: int8" in printed
    assert "DynamicQuantizeLSTM" in op_types(out.read_bytes())
    assert main([*argv, "--repeats", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["variant"] == "int8" and result["onnx_bytes"] == out.stat().st_size
    assert [r["variant"] for r in result["comparison"]["rows"]][2] == "onnx int8"


def test_int8_without_an_output_is_a_usage_error(saved, capsys):
    store, run_id = saved
    assert main(["export", "--run", str(store.root / run_id), "--int8"]) == 2
    assert "--int8/--fp16 choose the model written by --onnx" in capsys.readouterr().err
