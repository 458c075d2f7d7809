"""What the Ray backend ships between processes, for every kind of job, without starting Ray:
the task and its finishing step go to a worker as one pickle, the result and the worker's copy
of the finishing step come back as one, and the server saves the run (``core.jobs.ray_backend``
``dumps``/``loads``, the exact functions it uses). The real round trip is in ``test_ray.py``."""

from __future__ import annotations

from functools import partial

import pytest

from core.compare.longmemory import make_task
from core.compare.specs import ARCHITECTURES
from core.config import DataConfig, ModelConfig, TrainConfig
from core.data import synthetic
from core.jobs.job import DONE, Job, JobContext
from core.jobs.ray_backend import dumps, loads
from core.runs.store import RunStore
from core.sentiment import ClassifierConfig, TextConfig, load_bundled
from core.tasks.compare import compare_job, sweep_job
from core.tasks.forecast import forecast_task
from core.tasks.sentiment import sentiment_task
from core.tasks.text import text_task
from core.text import CharModelConfig, CharTrainConfig, load_shakespeare

SPECS = [ARCHITECTURES[label] for label in ("GRU", "LSTM")]
TINY = TrainConfig(epochs=2, batch_size=64, lr=1e-2, seed=0, device="cpu")


def as_on_ray(task, kind: str) -> Job:
    """A server job finished the way the Ray backend finishes it, the worker being a copy."""
    server = Job(task, name=f"{kind} via pickles", kind=kind)
    worker_fn, worker_finish = loads(dumps((server.fn, server.finish)))
    assert worker_fn is not server.fn  # a copy, as in another process
    worker = Job(worker_fn, name=server.name, kind=kind)
    result = worker_fn(JobContext(worker))
    result, finish = loads(dumps((result, worker_finish)))
    server._mark_running(backend="test")
    server._mirror(worker.progress_since(-1)[1])
    server._complete(result, finish)
    server._end()
    return server


def tasks(store: RunStore) -> dict:
    sine = synthetic("sine", n=300, period=25.0)
    data = DataConfig(target="value", lookback=12, val_fraction=0.2, test_fraction=0.2)
    text_train = CharTrainConfig(max_steps=4, batch_size=8, seq_len=32, log_every=2,
                                 sample_every_s=0, sample_length=20)  # fmt: skip
    return {
        "train": forecast_task(sine, data, ModelConfig(hidden_size=4), TINY, store=store),
        "text": text_task(
            load_shakespeare(3000),
            CharModelConfig(embed_size=8, hidden_size=16),
            text_train,
            store=store,
        ),
        "sentiment": sentiment_task(
            load_bundled("imdb"),
            TextConfig(max_vocab=500, max_len=20),
            ClassifierConfig(embed_dim=8, hidden_size=8),
            TINY,
            store=store,
        ),
        "compare": compare_job(
            partial(make_task, "echo", 4, n_train=256, n_val=128, seed=0),
            SPECS,
            8,
            TINY,
            store=store,
        ),
    }


@pytest.mark.parametrize("kind", ["train", "text", "sentiment", "compare"])
def test_every_kind_crosses_processes_and_is_saved_on_the_server(kind, tmp_path):
    store = RunStore(tmp_path / "runs")
    job = as_on_ray(tasks(store)[kind], kind)
    snap = job.snapshot()
    assert snap["status"] == DONE and "save_warning" not in snap, snap.get("message")
    [info] = store.list()
    assert snap["saved_run"] == info.id and info.kind == kind.replace("train", "forecaster")


def test_a_sweep_crosses_processes_and_saves_nothing(tmp_path):
    task = sweep_job("echo", [2, 4], SPECS, 8, TINY.replace(epochs=1), n_train=128)
    job = as_on_ray(task, "compare")
    assert job.snapshot()["status"] == DONE and job.finish is None
    assert len(job.result.rows()) == 2 * len(SPECS) and job.snapshot()["sweep"] == job.result.rows()
