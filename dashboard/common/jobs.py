"""The per-session holder of background jobs, the server-wide manager (its backend and its
waiting line), and the sidebar status.

Jobs themselves (``core.jobs``) never call Streamlit; this module is the only place where jobs
meet the UI. The backend (threads or Ray) is chosen once per server by ``LSTMLAB_BACKEND``.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable

import streamlit as st

from core.jobs.backends import make_manager
from core.jobs.threads import (
    DISCONNECTED,
    FAILED,
    FINISHED,
    QUEUED,
    Busy,
    Job,
    JobManager,
    training_job,
)
from dashboard.common.safe_text import md_escape

HOLDER_KEY = "_lstmlab_jobs"
# a job whose browser is gone this long is stopped: longer than the reconnect window
# (server.disconnectedSessionTTL, 120 s by default) so a brief drop loses nothing
ORPHAN_GRACE_S = float(os.environ.get("LSTMLAB_ORPHAN_GRACE_S", "180"))
# the sidebar polls its jobs this often, and only while one runs: an idle session costs
# the server nothing between clicks (issue 20: idle sessions polling every second, each
# rerun followed by a full garbage collection, starved the server at five users)
SIDEBAR_POLL_S = 1.0


class SessionJobs:
    """The jobs of one browser session, by kind ("train", "compare", "text", ...)."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.collected: set[str] = set()
        self._timer: threading.Timer | None = None
        self.sidebar_polls = False  # whether this run drew the sidebar with a polling timer

    def get(self, kind: str) -> Job | None:
        return self.jobs.get(kind)

    def active(self) -> list[Job]:
        return [j for j in self.jobs.values() if not j.done]

    def stop_all(self, cause: str = "user") -> None:
        for job in self.jobs.values():
            job.stop(cause)

    def _orphaned(self) -> None:
        self.stop_all(DISCONNECTED)  # the message says the browser went away, not the user

    # -- orphan handling: armed when the websocket goes, cancelled when it comes back --
    def arm_orphan_timer(self, grace_s: float | None = None) -> None:
        """Stop every job of this session in ``grace_s`` seconds unless cancelled first."""
        grace_s = ORPHAN_GRACE_S if grace_s is None else grace_s
        self.cancel_orphan_timer()
        if self.active():
            self._timer = threading.Timer(grace_s, self._orphaned)
            self._timer.daemon = True
            self._timer.start()

    def cancel_orphan_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


@st.cache_resource(show_spinner=False)
def manager() -> JobManager:
    """One manager for the whole server: the cap on concurrent jobs and the line are global.
    Its backend comes from ``LSTMLAB_BACKEND``; when Ray cannot be used it runs on threads and
    its ``notice`` says why."""
    return make_manager()


class _Presence:
    """Lives in a session-scoped cache: released on every websocket disconnect."""

    def __init__(self, holder: SessionJobs):
        self.holder = holder
        holder.cancel_orphan_timer()  # (re)connected: nothing to stop


def on_session_released(presence: _Presence) -> None:
    """Streamlit's release hook (every websocket disconnect): arm the orphan timer.

    If the browser comes back within ``ORPHAN_GRACE_S``, the next run creates a new
    ``_Presence``, which cancels the timer; otherwise the session's jobs are stopped and
    their slots in the global cap freed.
    """
    presence.holder.arm_orphan_timer()


@st.cache_resource(scope="session", on_release=on_session_released, show_spinner=False)
def _presence(_holder: SessionJobs) -> _Presence:
    return _Presence(_holder)


@st.cache_resource(show_spinner=False)
def warm_up_torch() -> threading.Thread:
    """Once per server, from the router's first run: PyTorch's lazy imports (the first
    optimizer step imports torch._dynamo, 4 s or more on a busy CPU) in the background, so
    the first job a user starts, e.g. a Home demo, shows its first loss point at once."""
    from core.tasks.live import warm_up

    thread = threading.Thread(target=warm_up, name="lstmlab-warm-up", daemon=True)
    thread.start()
    return thread


def holder() -> SessionJobs:
    """This session's job holder (created on first use)."""
    if HOLDER_KEY not in st.session_state:
        st.session_state[HOLDER_KEY] = SessionJobs()
    h = st.session_state[HOLDER_KEY]
    with contextlib.suppress(Exception):  # no session context (bare mode): nothing to guard
        _presence(h)
    return h


def start_job(
    kind: str, fn: Callable, name: str, result_key: str, meta: dict | None = None
) -> Job | None:
    """Start a training job for this session, or put it in the server's line when every slot
    is taken (the page and the sidebar show its place); returns None (with a message) only
    when the line itself is full.

    When the job ends, its result is stored in ``st.session_state[result_key]``.
    """
    h = holder()
    current = h.get(kind)
    if current is not None and not current.done:
        st.warning("A job of this kind is already running in this session: stop it first.")
        return None
    job = training_job(fn, name=name, kind=kind, meta={**(meta or {}), "result_key": result_key})
    try:
        manager().submit(job)
    except Busy as e:  # only a full waiting line refuses
        st.warning(str(e).capitalize() + ".", icon=":material/hourglass_top:")
        return None
    if job.status == QUEUED:
        st.toast(queue_words(job.snapshot()).capitalize(), icon=":material/hourglass_top:")
    h.jobs[kind] = job
    h.collected.discard(job.id)
    return job


def adopt(kind: str, job: Job) -> Job:
    """Start a coordinating job for this session outside the manager's cap (it trains
    nothing itself; the jobs it submits take the slots), shown in the sidebar like any job."""
    h = holder()
    current = h.get(kind)
    if current is not None and not current.done:
        raise Busy("a job of this kind is already running in this session: stop it first")
    h.jobs[kind] = job
    h.collected.discard(job.id)
    return job.start()


def collect_finished() -> list[Job]:
    """Move results of finished jobs into session state (once each); returns those jobs."""
    h = holder()
    newly = []
    for job in h.jobs.values():
        if job.done and job.id not in h.collected:
            h.collected.add(job.id)
            key = job.meta.get("result_key")
            if key and job.result is not None and job.status != FAILED:
                st.session_state[key] = job.result
            newly.append(job)
    return newly


def progress_or_failure(
    job: Job,
    snap: dict,
    *,
    fraction: float,
    text: str,
    stop_key: str,
    stop_label: str = "Stop",
    widths: tuple[int, int] | None = None,
    failed: str = "Training failed: {}",
) -> None:
    """A page's view of its job: while it runs, a progress bar and the page's one Stop button
    (side by side in columns of ``widths``, else one under the other); once it failed, the
    ``failed`` sentence with the job's message in place of ``{}``."""
    if snap.get("status") not in FINISHED:
        if widths:
            bar, button = st.columns(list(widths), vertical_alignment="center")
        else:
            bar = button = st  # the page itself, as before columns were asked for
        queued = snap.get("status") == QUEUED
        bar.progress(
            0.0 if queued else min(fraction, 1.0), text=queue_words(snap) if queued else text
        )
        label = "Cancel" if queued else stop_label
        if button.button(label, key=stop_key, icon=":material/stop:"):
            job.stop()
    elif snap["status"] == FAILED:
        st.error(failed.format(md_escape(snap.get("message"))), icon=":material/error:")


def _fmt_s(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "…"
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


KIND_WORDS = {  # job kind -> the page it belongs to, as the sidebar names it
    "train": "Train",
    "stocks": "Stocks",
    "compare": "RNN vs GRU vs LSTM",
    "text": "Text generation",
    "sentiment": "Sentiment",
    "tune": "Tune",
}


KIND_PAGES = {"train": "train.py", "stocks": "stocks.py", "compare": "compare.py",
              "text": "text.py", "sentiment": "sentiment.py", "tune": "tune.py"}  # fmt: skip


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def queue_words(snap: dict) -> str:
    """A waiting job's place: "2nd in line: it starts when a training slot frees up"."""
    pos = snap.get("queue_position")
    place = f"{ordinal(pos)} in line" if pos else "waiting in line"
    return f"{place}: it starts when a training slot frees up"


def where_words(snap: dict) -> str:
    """Where a running job trains: "on this server · cpu", "on node 10.0.0.7 (box) · GPU"."""
    where = snap.get("where") or {}
    dev = snap.get("device") or {}
    device = "GPU" if dev.get("type") == "cuda" else dev.get("type")
    on = f" · {device}" if device else ""  # known once training began
    if snap.get("backend") != "ray":
        return f"on this server{on}"
    node, host = where.get("node"), where.get("host")
    if not where.get("pid"):
        return "on a Ray worker (starting)"
    named = f"{node} ({host})" if host and host != node else f"{node}"
    return f"on node {named}{on}"


def progress_words(snap: dict) -> str:
    """ "starting…" until the job knows its epochs, then the epoch and, once known, the ETA."""
    epochs = snap.get("epochs") or 0
    if not epochs:
        return "starting…"
    eta = snap.get("eta_s")
    known = eta is not None and eta == eta
    unit = snap.get("unit") or "epoch"  # a study counts trials
    return f"{unit} {snap.get('epoch') or 0}/{epochs}" + (f", ETA {_fmt_s(eta)}" if known else "")


def sidebar_status() -> None:
    """Shown on every page: what this session's jobs are doing; it polls only while one runs."""
    h = holder()
    h.sidebar_polls = bool(h.active())
    if manager().notice:
        st.caption(f":material/warning: {md_escape(manager().notice)}.")
    st.fragment(run_every=SIDEBAR_POLL_S if h.sidebar_polls else None)(_sidebar_body)()


def poll_if_started() -> None:
    """Call after the page ran: a job this run started (after the sidebar was drawn idle)
    gets the sidebar polling, with one more run of the app."""
    h = holder()
    if not h.sidebar_polls and any(not j.done or j.id not in h.collected for j in h.jobs.values()):
        st.rerun()


def _sidebar_body() -> None:
    h = holder()
    if collect_finished():
        st.rerun(scope="app")  # pages redraw with the new results
    if not h.jobs:
        st.caption("No training job in this session yet.")
        return
    for kind, job in h.jobs.items():
        snap = job.snapshot()
        status = snap["status"]
        epochs = snap.get("epochs") or 0
        epoch = snap.get("epoch") or 0
        label = f"**{KIND_WORDS.get(kind, kind)}** · {md_escape(snap['name'])}"
        if status == QUEUED:
            st.progress(0.0, text=f"{label}: {queue_words(snap)}")
            if st.button("Cancel", key=f"sidebar-cancel-{job.id}", icon=":material/close:"):
                job.stop()
                st.rerun(scope="app")
        elif status in FINISHED:
            icon = {  # material icons: emoji need a font the server's browser may lack
                "done": ":material/check_circle:",
                "stopped": ":material/stop_circle:",
                "failed": ":material/error:",
            }[status]
            why = " (browser disconnected)" if snap.get("stop_cause") == DISCONNECTED else ""
            st.caption(f"{icon} {label}: {status}{why} after {_fmt_s(snap['elapsed'])}")
        else:
            frac = min(
                1.0,
                (epoch + (snap.get("batch", 0) / max(snap.get("n_batches", 1), 1)))
                / max(epochs, 1),
            )
            st.progress(frac, text=f"{label}: {progress_words(snap)}")
            st.caption(md_escape(where_words(snap)))
            if kind in KIND_PAGES:  # its page has the one Stop button
                st.page_link(
                    f"../pages/{KIND_PAGES[kind]}",
                    label=f"Watch or stop it on {KIND_WORDS[kind]}",
                    icon=":material/arrow_forward:",
                )
    server_caption()


def server_caption() -> None:
    """The backend, its slots in use and its line; why Ray is not used when it was asked for."""
    m = manager()
    n, waiting = len(m.running()), len(m.waiting())
    line = f" · {waiting} waiting" if waiting else ""
    st.caption(
        f"Server: {m.backend.describe()} · {n} of {m.max_jobs} job slots in use{line} · "
        f"{time.strftime('%H:%M:%S')}"
    )
