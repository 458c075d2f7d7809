"""Connecting the Ray backend: to the cluster at ``RAY_ADDRESS``, or to a local Ray instance
this server starts (loopback only, no dashboard, a small object store, as many CPUs as the
machine has) and stops at exit. Workers import ``core`` from this checkout: on a local instance
through ``PYTHONPATH``; on a cluster Ray ships the checkout to every node (``working_dir``,
without what workers never need) unless ``LSTMLAB_RAY_WORKING_DIR=0`` says every node has
it at the same path. Unreachable or missing Ray is :class:`Unavailable`, with a sentence."""

from __future__ import annotations

import atexit
import os
import socket
import threading
from pathlib import Path
from typing import Any

from core.jobs.ray_backend import RayBackend

ENV_CONNECT_S = "LSTMLAB_RAY_CONNECT_S"
ENV_WORKING_DIR = "LSTMLAB_RAY_WORKING_DIR"  # "0": the cluster's nodes have this checkout
LOCAL_OBJECT_STORE = 200 * 2**20  # bytes: results pass through it once, models are small
ROOT = Path(__file__).resolve().parents[2]  # the checkout: workers import ``core`` from here
LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "disabled"}
# a cluster's copy of the checkout leaves out what workers never need (gitignore patterns:
# anchored at the root, so that "runs" does not also drop core/runs)
WORKING_DIR_EXCLUDES = ["/.git", "/.venv", "/runs", "/artifacts", "/tests", "/bench", "/.cache"]


class Unavailable(RuntimeError):
    """Ray cannot be used: not installed, or the cluster cannot be reached."""


def _connect_s() -> float:
    try:
        return float(os.environ.get(ENV_CONNECT_S, 60))
    except ValueError:
        return 60.0


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
        if ray.is_initialized() and _connected.get("to") == wanted and "backend" in _connected:
            return _connected["backend"]  # one backend (and pool of workers) per process
        if address:
            _probe(address)
        if ray.is_initialized():
            raise Unavailable(
                f"this server is already connected to Ray at {_connected.get('to', '?')}; "
                "restart it to use another cluster"
            )
        _start(address, num_cpus)
        _connected["to"] = wanted
        backend = _connected["backend"] = RayBackend(wanted)
    threading.Thread(target=backend.warm, name="lstmlab-ray-warm", daemon=True).start()
    return backend


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
    if not ready.wait(_connect_s()):
        raise Unavailable(f"Ray did not start or answer within {_connect_s():g} s")
    if errors:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        first = str(errors[0]).strip().splitlines()[0] if str(errors[0]).strip() else ""
        raise Unavailable(f"{where} could not be used ({type(errors[0]).__name__}: {first[:200]})")
    _connected.update(owner=thread, release=release)
    atexit.register(shutdown)


def shutdown() -> None:
    """Disconnect (and stop a local instance started here); safe to call twice."""
    with _lock:
        backend = _connected.pop("backend", None)
        if backend is not None:
            backend.close()
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
