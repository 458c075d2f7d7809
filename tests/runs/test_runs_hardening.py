"""The run store under damage and hostility: wrong-typed meta.json fields (fuzzed), planted
symbolic links, and which session sees and changes which run."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.runs import meta as run_meta
from core.runs.files import folder_size
from core.runs.store import Limits, RunError, RunStore

PAYLOAD = {"w": list(range(400))}  # a few KB on disk


def record(store: RunStore, name: str, session: str | None = None, **kw):
    return store.save_record("text", name, {"units": "bpc"}, PAYLOAD, session=session, **kw)


def damage(store: RunStore, run_id: str, **fields) -> None:
    path = store.root / run_id / "meta.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **fields}))


def cli(*args: str, env_dir) -> subprocess.CompletedProcess:
    env = {**os.environ, "LSTMLAB_RUNS_DIR": str(env_dir), "LSTMLAB_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


# -- damaged meta.json (issue 20.2) ------------------------------------------------------------
def test_a_wrong_typed_field_marks_one_run_damaged_and_nothing_else(tmp_path):
    store = RunStore(tmp_path, Limits(max_bytes=10**9, per_session=2))
    bad = record(store, "bad", session="s").info.id
    good = record(store, "good", session="s").info.id
    damage(store, bad, created="yesterday")
    infos = {i.id: i for i in store.list()}
    assert infos[good].broken is None
    assert infos[bad].broken == (
        "its meta.json is damaged: field 'created' should be a number, not 'yesterday'"
    )
    assert [r.summary()["broken"] for r in store.list()]  # every row renders
    # later saves still enforce the per-session limit: the damaged run (oldest) goes first
    res = record(store, "third", session="s")
    assert [r.id for r in res.evicted] == [bad]
    assert {i.id for i in store.list()} == {good, res.info.id}
    out = cli("runs", "list", env_dir=tmp_path)
    assert out.returncode == 0, out.stderr


def test_the_command_line_lists_a_damaged_run(tmp_path):
    store = RunStore(tmp_path)
    bad = record(store, "bad").info.id
    record(store, "good")
    damage(store, bad, created="yesterday", fit={"best_val_loss": "low"})
    out = cli("runs", "list", env_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"{bad}  BROKEN: its meta.json is damaged: field 'created'" in out.stdout
    assert "'good'" in out.stdout


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
FIELDS = sorted(run_meta.TOP) + [f"{k}.{f}" for k, t in run_meta.NESTED.items() for f in t]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=st.dictionaries(st.sampled_from(FIELDS), JSON, min_size=1, max_size=4))
def test_fuzzed_meta_never_breaks_listing_saving_or_the_quota(tmp_path_factory, changes):
    root = tmp_path_factory.mktemp("fuzz")
    store = RunStore(root, Limits(max_bytes=7_500, per_session=3))
    victim = record(store, "victim", session="s").info.id
    path = root / victim / "meta.json"
    meta = json.loads(path.read_text())
    meta["fit"], meta["scores"], meta["model_cfg"] = {}, {}, {}
    meta["dataset"], meta["data_cfg"] = {}, {}
    for key, value in changes.items():
        outer, _, inner = key.partition(".")
        if inner:
            meta[outer] = meta[outer] if isinstance(meta.get(outer), dict) else {}
            meta[outer][inner] = value
        else:
            meta[outer] = value
    path.write_text(json.dumps(meta, allow_nan=True))
    for info in store.list():  # listing never raises; every row renders
        json.dumps(info.summary(), allow_nan=True)
        info.visible_to("s"), info.writable_by("s"), info.shared
    for i in range(6):  # saving and evicting never raise but RunError, and the quota holds
        try:
            new = record(store, f"run {i}", session="s").info.id
        except RunError:
            continue
        runs = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
        total = sum(folder_size(p) for p in runs)
        kept = {new} | {r.id for r in store.list() if r.pinned}  # never removed by limits
        assert total <= 7_500 or {p.name for p in runs} <= kept
        mine = [r for r in store.list() if r.session == "s" and not r.pinned]
        assert len(mine) <= 3
    for info in store.list():
        store.history(info.id)
        with contextlib.suppress(RunError):
            store.rename(info.id, "x")


# -- symbolic links (issue 20.7) ------------------------------------------------------------------
def test_a_planted_link_is_never_followed_on_rename_delete_or_eviction(tmp_path):
    store = RunStore(tmp_path / "runs", Limits(max_bytes=30_000, per_session=100))
    elsewhere = RunStore(tmp_path / "elsewhere")  # e.g. another lab's runs, or any folder
    target = record(elsewhere, "not yours").info
    record(store, "mine")
    link = store.root / "planted"
    link.symlink_to(target.path, target_is_directory=True)
    info = store.get("planted")
    assert info.broken == "it is a symbolic link, which runs never are" and info.size_bytes == 0
    with pytest.raises(RunError, match="cannot be changed: it is a symbolic link"):
        store.rename("planted", "renamed through the link")
    with pytest.raises(RunError):
        store.set_pinned("planted", True)
    assert elsewhere.get(target.id).name == "not yours"
    store.delete("planted")  # removes the link only
    assert not link.is_symlink() and elsewhere.get(target.id).broken is None
    link.symlink_to(target.path, target_is_directory=True)
    for i in range(8):  # eviction may remove the link, never what it points to
        record(store, f"filler {i}")
    assert (target.path / "payload.pt").is_file()
    assert elsewhere.get(target.id).broken is None


def test_a_linked_file_inside_a_run_is_refused(tmp_path):
    store = RunStore(tmp_path / "runs")
    secret = tmp_path / "secret.txt"
    secret.write_text("server secret")
    rid = record(store, "run").info.id
    payload = store.root / rid / "payload.pt"
    payload.unlink()
    payload.symlink_to(secret)
    with pytest.raises(RunError, match=r"its payload\.pt is a symbolic link"):
        store.payload_path(rid)
    (store.root / rid / "history.json").symlink_to(secret)
    assert store.history(rid) == []
    meta = store.root / rid / "meta.json"
    real = tmp_path / "meta.json"
    real.write_text(meta.read_text())
    meta.unlink()
    meta.symlink_to(real)
    assert store.get(rid).broken == "its meta.json is a symbolic link"


# -- who sees what (issue 13.3) ------------------------------------------------------------------
def test_each_session_sees_and_changes_only_its_own_runs_and_the_gallery(tmp_path):
    store = RunStore(tmp_path)
    alice = record(store, "alice's", session="alice").info.id
    bob = record(store, "bob's", session="bob").info.id
    cli_run = record(store, "from the command line", session=None).info.id
    pinned_demo = record(store, "demo", session="carol").info.id
    store.set_shared(pinned_demo, True)
    seen = {s: {r.id for r in store.list(session=s)} for s in ("alice", "bob")}
    assert seen["alice"] == {alice, cli_run, pinned_demo}
    assert seen["bob"] == {bob, cli_run, pinned_demo}
    assert {r.id for r in store.list()} == {alice, bob, cli_run, pinned_demo}  # the operator
    assert store.get(pinned_demo, "alice").shared
    with pytest.raises(RunError, match="it may have been deleted"):
        store.get(bob, "alice")
    for run_id in (bob, cli_run, pinned_demo):
        with pytest.raises(RunError):
            store.delete(run_id, "alice")
        with pytest.raises(RunError):
            store.rename(run_id, "mine now", "alice")
        with pytest.raises(RunError):
            store.set_pinned(run_id, True, "alice")
    store.delete(alice, "alice")
    assert {r.id for r in store.list()} == {bob, cli_run, pinned_demo}


def test_the_operator_shares_a_run_from_the_command_line(tmp_path):
    store = RunStore(tmp_path)
    rid = record(store, "demo", session="carol").info.id
    assert rid not in {r.id for r in store.list(session="dave")}
    out = cli("runs", "share", rid, env_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "is now shown to every browser session (read-only)" in out.stdout
    assert rid in {r.id for r in store.list(session="dave")}
    assert "[shared]" in cli("runs", "list", env_dir=tmp_path).stdout
    assert cli("runs", "unshare", rid, env_dir=tmp_path).returncode == 0
    assert rid not in {r.id for r in store.list(session="dave")}


def test_evictions_name_only_the_savers_own_runs(tmp_path):
    store = RunStore(tmp_path, Limits(max_bytes=10**9, per_session=1))
    record(store, "alice old", session="alice")
    record(store, "bob old", session="bob")
    res = record(store, "alice new", session="alice")
    assert [r.name for r in res.evicted] == ["alice old"]
    assert res.message.startswith("Removed 1 older run to stay within the limits")
    assert "'alice old'" in res.message
    assert [e["name"] for e in store.evictions(session="alice")] == ["alice old"]
    assert store.evictions(session="bob") == []
    small = RunStore(tmp_path, Limits(max_bytes=1, per_session=100))
    res = record(small, "carol", session="carol")  # the size limit removes others' runs
    assert "'bob old'" not in res.message and "of other sessions" in res.message
