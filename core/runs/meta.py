"""The schema of a run's meta.json, and who may see and change a run.

meta.json is read from disk, so it can be damaged or hand-edited: a field of the wrong
type (``"created": "yesterday"``) must make *that* run "damaged", never break the list,
the saves or the evictions of every other run. :func:`problem` checks every field the
store, the command line and the Runs page read, and says in one phrase what is wrong.

Visibility (issue 13): a browser session sees and changes only the runs it saved. Runs
saved without a session (the command line) and runs an operator marked ``"shared"``
(``python -m core runs share ID``) are a gallery: visible to every session, read-only.
"""

from __future__ import annotations

import math
from typing import Any

# -- types ----------------------------------------------------------------------------------
NUMBER = "a number"
INT = "an integer"
STR = "a string"
BOOL = "true or false"
DICT = "an object"
LIST_STR = "a list of strings"
MAX_DEPTH = 64  # deeper nesting is refused before anything walks it


def is_type(value: Any, kind: str) -> bool:
    if kind == NUMBER:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return ok and math.isfinite(value)
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == STR:
        return isinstance(value, str)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == DICT:
        return isinstance(value, dict)
    if kind == LIST_STR:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    raise ValueError(kind)


# field -> (type, may it be null); nested objects have their own table. Absent fields are
# allowed everywhere (older runs, other kinds): readers use defaults for them.
TOP: dict[str, tuple[str, bool]] = {
    "format": (STR, False),
    "id": (STR, False),
    "name": (STR, True),
    "kind": (STR, False),
    "created": (NUMBER, True),
    "pinned": (BOOL, True),
    "shared": (BOOL, True),
    "session": (STR, True),
    "origin": (STR, True),
    "weights": (STR, True),
    "checkpoints": (LIST_STR, True),
    "units": (STR, True),
    "model": (STR, True),
    "n_epochs": (INT, True),
    "n_params": (INT, True),
    "extras_keys": (LIST_STR, True),
    "save_seconds": (NUMBER, True),
    "fit": (DICT, True),
    "scores": (DICT, True),
    "dataset": (DICT, True),
    "data_cfg": (DICT, True),
    "model_cfg": (DICT, True),
    "train_cfg": (DICT, True),
}
NESTED: dict[str, dict[str, tuple[str, bool]]] = {
    "fit": {"best_val_loss": (NUMBER, True), "device": (DICT, True), "seconds": (NUMBER, True)},
    "dataset": {"name": (STR, True), "rows": (INT, True)},
    "data_cfg": {"target": (STR, True), "lookback": (INT, True), "horizon": (INT, True)},
    "model_cfg": {
        "cell": (STR, True),
        "hidden_size": (INT, True),
        "num_layers": (INT, True),
        "bidirectional": (BOOL, True),
    },
    "scores": {"val": (DICT, True), "test": (DICT, True)},
}
DEEPER: dict[tuple[str, str], dict[str, tuple[str, bool]]] = {
    ("fit", "device"): {"label": (STR, True)},
    ("scores", "val"): {"model_mae": (NUMBER, True), "naive_mae": (NUMBER, True)},
    ("scores", "test"): {"model_mae": (NUMBER, True), "naive_mae": (NUMBER, True)},
}
WEIGHTS = ("best", "last")


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _check(obj: dict, table: dict[str, tuple[str, bool]], where: str) -> str | None:
    for key, (kind, nullable) in table.items():
        if key not in obj or (obj[key] is None and nullable):
            continue
        if not is_type(obj[key], kind):
            return f"field '{where}{key}' should be {kind}, not {_shown(obj[key])}"
    return None


def _depth(obj: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth, stopping at ``limit`` (iterative: no recursion on hostile input)."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        cur, d = stack.pop()
        deepest = max(deepest, d)
        if deepest >= limit:
            return deepest
        if isinstance(cur, dict):
            stack.extend((v, d + 1) for v in cur.values())
        elif isinstance(cur, list):
            stack.extend((v, d + 1) for v in cur)
    return deepest


def problem(meta: Any, fmt: str) -> str | None:
    """What is wrong with a meta.json's content (a phrase), or None when it is usable."""
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        return "it is not an LSTM Lab run"
    if _depth(meta) >= MAX_DEPTH:
        return f"it is nested more than {MAX_DEPTH} levels deep"
    why = _check(meta, TOP, "")
    if why:
        return why
    if meta.get("weights") is not None and meta["weights"] not in WEIGHTS:
        return f"field 'weights' should be 'best' or 'last', not {_shown(meta['weights'])}"
    if meta.get("created") is not None and meta["created"] < 0:
        return "field 'created' should be a time (seconds since 1970), not negative"
    for key, table in NESTED.items():
        sub = meta.get(key)
        if isinstance(sub, dict):
            why = _check(sub, table, f"{key}.")
            if why:
                return why
            for (outer, inner), deeper in DEEPER.items():
                if outer == key and isinstance(sub.get(inner), dict):
                    why = _check(sub[inner], deeper, f"{key}.{inner}.")
                    if why:
                        return why
    return None


def owner_session(meta: Any) -> str | None:
    """The session that saved a run, read defensively (also from a damaged meta.json)."""
    s = meta.get("session") if isinstance(meta, dict) else None
    return s if isinstance(s, str) else None


# -- visibility -------------------------------------------------------------------------------
def in_gallery(meta: dict) -> bool:
    """Visible to every session, read-only: saved without a session (the command line) or
    marked shared by the operator. A damaged run is never in the gallery."""
    return meta.get("shared") is True or ("format" in meta and meta.get("session") is None)


def visible_to(meta: dict, session: str | None) -> bool:
    """``session`` None: the operator (command line) sees every run."""
    return session is None or owner_session(meta) == session or in_gallery(meta)


def writable_by(meta: dict, session: str | None) -> bool:
    """May ``session`` rename, pin or delete the run? Only its own, never the gallery's."""
    if session is None:
        return True
    return owner_session(meta) == session and meta.get("shared") is not True
