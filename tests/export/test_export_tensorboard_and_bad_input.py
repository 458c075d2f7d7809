"""TensorBoard event files read back with TensorBoard's own reader, and every refusal: a run
kind that cannot be exported that way, a missing optional package, a full disk. Each says
why and loses nothing (no file at OUT, no temp file, the run folder byte for byte the same)."""

from __future__ import annotations

import errno
import os
import sys

import pytest
from export_helpers import folder_digest, save, tiny_run

from core.cli import main
from core.gates.probe import gate_trend, recording_of
from core.runs.formats import common


@pytest.fixture(scope="module")
def trained():
    return tiny_run()


@pytest.fixture
def saved(tmp_path, trained):
    return save(tmp_path / "runs", trained)


def read_scalars(folder) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(folder))
    acc.Reload()
    return {t: [(e.step, e.value) for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}


def test_tensorboard_holds_the_history_and_the_gate_trend(saved, trained, tmp_path, capsys):
    store, run_id = saved
    logdir = tmp_path / "tb"
    assert main(["export", "--run", str(store.root / run_id), "--tensorboard", str(logdir)]) == 0
    assert f"tensorboard --logdir {logdir}" in capsys.readouterr().out
    got = read_scalars(logdir / run_id)
    history = store.history(run_id)
    assert len(history) == 3
    for key, tag in [("train_loss", "loss/train"), ("val_loss", "loss/val"), ("lr", "optim/lr"),
                     ("grad_norm", "optim/grad_norm")]:  # fmt: skip
        assert [s for s, _ in got[tag]] == [r["epoch"] for r in history]
        assert [v for _, v in got[tag]] == pytest.approx([r[key] for r in history], rel=1e-6)
    trend = gate_trend(recording_of(trained.extras))
    assert [s for s, _ in got["gates/mean_f"]] == trend["epoch"] == [0, 1, 2, 3]
    assert [v for _, v in got["gates/mean_f"]] == pytest.approx(trend["mean f"], rel=1e-6)
    assert {"gates/mean_i", "gates/mean_o", "gates/saturated"} <= set(got)


def write_half_then_fail(monkeypatch):
    """Every atomic write stores half its bytes, then the disk is full."""
    real = os.fdopen

    class Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(common.os, "fdopen", lambda fd, mode: Full(real(fd, mode)))


@pytest.mark.parametrize("flag", ["--bundle", "--onnx"])
def test_a_full_disk_leaves_nothing_behind(saved, tmp_path, monkeypatch, capsys, flag):
    store, run_id = saved
    before = folder_digest(store.root / run_id)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "model.zip"
    write_half_then_fail(monkeypatch)
    argv = ["export", "--run", run_id, flag, str(out), "--repeats", "3"]
    assert main(["--threads", "1", *argv[:2], str(store.root / run_id), *argv[3:]]) == 1
    err = capsys.readouterr().err
    assert f"cannot write {out}: the disk is full; nothing was written" in err
    assert list(out_dir.iterdir()) == []  # neither OUT nor a temp file
    assert folder_digest(store.root / run_id) == before


def test_a_full_disk_keeps_the_earlier_tensorboard_export(saved, tmp_path, monkeypatch, capsys):
    store, run_id = saved
    logdir = tmp_path / "tb"
    argv = ["export", "--run", str(store.root / run_id), "--tensorboard", str(logdir)]
    assert main(argv) == 0
    first = folder_digest(logdir)
    from torch.utils.tensorboard import SummaryWriter

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(SummaryWriter, "add_scalar", full)
    assert main(argv) == 1
    assert "the disk is full" in capsys.readouterr().err
    assert folder_digest(logdir) == first
    assert [p.name for p in logdir.iterdir()] == [run_id]  # no temp folder left


def hide(monkeypatch, *packages: str) -> None:
    """Make ``import package`` (and its submodules) fail, as if it were not installed."""
    for name in list(sys.modules):
        if any(name == p or name.startswith(p + ".") for p in packages):
            monkeypatch.setitem(sys.modules, name, None)
    for p in packages:
        monkeypatch.setitem(sys.modules, p, None)


def test_without_onnxruntime_int8_says_what_to_install(saved, tmp_path, monkeypatch, capsys):
    store, run_id = saved
    hide(monkeypatch, "onnxruntime")
    out = tmp_path / "m.onnx"
    assert main(["export", "--run", str(store.root / run_id), "--onnx", str(out), "--int8"]) == 3
    assert "needs the optional 'onnxruntime' package: pip install -r requirements-onnx.txt" in (
        capsys.readouterr().err
    )
    assert not out.exists()


def test_without_tensorboard_the_export_says_what_to_install(saved, tmp_path, monkeypatch, capsys):
    store, run_id = saved
    hide(monkeypatch, "tensorboard", "torch.utils.tensorboard")
    logdir = tmp_path / "tb"
    assert main(["export", "--run", str(store.root / run_id), "--tensorboard", str(logdir)]) == 3
    assert (
        "TensorBoard export needs the optional 'tensorboard' package: pip install -r "
        "requirements-onnx.txt" in capsys.readouterr().err
    )
    assert not logdir.exists()


def test_a_text_run_has_no_forecast_bundle_but_has_a_tensorboard_history(tmp_path, capsys):
    from core.runs import registry as run_kinds
    from core.runs.store import RunStore
    from core.text import (
        CharModelConfig,
        CharTrainConfig,
        build_text_run,
        fit_text,
        load_shakespeare,
    )

    train = CharTrainConfig(max_steps=4, batch_size=4, seq_len=16, log_every=2, sample_every_s=0)
    run, tr, va = build_text_run(load_shakespeare(2000), CharModelConfig(hidden_size=8), train)
    text_run = fit_text(run, tr, va)
    store = RunStore(tmp_path / "runs")
    run_id = run_kinds.of(text_run).save(store, text_run).info.id
    before = folder_digest(store.root / run_id)
    out = tmp_path / "b.zip"
    for flags in (["--bundle", str(out)], ["--onnx", str(out), "--int8"]):
        assert main(["export", "--run", str(store.root / run_id), *flags]) == 2
        err = capsys.readouterr().err
        assert "is a text model:" in err and "is for forecasters only" in err, err
        assert not out.exists()
    from core.export import actions
    from core.export.source import ExportRefused

    with pytest.raises(ExportRefused, match="is a text model: the forecast bundle is for fore"):
        actions.bundle(store, run_id)  # what the Runs page would call
    logdir = tmp_path / "tb"
    assert main(["export", "--run", str(store.root / run_id), "--tensorboard", str(logdir)]) == 0
    got = read_scalars(logdir / run_id)
    assert [v for _, v in got["loss/train"]] == pytest.approx(
        [r["train_loss"] for r in store.history(run_id)], rel=1e-6
    )
    assert folder_digest(store.root / run_id) == before
