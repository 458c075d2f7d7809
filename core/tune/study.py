"""The study coordinator: Optuna's ask/report/prune/tell on the server, trials as jobs.

The coordinator runs as a job function of its own (``Study.job()``); each trial is a
``core.jobs`` training job submitted to the manager it was given (threads here, another
backend elsewhere). It reads each trial's per-epoch validation losses from the job's
snapshot, reports them to Optuna, stops a pruned trial's job, and tells Optuna how each
trial ended, so trials may run in other processes without sharing the database. When the
search ends (trials done, time limit, Stop) it scores the best trial once on the test span
and saves that trial's model as a run of the runs store. Nothing else reads the test span.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Any

from core.config import DataConfig
from core.data import Dataset
from core.jobs.threads import FAILED, QUEUED, Busy, Job, training_job
from core.training.fit_result import COMPLETED
from core.tune import options
from core.tune.evaluate import counts, study_snapshot, test_scores, trial_record
from core.tune.space import Budget, SearchSpace, check_data, trial_configs
from core.tune.trial import VALUE_KEY, LocalContext, TrialTask

STOP_WAIT_S = 120.0  # how long a stopped trial may take to finish its batch


@dataclass(frozen=True)
class TuneSpec:
    """Everything a study needs besides where it is stored."""

    dataset: Dataset
    data_cfg: DataConfig  # target, features, split; lookback and window mode come from space
    space: SearchSpace = field(default_factory=SearchSpace)
    budget: Budget = field(default_factory=Budget)
    sampler: str = "tpe"
    pruner: str = "median"
    seed: int = 0


@dataclass
class _Active:
    trial: Any  # optuna.Trial
    params: dict
    job: Job
    started: float = 0.0
    reported: int = 0  # epochs of the job's history already reported
    pruned_at: int | None = None
    val: list = field(default_factory=list)  # [epoch, val_loss]
    train: list = field(default_factory=list)


def default_study_name(dataset: Dataset) -> str:
    stem = "".join(c if c.isalnum() else "-" for c in dataset.name.lower()).strip("-")
    return f"{stem[:40]}-{time.strftime('%Y%m%d-%H%M%S')}"


def list_studies(storage: str | None = None) -> list[dict]:
    """Studies in the storage, newest first: name, trials, best value."""
    o = options.optuna()
    url = options.storage_url(storage)
    summaries = o.get_all_study_summaries(options.open_storage(url), include_best_trial=True)
    out = [
        {"name": s.study_name, "n_trials": s.n_trials,
         "best_value": s.best_trial.value if s.best_trial else None,
         "started": s.datetime_start.isoformat(" ", "seconds") if s.datetime_start else ""}
        for s in summaries
    ]  # fmt: skip
    return sorted(out, key=lambda s: s["started"], reverse=True)


def load_snapshot(name: str, storage: str | None = None) -> dict:
    """A stored study as the page draws it (reopening after a restart)."""
    o = options.optuna()
    url = options.storage_url(storage)
    try:
        study = o.load_study(study_name=name, storage=options.open_storage(url))
    except KeyError:
        raise ValueError(f"no study named {name!r} in {options.redact(url)}") from None
    return {**study_snapshot(study), "storage": options.redact(url), "phase": "stored"}


class Study:
    """One search (or the continuation of a stored one): validated on construction."""

    def __init__(
        self,
        spec: TuneSpec,
        manager: Any,
        name: str | None = None,
        storage: str | None = None,
        store: Any = "default",
        session: str | None = None,
        poll_s: float = 0.05,
    ):
        o = options.optuna()
        self.spec, self.manager, self.poll_s = spec, manager, poll_s
        space, budget = spec.space, spec.budget
        check_data(spec.dataset, spec.data_cfg, space)
        self.url = options.storage_url(storage)
        self.name = name or default_study_name(spec.dataset)
        self.storage = options.open_storage(self.url)
        existing = self._existing(o)
        self.n_before = len(existing.trials) if existing else 0
        self.n_new = budget.trials
        if spec.sampler == "grid":
            self.n_new = min(budget.trials, max(0, space.grid_size() - self.n_before))
            if self.n_new == 0:
                raise ValueError("the grid of this search space has been tried completely")
        self.study = o.create_study(
            storage=self.storage,
            study_name=self.name,
            direction="minimize",
            sampler=options.make_sampler(spec.sampler, space, spec.seed + self.n_before),
            pruner=options.make_pruner(spec.pruner, budget.epochs),
            load_if_exists=True,
        )
        if existing is None:
            for key, value in self._description().items():
                self.study.set_user_attr(key, value)
        self.store = store
        self.session = session
        if session is None:
            from core.tasks.autosave import current_session

            self.session = current_session()
        self._records: dict[int, dict] = {t.number: trial_record(t) for t in self.study.trials}
        self._best_run: tuple | None = None  # (trial number, ForecastRun, value)
        self._version = 0  # bumped whenever a trial record changes
        self.phase = "ready"

    # -- setup -------------------------------------------------------------------------------
    def _description(self) -> dict:
        s = self.spec
        return {
            "space": s.space.to_dict(),
            "budget": s.budget.to_dict(),
            "data": {"name": s.dataset.name, "fingerprint": s.dataset.fingerprint(),
                     "rows": len(s.dataset.frame), "data_cfg": s.data_cfg.to_dict()},
            "sampler": s.sampler,
            "pruner": s.pruner,
        }  # fmt: skip

    def _existing(self, o):
        """The stored study of this name (continuing it), checked against this spec."""
        try:
            study = o.load_study(study_name=self.name, storage=self.storage)
        except KeyError:
            return None
        data = study.user_attrs.get("data") or {}
        if data.get("fingerprint") not in (None, self.spec.dataset.fingerprint()):
            raise ValueError(
                f"study {self.name!r} was run on other data ({data.get('name')}, "
                f"{data.get('rows')} rows): pick that data to continue it, or start a new study"
            )
        return study

    def job(self, name: str | None = None) -> Job:
        """The coordinator as a job (start it with ``.start()``: it trains nothing itself, so
        it takes no slot of the manager; its trials do)."""
        return Job(self.run, name=name or f"study {self.name}", kind="tune",
                   meta={"study": self.name, "storage": options.redact(self.url)})  # fmt: skip

    # -- the loop ----------------------------------------------------------------------------
    def run(self, ctx) -> dict:
        """Search until the trials are done, the time limit passes or Stop; then conclude."""
        budget = self.spec.budget
        t0 = time.monotonic()
        active: dict[int, _Active] = {}
        pending: _Active | None = None
        launched, why = 0, ""
        shown, last = -1, 0.0
        self.phase = "searching"
        try:
            while True:
                if ctx.stop_event.is_set():
                    why = "stopped by the user"
                elif budget.time_limit_s and time.monotonic() - t0 > budget.time_limit_s:
                    why = f"the time limit of {budget.time_limit_s:g} s was reached"
                if why:
                    break
                while len(active) < budget.parallel and (pending or launched < self.n_new):
                    if pending is None:
                        pending = self._ask()
                        launched += 1
                    try:
                        self.manager.submit(pending.job)
                    except Busy:
                        break  # every slot is taken: try again at the next poll
                    pending.started = time.time()
                    active[pending.trial.number] = pending
                    pending = None
                for number, a in list(active.items()):
                    self._advance(a)
                    if a.job.done:
                        self._finish(a)
                        del active[number]
                if self._version != shown or time.monotonic() - last > 1.0:
                    shown, last = self._version, time.monotonic()  # publish what changed
                    self._publish(ctx, active, t0)
                if not active and pending is None and launched >= self.n_new:
                    break
                ctx.stop_event.wait(self.poll_s)
        except BaseException:  # never leave trials training for a coordinator that died
            for a in active.values():
                a.job.stop()
            raise
        self._wind_down(ctx, active, pending, why, t0)
        return self._conclude(ctx, why, t0)

    def _ask(self) -> _Active:
        trial = self.study.ask()
        params = self.spec.space.suggest(trial)
        cfgs = trial_configs(params, self.spec.data_cfg, self.spec.budget.epochs, self.spec.seed)
        task = TrialTask(self.spec.dataset, *cfgs, number=trial.number)
        par = self.spec.budget.parallel
        threads = None if par == 1 else max(1, (os.cpu_count() or 1) // par)
        job = training_job(
            task,
            name=f"{self.name} · trial {trial.number}",
            kind="tune-trial",
            meta={"study": self.name, "trial": trial.number},
            threads=threads,
        )
        self._records[trial.number] = {
            "number": trial.number,
            "state": "waiting",
            "params": dict(trial.params),
            "value": None,
            "val_curve": [],
            "train_curve": [],
            "duration_s": None,
            "pruned_at": None,
            "message": "",
            "n_params": None,
        }
        self._version += 1
        return _Active(trial, params, job)

    def _advance(self, a: _Active) -> None:
        """Report the epochs the job finished since the last poll; prune when Optuna says so."""
        snap = a.job.snapshot()
        history = snap.get("history") or []
        rec = self._records[a.trial.number]
        rec.update(n_params=snap.get("n_params"), duration_s=snap.get("elapsed"))
        if a.pruned_at is not None:
            return
        for item in history[a.reported :]:
            a.reported += 1
            epoch, val = int(item["epoch"]), item.get(VALUE_KEY, item.get("val_loss"))
            a.train.append(item.get("train_loss"))
            if val is None or not math.isfinite(val):
                continue
            a.val.append([epoch, float(val)])
            a.trial.report(float(val), epoch)
            if a.trial.should_prune():
                a.pruned_at = epoch
                a.job.stop()
                break
        state = "waiting" if snap.get("status") == QUEUED else "running"
        if len(a.val) != len(rec["val_curve"]) or rec["state"] != state:
            self._version += 1
        rec.update(state=state, val_curve=list(a.val), train_curve=list(a.train))

    def _finish(self, a: _Active, stopped_why: str = "") -> None:
        """Tell Optuna how the trial ended; keep its model if it is the best so far."""
        o = options.optuna()
        self._advance(a)  # the epochs it finished after the last poll
        snap = a.job.snapshot()
        t = a.trial
        duration = snap.get("elapsed") or (time.time() - a.started)
        t.set_user_attr("train_loss", a.train)  # the validation curve: intermediate values
        info = {"duration_s": duration, "n_params": snap.get("n_params"), "params_all": a.params}
        values = [v for _, v in a.val]
        if a.pruned_at is not None:
            info.update(pruned_at=a.pruned_at, message=f"pruned after epoch {a.pruned_at}")
            t.set_user_attr("info", info)
            frozen = self.study.tell(t, state=o.trial.TrialState.PRUNED)
        elif (
            snap.get("status") == FAILED
            or not values
            or (
                stopped_why and snap.get("reason") != COMPLETED  # finished all epochs: a result
            )
        ):
            info["message"] = stopped_why or snap.get("message") or "no finite validation loss"
            t.set_user_attr("info", info)
            frozen = self.study.tell(t, state=o.trial.TrialState.FAIL)
        else:
            info["message"] = snap.get("message") or ""
            t.set_user_attr("info", info)
            # the value of the epoch whose weights the trial kept (its best validation epoch)
            value = dict(map(tuple, a.val)).get(snap.get("best_epoch"), min(values))
            frozen = self.study.tell(t, value)
            best = self._best_run
            if best is None or value < best[2]:
                result = a.job.result
                self._best_run = (t.number, result, value) if result is not None else best
        self._records[t.number] = trial_record(frozen)
        self._version += 1

    def _wind_down(self, ctx, active: dict, pending: _Active | None, why: str, t0: float) -> None:
        """Stop the running trials, wait for them, record them as stopped (not as results)."""
        if pending is not None:
            pending.trial.set_user_attr("info", {"message": why or "never started"})
            frozen = self.study.tell(pending.trial, state=options.optuna().trial.TrialState.FAIL)
            self._records[pending.trial.number] = trial_record(frozen)
        for a in active.values():
            a.job.stop()
        deadline = time.monotonic() + STOP_WAIT_S
        for a in active.values():
            while not a.job.done and time.monotonic() < deadline:
                time.sleep(self.poll_s)
            self._finish(a, stopped_why=why or "stopped")
        self.phase = "scoring"
        self._publish(ctx, {}, t0)

    # -- after the search --------------------------------------------------------------------
    def _conclude(self, ctx, why: str, t0: float) -> dict:
        """The best trial's model scored once on the test span and saved as a run."""
        result: dict = {"stopped": why, "search_s": time.monotonic() - t0}
        try:
            best = self.study.best_trial
        except ValueError:
            best = None
        if best is None:
            result["message"] = "no trial completed: nothing to score on the test span"
        else:
            result.update(self._score_and_save(best))
        self.study.set_user_attr("result", result)
        self.phase = "stopped" if why else "done"
        self._publish(ctx, {}, t0, result=result)
        return result

    def _score_and_save(self, best) -> dict:
        attrs = self.study.user_attrs
        held = self._best_run
        if held is not None and held[0] == best.number:
            run = held[1]
        elif attrs.get("result", {}).get("best_trial") == best.number:
            return {k: v for k, v in attrs["result"].items() if k != "stopped"}  # scored already
        else:  # the model of a trial run elsewhere: the same settings and seed rebuild it
            params = best.user_attrs.get("info", {}).get("params_all") or {
                **self.spec.space.fixed(),
                **best.params,
            }
            cfgs = trial_configs(
                params, self.spec.data_cfg, self.spec.budget.epochs, self.spec.seed
            )
            run = TrialTask(self.spec.dataset, *cfgs, number=best.number)(LocalContext())
        out = {
            "best_trial": best.number,
            "best_value": best.value,
            "params": best.user_attrs.get("info", {}).get("params_all") or dict(best.params),
            "test": test_scores(run),
            "run_id": None,
        }
        self.best_model = run
        store = self.store
        if store == "default":
            from core.runs.store import RunStore

            store = RunStore.default()
        if store is not None:
            from core.runs import registry

            try:
                saved = registry.of(run).save(
                    store, run, name=f"Tune · {self.name} · trial {best.number}",
                    session=self.session, origin="tuned",
                )  # fmt: skip
                out["run_id"] = saved.info.id
            except Exception as e:  # the study's result stands without the saved run
                out["save_warning"] = f"the best model could not be saved as a run: {e}"
        return out

    def _publish(self, ctx, active: dict, t0: float, result: dict | None = None) -> None:
        trials = [self._records[n] for n in sorted(self._records)]
        c = counts(trials)
        new_done = sum(
            1
            for t in trials
            if t["number"] >= self.n_before and t["state"] not in ("running", "waiting")
        )
        ctx.publish(
            study=self.name, storage=options.redact(self.url), phase=self.phase, trials=trials,
            n_target=self.n_before + self.n_new, n_before=self.n_before, unit="trial",
            epochs=self.n_new, epoch=new_done, elapsed_search=time.monotonic() - t0,
            space=self.spec.space.to_dict(), budget=self.spec.budget.to_dict(),
            sampler=self.spec.sampler, pruner=self.spec.pruner, data=self._description()["data"],
            **({"result": result} if result is not None else {}), **c,
        )  # fmt: skip
