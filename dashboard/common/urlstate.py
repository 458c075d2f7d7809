"""Page settings in the link: one binding between widget keys and the URL query string.

A page declares its settings as ``Param``s (short URL name, widget key, kind, valid
choices or range, default) and calls ``bind(page, params)`` before drawing its widgets:

- on the session's first run of that page, valid values from the link fill the widgets
  (through ``st.session_state``, before they exist); unknown or out-of-range values are
  ignored with a visible note naming them, never an error;
- after every run ``sync()`` (called by ``dashboard/app.py``) writes the current widget
  values back to the query string: only values that differ from the default, short names,
  in the declared order, then the presenter's ``present``, ``lock`` and ``hide``.

``lock=lr,epochs`` pins those controls to the link's value (``locked(key)`` gives the
widget's ``disabled=``); ``hide=cell,hidden`` hides them (CSS on Streamlit's ``st-key-*``
class, so the value still counts). Names are the params' URL names, on any page.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from dashboard.common.safe_text import md_escape

PRESENT, LOCK, HIDE = "present", "lock", "hide"
RESERVED = (PRESENT, LOCK, HIDE)
STREAMLIT_OWN = ("embed", "embed_options")  # Streamlit refuses to set these
LOADED = "_url_loaded"  # pages whose link values were applied in this session
BOUND = "_url_bound"  # (page, params) bound in the current run, for sync()
FIRST = "_url_first"  # (page, query dict) of the session's first run: the link as opened
TEACHER = "_url_teacher"  # {"lock": [...], "hide": [...]} from the link, fixed per session
SHOW = "_url_show"  # this run's "Copy link" drawer (begin)
PINS = "_url_pins"  # widget key -> value held by lock=
PRESENT_KEY = "present-mode"  # the sidebar toggle's key
REGISTRY: dict[str, tuple[str, ...]] = {}  # page -> URL names it binds (names only: shared)


@dataclass(frozen=True)
class Param:
    """One setting in the link.

    kind: "choice" (one of ``choices``, written as its text), "list" (``lo``..``hi`` of
    ``choices``, comma-separated), "int", "float" (within ``lo``..``hi``), "bool" (1/0),
    "text", "date" (ISO). ``choices``, ``lo``, ``hi``, ``default`` and ``key`` may be
    callables, evaluated when the link is read (after the params before them were
    applied). ``aliases`` maps URL words to values (``synthetic`` -> the long label);
    ``refuse`` maps URL words to the note shown when they cannot be honoured (``upload``).
    ``default=None``: always written.
    """

    name: str
    key: str | Callable[[], str]
    kind: str = "choice"
    choices: Sequence | Callable[[], Sequence] | None = None
    lo: Any = None
    hi: Any = None
    default: Any = None
    aliases: dict[str, Any] = field(default_factory=dict)
    refuse: dict[str, str] = field(default_factory=dict)
    encode: Callable[[Any], str | None] | None = None  # overrides the kind's writer

    def widget_key(self) -> str:
        return _value(self.key)


def _value(x: Any) -> Any:
    return x() if callable(x) else x


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return f"{v:.10g}"
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()[:10]
    return str(v)


def to_url(p: Param, value: Any) -> str | None:
    """The value as the link writes it; None when it cannot be written."""
    if p.encode is not None:
        return p.encode(value)
    for word, v in p.aliases.items():
        if v == value:
            return word
    if p.kind == "list":
        return ",".join(_text(v) for v in value or [])
    return None if value is None else _text(value)


def _number(p: Param, text: str, cast: type) -> Any:
    v = cast(text) if cast is float else int(text, 10)
    if cast is float and not math.isfinite(v):
        raise ValueError
    lo, hi = _value(p.lo), _value(p.hi)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ValueError
    return v


def _choice(text: str, choices: Sequence) -> Any:
    for c in choices:
        if _text(c) == text:
            return c
    try:  # 0.0010 for 0.001, 1e-3 for 0.001
        x = float(text)
        for c in choices:
            number = isinstance(c, (int, float)) and not isinstance(c, bool)
            if number and math.isclose(x, c, rel_tol=1e-9):
                return c
    except ValueError:
        pass
    raise ValueError


def from_url(p: Param, text: str) -> Any:
    """The widget value for a URL word; ValueError when it is unknown or out of range."""
    if text in p.aliases:
        return p.aliases[text]
    choices = _value(p.choices)
    if p.kind == "bool":
        word = text.lower()
        if word in ("1", "true", "on", "yes"):
            return True
        if word in ("0", "false", "off", "no"):
            return False
        raise ValueError
    if p.kind == "int":
        return _number(p, text, int)
    if p.kind == "float":
        return _number(p, text, float)
    if p.kind == "date":
        d = dt.date.fromisoformat(text)
        lo, hi = _value(p.lo), _value(p.hi)
        if (lo is not None and d < lo) or (hi is not None and d > hi):
            raise ValueError
        return d
    if p.kind == "list":
        items = [t for t in text.split(",") if t]
        out = list(dict.fromkeys(_choice(t, choices) if choices is not None else t for t in items))
        if (_value(p.lo) or 0) > len(out) or (p.hi is not None and len(out) > _value(p.hi)):
            raise ValueError  # lo..hi items for a list
        return out
    if choices is not None:
        return _choice(text, choices)
    return text


# -- reading the link ---------------------------------------------------------------------------
def begin(page: str) -> None:
    """Call once per run before the page (app.py): remember the link the session opened with."""
    ss = st.session_state
    ss[BOUND] = None
    ss[SHOW] = None
    if FIRST not in ss:
        qp = st.query_params
        ss[FIRST] = (page, {k: qp.get_all(k)[-1] for k in qp})
        ss[TEACHER] = {LOCK: _names(qp.get(LOCK)), HIDE: _names(qp.get(HIDE))}
        ss[PRESENT_KEY] = qp.get(PRESENT, "0") in ("1", "true", "on", "yes")


def _names(text: str | None) -> list[str]:
    return list(dict.fromkeys(t.strip() for t in (text or "").split(",") if t.strip()))


def link_values(page: str) -> dict[str, str]:
    """The link's values for this page: the opening link's (if it was for this page), then
    the current query string's."""
    first_page, first = st.session_state.get(FIRST, (None, {}))
    values = dict(first) if first_page == page else {}
    qp = st.query_params
    values.update({k: qp.get_all(k)[-1] for k in qp})
    return values


def load(params: Sequence[Param], values: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Apply link ``values`` to session state in order; (applied key -> value, notes)."""
    ss, applied, notes = st.session_state, {}, []
    known = {p.name for p in params} | set(RESERVED)
    for p in params:
        if p.name not in values:
            continue
        text = values[p.name]
        if text in p.refuse:
            notes.append(p.refuse[text])
            continue
        try:
            value = from_url(p, text)
        except (ValueError, TypeError):
            notes.append(f"**{md_escape(p.name)}={md_escape(text)}** is not a valid value")
            continue
        ss[p.widget_key()] = value
        applied[p.widget_key()] = value
    unknown = [k for k in values if k not in known]
    if unknown:
        names = ", ".join(f"**{md_escape(k)}**" for k in unknown)
        notes.append(f"{names} {'is not a setting' if len(unknown) == 1 else 'are not settings'} "
                     "of this page")  # fmt: skip
    return applied, notes


def bind(page: str, params: Sequence[Param], after_load: Callable[[dict], None] | None = None):
    """Bind this page's settings to the link; call before the widgets (see the module doc).

    ``after_load(applied)`` runs once after link values were applied (companion state).
    """
    ss = st.session_state
    REGISTRY.setdefault(page, tuple(p.name for p in params))
    ss[BOUND] = (page, tuple(params))
    loaded = ss.setdefault(LOADED, set())
    if page not in loaded:
        loaded.add(page)
        applied, notes = load(params, link_values(page))
        if after_load is not None:
            after_load(applied)
        notes += _teacher_notes()
        if notes:
            st.info(
                "Parts of this link were ignored: " + "; ".join(notes) + ". The page shows "
                "its defaults for them.",
                icon=":material/link_off:",
            )
        _pin(params)
    pins = ss.get(PINS, {})
    for p in params:  # a preset or a callback may have moved a locked value: put it back
        k = p.widget_key()
        if k in pins and ss.get(k) != pins[k]:
            if _still_valid(p, pins[k]):
                ss[k] = pins[k]
            else:  # e.g. a window number beyond a new, shorter run: the widget's own value
                del pins[k]
    _hide_css(params)
    publish()  # now: a page that calls st.stop() later sends nothing after it


def _still_valid(p: Param, value: Any) -> bool:
    try:
        text = to_url(p, value)
        return text is not None and _same(from_url(p, text), value)
    except (ValueError, TypeError):
        return False


def _pin(params: Sequence[Param]) -> None:
    ss = st.session_state
    lock = set(ss.get(TEACHER, {}).get(LOCK, []))
    pins = ss.setdefault(PINS, {})
    for p in params:
        if p.name in lock:
            k = p.widget_key()
            value = ss[k] if k in ss else _value(p.default)
            if value is not None:
                ss[k] = pins[k] = value


def register(page: str, names: Sequence[str]) -> None:
    """Declare a page's URL names (at import of its link module), so ``lock``/``hide``
    names can be checked on any page."""
    taken = [n for n in names if n.lower() in STREAMLIT_OWN or n in RESERVED]
    assert not taken, f"{page}: {taken} are reserved query parameters"
    REGISTRY[page] = tuple(names)


def _teacher_notes() -> list[str]:
    """lock/hide names no page knows (said once per session)."""
    ss = st.session_state
    if ss.get("_url_teacher_checked"):
        return []
    ss["_url_teacher_checked"] = True
    teacher = ss.get(TEACHER, {})
    known = {n for names in REGISTRY.values() for n in names}
    bad = [n for n in teacher.get(LOCK, []) + teacher.get(HIDE, []) if n not in known]
    if not bad:
        return []
    for name in (LOCK, HIDE):  # the unknown names leave the link
        teacher[name] = [n for n in teacher.get(name, []) if n in known]
    return [f"{', '.join(f'**{md_escape(n)}**' for n in bad)} in `lock`/`hide` "
            f"{'is' if len(bad) == 1 else 'are'} not a control of the lab"]  # fmt: skip


def locked(key: str) -> bool:
    """True when the link locks this widget (``disabled=``)."""
    ss = st.session_state
    bound = ss.get(BOUND)
    lock = ss.get(TEACHER, {}).get(LOCK, [])
    if not lock or bound is None:
        return False
    return any(p.name in lock and p.widget_key() == key for p in bound[1])


def hidden_keys(params: Sequence[Param]) -> list[str]:
    hide = st.session_state.get(TEACHER, {}).get(HIDE, [])
    return [p.widget_key() for p in params if p.name in hide]


def css_class(key: str) -> str:
    """Streamlit's class for a keyed element's container (its frontend's own rule)."""
    return "st-key-" + "".join(c if c.isalnum() or c in "_-" else "-" for c in key.strip())


def _hide_css(params: Sequence[Param]) -> None:
    keys = hidden_keys(params)
    if keys:
        rules = ", ".join("." + css_class(k) for k in keys)
        st.html(f"<style>{rules} {{ display: none !important; }}</style>")


# -- writing the link ---------------------------------------------------------------------------
def query(page_params: Sequence[Param] | None) -> dict[str, str]:
    """The query string for the current values: non-defaults in order, then the presenter's."""
    ss, out = st.session_state, {}
    if page_params is None:  # the page bound nothing this run: keep what the link says
        out = {k: st.query_params.get_all(k)[-1] for k in st.query_params if k not in RESERVED}
    for p in page_params or ():
        k = p.widget_key()
        if k not in ss:
            continue
        value, default = ss[k], _value(p.default)
        if default is not None and _same(value, default):
            continue
        text = to_url(p, value)
        if text is not None:
            out[p.name] = text
    teacher = ss.get(TEACHER, {})
    if ss.get(PRESENT_KEY):
        out[PRESENT] = "1"
    for name in (LOCK, HIDE):
        if teacher.get(name):
            out[name] = ",".join(teacher[name])
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9)
        except (TypeError, ValueError):
            return False
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    return a == b


def sync() -> dict[str, str]:
    """Write the current settings to the query string (when they changed); the query."""
    bound = st.session_state.get(BOUND)
    want = query(bound[1] if bound else None)
    have = {k: st.query_params.get_all(k)[-1] for k in st.query_params}
    if list(have.items()) != list(want.items()):
        try:
            st.query_params.from_dict(want)
        except StreamlitAPIException:  # a name Streamlit keeps (embed): the link stays as it is
            return have
    return want


def show_link_with(show: Callable[[dict[str, str]], None]) -> None:
    """This run's "Copy link" drawer: ``show(query)`` is called by ``publish``."""
    st.session_state[SHOW] = show


def publish() -> None:
    """sync(), then draw the "Copy link" control with the query (app.py calls it after the
    page too, for values the page changed while it ran)."""
    want = sync()
    show = st.session_state.get(SHOW)
    if show is not None:
        show(want)


def full_link(params: dict[str, str]) -> str:
    """The page's address with this query (st.context.url; the query alone where unknown)."""
    from urllib.parse import urlencode

    base = (st.context.url or "").split("?")[0]
    q = urlencode(params, safe=",")
    return f"{base}?{q}" if q else base


def ctl(key: str) -> dict[str, Any]:
    """A bound widget's ``key=`` and ``disabled=`` (locked by the link): ``**ctl("x-lr")``."""
    return {"key": key, "disabled": locked(key)}
