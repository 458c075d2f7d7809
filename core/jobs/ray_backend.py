"""Jobs in Ray worker processes: on this machine (a local Ray instance the app starts) or on a
cluster (``RAY_ADDRESS``). ``ray`` is imported only inside this module's functions.

Each job runs in its own actor (``_Worker``), created with ``max_concurrency=2`` so that it
answers ``progress()`` and ``stop()`` while ``run()`` trains. A watcher thread on the server
copies the worker's progress into the local :class:`~core.jobs.job.Job` about four times a
second (pages read local memory and never wait on Ray), forwards Stop to the worker (it takes
effect at the next batch), and when the worker returns, runs the job's finishing step (saving
the run) here on the server: workers need no shared disk. A worker that dies (kill -9, out of
memory, its node lost) ends its job as failed with one sentence; other jobs carry on.

Resources: every job asks for ``LSTMLAB_RAY_CPUS`` CPUs (default 1; also its torch threads)
and, where the cluster has GPUs, ``LSTMLAB_GPU_SHARE`` of one (default 0.25: four small
trainings share a GPU). Ray decides where each runs; the line in front of it holds as many
jobs as the cluster's resources allow (:func:`capacity_of`).
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import socket
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import torch

from core.jobs.job import BY_USER, Job, JobContext, explain_error

ENV_GPU_SHARE = "LSTMLAB_GPU_SHARE"
ENV_CPUS = "LSTMLAB_RAY_CPUS"
ENV_CONNECT_S = "LSTMLAB_RAY_CONNECT_S"
ENV_WORKING_DIR = "LSTMLAB_RAY_WORKING_DIR"  # "0": the cluster's nodes have this checkout
POLL_S = 0.25  # the watcher copies a worker's progress this often
LOCAL_OBJECT_STORE = 200 * 2**20  # bytes: results pass through it once, models are small
ROOT = Path(__file__).resolve().parents[2]  # the checkout: workers import ``core`` from here
LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "disabled"}
# a cluster's copy of the checkout leaves out what workers never need
WORKING_DIR_EXCLUDES = [".git", ".venv", "runs", "artifacts", "tests", "bench", ".cache"]


class Unavailable(RuntimeError):
    """Ray cannot be used: not installed, or the cluster cannot be reached."""


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
    """The Ray actor that runs one job (a plain class here; ``ray.remote`` wraps it)."""

    def __init__(self, payload: bytes, name: str, kind: str, meta: dict, cpus: float):
        os.environ["LSTMLAB_THREADS"] = str(max(1, int(cpus)))  # what training_job configures
        self.payload = payload
        self.job = Job(lambda ctx: None, name=name, kind=kind, meta=meta)

    def run(self) -> tuple:
        import ray

        gpus = [str(g) for g in ray.get_gpu_ids()]
        where = {"node": ray.util.get_node_ip_address(), "host": socket.gethostname(),
                 "pid": os.getpid(), "gpus": gpus}  # fmt: skip
        self.job._publish({"where": where})
        try:
            fn, finish = loads(self.payload)  # here, so that a failed import is a message
            result = fn(JobContext(self.job))
            # the finishing step comes back with the result: what it kept here (checkpoints)
            out = ("ok", dumps((result, finish)), "")
        except BaseException as exc:
            out = ("failed", explain_error(exc), traceback.format_exc(limit=8))
        return (*out, self.job.progress_since(-1)[1])

    def progress(self, version: int) -> tuple[int, dict | None]:
        return self.job.progress_since(version)

    def stop(self, cause: str) -> None:
        self.job.stop(cause)


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

    def launch(self, job: Job, release) -> None:
        job._release = release
        job._mark_running(backend="ray", where={"node": "a Ray worker (starting)", "pid": None})
        threading.Thread(
            target=self._watch, args=(job,), name=f"lstmlab-ray-{job.id}", daemon=True
        ).start()

    def _watch(self, job: Job) -> None:
        """On the server, for one job: start its actor, mirror its progress, finish it."""
        import ray

        actor = None
        try:
            payload = dumps((job.fn, job.finish))
            opts = job_options(self.cluster(), self.cpus, self.share)
            actor = self._actor.options(**opts).remote(
                payload, job.name, job.kind, job.meta, self.cpus
            )
            job._forward_stop = lambda cause: actor.stop.remote(cause)
            if job.stop_event.is_set():  # stopped while its worker was being created
                actor.stop.remote(job.stop_cause or BY_USER)
            ref, version = actor.run.remote(), -1
            while not ray.wait([ref], timeout=POLL_S)[0]:
                try:
                    version, progress = ray.get(actor.progress.remote(version), timeout=5)
                except Exception:  # slow or dead: the run's own reference says which
                    continue
                if progress is not None:
                    job._mirror(progress)
            status, data, trace, progress = ray.get(ref)
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
                with contextlib.suppress(Exception):
                    ray.kill(actor)
            job._end()


# -- connecting ------------------------------------------------------------------------------

_lock = threading.Lock()
_connected: dict[str, Any] = {}  # "to": "local" or the address; "owner": the owning thread


def _probe(address: str, timeout: float = 3.0) -> None:
    """Fail fast, with a sentence, when nothing answers at host:port."""
    target = address.split("://", 1)[-1]
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        return  # "auto" and alike: ray.init decides
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as e:
        raise Unavailable(
            f"the Ray cluster at {address} cannot be reached ({e.strerror or e})"
        ) from None


def connect(address: str | None = None, num_cpus: int | None = None) -> RayBackend:
    """A backend on the cluster at ``address`` (``RAY_ADDRESS`` when None), or on a local Ray
    instance started here when neither is set. Raises :class:`Unavailable` with a sentence."""
    try:
        import ray
    except ImportError:
        raise Unavailable("Ray is not installed (pip install -r requirements-ray.txt)") from None
    address = (address if address is not None else os.environ.get("RAY_ADDRESS", "")).strip()
    wanted = address or "local"
    with _lock:
        if ray.is_initialized() and _connected.get("to") == wanted:
            return RayBackend(wanted)
        if address:
            _probe(address)
        if ray.is_initialized():
            raise Unavailable(
                f"this server is already connected to Ray at {_connected.get('to', '?')}; "
                "restart it to use another cluster"
            )
        _start(address, num_cpus)
        _connected["to"] = wanted
    return RayBackend(wanted)


def _start(address: str, num_cpus: int | None) -> None:
    """``ray.init`` on a thread that lives as long as the server: the processes a local
    instance starts die with the thread that started them (Linux parent-death signal), and
    Streamlit's script threads end after every run."""
    import ray

    if address:
        use_copy = os.environ.get(ENV_WORKING_DIR, "1").strip() != "0"
        runtime_env = (
            {"working_dir": str(ROOT), "excludes": WORKING_DIR_EXCLUDES}
            if use_copy
            else {"env_vars": {"PYTHONPATH": str(ROOT)}}
        )
        kwargs: dict[str, Any] = {"address": address, "runtime_env": runtime_env}
    else:
        os.environ.update(LOOPBACK_ENV)  # loopback only, no token (a local instance)
        kwargs = {
            "address": "local",
            "num_cpus": num_cpus or os.cpu_count() or 1,
            "include_dashboard": False,
            "object_store_memory": LOCAL_OBJECT_STORE,
            "runtime_env": {"env_vars": {"PYTHONPATH": str(ROOT)}},
        }
    ready, errors, release = threading.Event(), [], threading.Event()

    def owner() -> None:
        try:
            ray.init(log_to_driver=False, namespace="lstmlab", **kwargs)
        except BaseException as e:
            errors.append(e)
            ready.set()
            return
        ready.set()
        release.wait()

    thread = threading.Thread(target=owner, name="lstmlab-ray-owner", daemon=True)
    thread.start()
    if not ready.wait(_float_env(ENV_CONNECT_S, 60.0)):
        raise Unavailable(f"Ray did not start or answer within {_float_env(ENV_CONNECT_S, 60):g} s")
    if errors:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        first = str(errors[0]).strip().splitlines()[0] if str(errors[0]).strip() else ""
        raise Unavailable(f"{where} could not be used ({type(errors[0]).__name__}: {first[:200]})")
    _connected.update(owner=thread, release=release)
    atexit.register(shutdown)


def shutdown() -> None:
    """Disconnect (and stop a local instance started here); safe to call twice."""
    with _lock:
        try:
            import ray

            if ray.is_initialized():
                ray.shutdown()
        except ImportError:
            pass
        release = _connected.pop("release", None)
        if release is not None:
            release.set()
        _connected.clear()
