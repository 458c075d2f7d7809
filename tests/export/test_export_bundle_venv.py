"""The bundle's predict.py in a fresh venv that has numpy, pandas and onnxruntime and NOT
torch (nor the lab): its forecast equals the lab's own. Offline: ``python -m venv`` without
pip, and links to just those packages (and what they require) from this environment."""

from __future__ import annotations

import importlib.metadata as md
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
from export_helpers import save, tiny_run

from core.cli import main


def requirement_closure(names: list[str]) -> dict[str, md.Distribution]:
    """The installed distributions ``names`` need, recursively (extras left out)."""
    found: dict[str, md.Distribution] = {}
    todo = list(names)
    while todo:
        name = re.split(r"[ ;<>=!~\[(]", todo.pop())[0].lower().replace("_", "-")
        if name in found:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        found[name] = dist
        todo += [r for r in dist.requires or [] if "extra ==" not in r]
    return found


def venv_with(folder: Path, names: list[str]) -> Path:
    """A new venv whose site-packages links only the given packages; its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = next(folder.glob("lib/python*/site-packages"))
    for dist in requirement_closure(names).values():
        for top in {Path(str(f)).parts[0] for f in dist.files or []}:
            src = Path(dist.locate_file(top))
            if top.endswith(".dist-info") or top in ("..", "__pycache__") or not src.exists():
                continue
            if not (site / top).exists():
                (site / top).symlink_to(src)
    return folder / "bin" / "python"


def test_predict_py_needs_no_torch_and_forecasts_like_the_lab(tmp_path, capsys):
    run = tiny_run(normalize="diff")
    store, run_id = save(tmp_path / "runs", run)
    out = tmp_path / "bundle.zip"
    assert main(["export", "--run", str(store.root / run_id), "--bundle", str(out)]) == 0
    capsys.readouterr()
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["README.txt", "model.onnx", "predict.py", "settings.json"]
        z.extractall(tmp_path / "bundle")
    settings = json.loads((tmp_path / "bundle" / "settings.json").read_text())
    assert (settings["lookback"], settings["horizon"], settings["normalize"]) == (8, 3, "diff")
    csv = tmp_path / "series.csv"
    run.dataset.frame.iloc[:150].to_csv(csv)  # a date/step column, then "value"

    python = venv_with(tmp_path / "venv", ["numpy", "pandas", "onnxruntime"])
    no_torch = subprocess.run([python, "-c", "import torch"], capture_output=True, text=True)
    assert no_torch.returncode != 0 and "No module named 'torch'" in no_torch.stderr
    r = subprocess.run(
        [python, "-I", str(tmp_path / "bundle" / "predict.py"), str(csv), "--json"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    want = run.next_values(run.dataset.frame.iloc[:150])
    assert got["target"] == "value" and len(got["forecast"]) == 3
    np.testing.assert_allclose(got["forecast"], want, rtol=1e-5, atol=1e-6)
    # the script's own refusal: a CSV without the model's column
    csv.write_text("date,price\n1,2\n")
    bad = subprocess.run([python, "-I", str(tmp_path / "bundle" / "predict.py"), str(csv)],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert bad.returncode == 1 and "the CSV has no column value (it has: date, price)" in bad.stderr
