"""Save every training run (any kind in core.runs.registry) when its job ends, labelled with
the browser session.

Saving is a job's *finishing step*: a :class:`Task` is the function a job runs (anywhere: a
thread of the server or a Ray worker on another machine) plus ``finish(result, ctx)``, which
the job runs on the server with the returned run, so workers need no shared disk. The
:class:`AutoSave` travels with the task to the worker (its checkpoint keeper fills there) and
comes back with the result.

core never imports streamlit: the UI registers how to read the session id with
:func:`set_session_provider`; :class:`AutoSave` reads it when the job is *created* (in the
page's script thread), since the job's own thread has no session.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from core.runs import registry as run_kinds
from core.runs.files import CheckpointKeeper
from core.runs.store import RunStore, SaveResult
from core.training.trainer import Callback

ENV_AUTOSAVE = "LSTMLAB_AUTOSAVE"  # "0" turns saving of every training run off
_session_provider: Callable[[], str | None] | None = None


def set_session_provider(fn: Callable[[], str | None] | None) -> None:
    """The UI registers how to read the current browser session (core never imports it)."""
    global _session_provider
    _session_provider = fn


def current_session() -> str | None:
    if _session_provider is None:
        return None
    try:
        return _session_provider()
    except Exception:
        return None


class AutoSave:
    """Saves a run when its training job ends; a failed save becomes a warning, never an
    error, so the trained run stays in memory. Create it where the job is created (the
    session is read there), use ``callbacks()`` while training and ``finish()`` after."""

    def __init__(self, store: RunStore | None, session: str | None, problem: str = ""):
        self.store = store
        self.session = session
        self.problem = problem  # why saving is impossible (a bad setting), told at the end
        self.keeper = CheckpointKeeper()

    @classmethod
    def create(cls, store: RunStore | str | None = "default", session: str | None = None):
        """``store="default"``: the runs folder of the environment; None: do not save."""
        problem = ""
        if store == "default":
            off = os.environ.get(ENV_AUTOSAVE, "1").strip().lower() in ("0", "false", "off")
            try:
                store = None if off else RunStore.default()
            except ValueError as e:  # a bad limit in the environment must not stop training
                store, problem = None, f"the run was trained but not saved: {e}"
        return cls(store, session if session is not None else current_session(), problem)

    def callbacks(self) -> list[Callback]:
        return [self.keeper] if self.store is not None else []

    def finish(self, run: Any, ctx: Any, name: str | None = None) -> SaveResult | None:
        """Save the run (a forecaster, a text model: any kind in ``core.runs.registry``) if it
        trained at least one epoch or step; publish what happened to the job."""
        if self.problem:
            ctx.publish(save_warning=self.problem)
        kind = run_kinds.of(run)
        if self.store is None or not kind.trained(run):
            return None
        try:
            result = kind.save(self.store, run, name=name, session=self.session, keeper=self.keeper)
        except Exception as e:
            ctx.publish(
                save_warning=f"the run was trained but could not be saved in the runs "
                f"folder: {_why(e)}. It stays open in this session; free disk space or fix "
                "the folder's permissions, then export it from the Runs page."
            )
            return None
        ctx.publish(saved_run=result.info.id, save_notice=result.message)
        return result

    def finish_job(self, run: Any, ctx: Any) -> SaveResult | None:
        """A job's finishing step: save the run under its default name."""
        return self.finish(run, ctx)

    def finish_named(self, run: Any, ctx: Any) -> SaveResult | None:
        """A job's finishing step: save the run under the job's name."""
        return self.finish(run, ctx, name=getattr(ctx, "name", None))


class Task:
    """A job function (``task(ctx)``) and the step that finishes its result on the server.

    ``core.jobs.Job`` picks ``finish`` up; both must pickle (cloudpickle) for Ray."""

    def __init__(self, run: Callable[[Any], Any], finish: Callable[[Any, Any], Any] | None = None):
        self.run = run
        self.finish = finish

    def __call__(self, ctx: Any) -> Any:
        return self.run(ctx)


def _why(e: BaseException) -> str:
    if isinstance(e, OSError):  # strerror only: the message would name server paths
        return e.strerror or type(e).__name__
    return f"{type(e).__name__}: {e}"
