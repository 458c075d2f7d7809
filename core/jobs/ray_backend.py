"""Jobs in Ray worker processes: on this machine (a local Ray instance the app starts) or on a
cluster (``RAY_ADDRESS``). ``ray`` is imported only inside this module's functions.

Each job runs in an actor (``_Worker``), created with ``max_concurrency=2`` so that it answers
``progress()`` and ``stop()`` while ``run()`` trains; actors are kept between jobs (one per
slot, started when the app connects), so a job does not wait for a process to start. A
watcher thread on the server copies the worker's progress into the local
:class:`~core.jobs.job.Job` about four times a second (pages read local memory and never wait
on Ray), forwards Stop to the worker (it takes effect at the next batch), and when the worker
returns, runs the job's finishing step (saving the run) here on the server: workers need no
shared disk. A worker that dies (kill -9, out of
memory, its node lost) ends its job as failed with one sentence; other jobs carry on.

Resources: every job asks for ``LSTMLAB_RAY_CPUS`` CPUs (default 1; also its torch threads)
and, where the cluster has GPUs, ``LSTMLAB_GPU_SHARE`` of one (default 0.25: four small
trainings share a GPU). Ray decides where each runs; the line in front of it holds as many
jobs as the cluster's resources allow (:func:`capacity_of`).
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import threading
import time
import traceback
from typing import Any

import torch

from core.jobs.job import BY_USER, Job, JobContext, explain_error

ENV_GPU_SHARE = "LSTMLAB_GPU_SHARE"
ENV_CPUS = "LSTMLAB_RAY_CPUS"
POLL_S = 0.25  # the watcher copies a worker's progress this often


def _float_env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def gpu_share() -> float:
    """The share of one GPU each job asks for where GPUs exist (0 < share <= 1)."""
    return min(1.0, max(0.01, _float_env(ENV_GPU_SHARE, 0.25)))


def cpus_per_job() -> float:
    return max(0.5, _float_env(ENV_CPUS, 1.0))


def job_options(cluster: dict, cpus: float, share: float) -> dict:
    """The Ray actor options of one job: its CPUs, and a GPU share where the cluster has GPUs
    (then Ray sets the worker's ``CUDA_VISIBLE_DEVICES``; without one the worker sees none)."""
    opts: dict[str, Any] = {"num_cpus": cpus, "max_concurrency": 2, "max_restarts": 0}
    if cluster.get("GPU", 0) > 0:
        opts["num_gpus"] = share
    return opts


def capacity_of(cluster: dict, cpus: float, share: float) -> int:
    """How many jobs the cluster runs at once: its CPUs over each job's, and where there are
    GPUs, also its GPUs over each job's share (at least 1, so a job can always start)."""
    n = int(cluster.get("CPU", 0) // cpus)
    if cluster.get("GPU", 0) > 0:
        n = min(n, int(round(cluster["GPU"] / share, 6)))
    return max(1, n)


def explain_ray_error(exc: BaseException) -> str:
    """One sentence for a job that Ray could not finish."""
    from ray import exceptions as rx

    text = str(exc)
    if isinstance(exc, rx.OutOfMemoryError):  # Ray's memory monitor (a GPU's OOM: below)
        return (
            "its Ray worker was stopped because the machine ran out of memory; earlier runs "
            "are untouched. Try a smaller model or batch size, or fewer jobs at once"
        )
    if isinstance(exc, rx.NodeDiedError) or "node has died" in text or "node died" in text:
        return (
            "the machine running it left the Ray cluster before training finished; earlier runs "
            "are untouched, start it again"
        )
    if isinstance(exc, (rx.ActorDiedError, rx.WorkerCrashedError, rx.RayActorError)):
        return (
            "its Ray worker process ended unexpectedly (killed, or out of memory) before "
            "training finished; earlier runs are untouched, start it again"
        )
    if isinstance(exc, rx.ActorUnschedulableError):
        return "no machine of the Ray cluster has the CPUs or GPU share this job asks for"
    if isinstance(exc, rx.RaySystemError):
        return "the connection to the Ray cluster was lost; earlier runs are untouched"
    return explain_error(exc)


def dumps(obj: Any) -> bytes:
    """cloudpickle, with every GPU tensor moved to the CPU (the server may have no GPU)."""
    from ray import cloudpickle

    buf = io.BytesIO()
    if not torch.cuda.is_available():
        cloudpickle.dump(obj, buf)
        return buf.getvalue()

    class CpuPickler(cloudpickle.Pickler):
        def reducer_override(self, o):
            if type(o) is torch.Tensor and o.device.type != "cpu":
                return o.cpu().__reduce_ex__(5)
            return super().reducer_override(o)

    CpuPickler(buf, protocol=5).dump(obj)
    return buf.getvalue()


def loads(data: bytes) -> Any:
    from ray import cloudpickle

    return cloudpickle.loads(data)


class _Worker:
    """A Ray actor that runs jobs one after another (a plain class; ``ray.remote`` wraps it).

    Actors are kept between jobs (one per slot), so a job does not wait for a new process to
    start and import torch. Calls name their job: a late Stop never reaches the next job."""

    def __init__(self, cpus: float):
        os.environ["LSTMLAB_THREADS"] = str(max(1, int(cpus)))  # what training_job configures
        self.job: Job | None = None
        self.job_id = ""
        self.early_stops: dict[str, str] = {}  # stops that arrived before their run

    def ready(self) -> int:
        return os.getpid()

    def run(self, job_id: str, payload: bytes, name: str, kind: str, meta: dict) -> tuple:
        import ray

        job = Job(lambda ctx: None, name=name, kind=kind, meta=meta)
        self.job, self.job_id = job, job_id
        gpus = [str(g) for g in ray.get_gpu_ids()]
        where = {"node": ray.util.get_node_ip_address(), "host": socket.gethostname(),
                 "pid": os.getpid(), "gpus": gpus}  # fmt: skip
        job._mark_running(where=where)  # a stop from now on only sets its event
        if job_id in self.early_stops:
            job.stop(self.early_stops.pop(job_id))
        try:
            fn, finish = loads(payload)  # here, so that a failed import is a message
            result = fn(JobContext(job))
            # the finishing step comes back with the result: what it kept here (checkpoints)
            out = ("ok", dumps((result, finish)), "")
        except BaseException as exc:
            out = ("failed", explain_error(exc), traceback.format_exc(limit=8))
        finally:
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        return (*out, job.progress_since(-1)[1])

    def progress(self, job_id: str, version: int) -> tuple[int, dict | None]:
        if job_id != self.job_id or self.job is None:
            return version, None
        return self.job.progress_since(version)

    def stop(self, job_id: str, cause: str) -> None:
        if job_id == self.job_id and self.job is not None:
            self.job.stop(cause)
        else:
            self.early_stops[job_id] = cause


class RayBackend:
    """Runs each job in a Ray actor; as many at once as the cluster's resources hold."""

    name = "ray"

    def __init__(self, where: str = "local", cpus: float | None = None, share: float | None = None):
        import ray

        self.where = where
        self.cpus = cpus_per_job() if cpus is None else cpus
        self.share = gpu_share() if share is None else share
        self._actor = ray.remote(_Worker)
        self._cluster: dict = {}
        self._cluster_at = 0.0
        self._idle: list = []  # actors kept between jobs, one per slot at most
        self._pool_lock = threading.Lock()

    def cluster(self) -> dict:
        """The cluster's total resources, read at most every 2 s (nodes come and go)."""
        import ray

        if time.monotonic() - self._cluster_at > 2.0:
            try:
                self._cluster = dict(ray.cluster_resources())
                self._cluster_at = time.monotonic()
            except Exception:  # the cluster is unreachable: keep what was last seen
                pass
        return self._cluster

    def capacity(self) -> int:
        return capacity_of(self.cluster(), self.cpus, self.share)

    def describe(self) -> str:
        c = self.cluster()
        gpus = f", {c['GPU']:g} GPU (a {self.share:g} share per job)" if c.get("GPU") else ""
        return f"Ray ({self.where}: {c.get('CPU', 0):g} CPUs{gpus})"

    # -- the pool of actors ---------------------------------------------------------------------
    def _new_actor(self):
        opts = job_options(self.cluster(), self.cpus, self.share)
        return self._actor.options(**opts).remote(self.cpus)

    def warm(self) -> None:
        """Start one actor per slot ahead of the first job (in the background)."""
        with self._pool_lock:
            missing = self.capacity() - len(self._idle)
            self._idle.extend(self._new_actor() for _ in range(max(0, missing)))

    def _take(self):
        """An idle actor that still answers, else a new one."""
        import ray

        while True:
            with self._pool_lock:
                actor = self._idle.pop() if self._idle else None
            if actor is None:
                return self._new_actor()
            try:
                ray.get(actor.ready.remote(), timeout=60)
                return actor
            except Exception:  # died while idle (its node left): forget it
                with contextlib.suppress(Exception):
                    ray.kill(actor)

    def _give_back(self, actor, healthy: bool) -> None:
        import ray

        with self._pool_lock:
            if healthy and len(self._idle) < self.capacity():
                self._idle.append(actor)
                return
        with contextlib.suppress(Exception):
            ray.kill(actor)

    def close(self) -> None:
        import ray

        with self._pool_lock:
            idle, self._idle = self._idle, []
        for actor in idle:
            with contextlib.suppress(Exception):
                ray.kill(actor)

    # -- one job ----------------------------------------------------------------------------------
    def launch(self, job: Job, release) -> None:
        job._release = release
        job._mark_running(backend="ray", where={"node": "a Ray worker (starting)", "pid": None})
        threading.Thread(
            target=self._watch, args=(job,), name=f"lstmlab-ray-{job.id}", daemon=True
        ).start()

    def _watch(self, job: Job) -> None:
        """On the server, for one job: run it on an actor, mirror its progress, finish it."""
        import ray

        actor, healthy = None, False
        try:
            payload = dumps((job.fn, job.finish))
            actor = self._take()
            job._forward_stop = lambda cause: actor.stop.remote(job.id, cause)
            ref, version = actor.run.remote(job.id, payload, job.name, job.kind, job.meta), -1
            if job.stop_event.is_set():  # stopped while its worker was being found
                actor.stop.remote(job.id, job.stop_cause or BY_USER)
            while not ray.wait([ref], timeout=POLL_S)[0]:
                try:
                    version, progress = ray.get(actor.progress.remote(job.id, version), timeout=5)
                except Exception:  # slow or dead: the run's own reference says which
                    continue
                if progress is not None:
                    job._mirror(progress)
            status, data, trace, progress = ray.get(ref)
            healthy = True  # the worker answered: it can take the next job
            job._mirror(progress)
            if status == "ok":
                result, finish = loads(data)
                job._complete(result, finish)
            else:
                job._fail(data, trace)
        except Exception as exc:
            job._fail(explain_ray_error(exc), traceback.format_exc(limit=8))
        finally:
            job._forward_stop = None
            if actor is not None:
                self._give_back(actor, healthy)
            job._end()
