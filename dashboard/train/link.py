"""The Train page's settings in the link (dashboard.common.urlstate)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.config import CELLS, OPTIMIZERS
from core.training.device import device_choices
from core.training.presets import PRESETS
from dashboard.common import state, urlstate
from dashboard.common.urlstate import Param
from dashboard.train import form

PAGE = "train"
UPLOAD_WORD = "upload"


def _source_choices() -> list[str]:
    return [*state.datasets(), form.SYNTHETIC_LABEL]


def _encode_source(name: str) -> str | None:
    """An uploaded dataset cannot travel: the link says "upload"."""
    if name == form.SYNTHETIC_LABEL:
        return "synthetic"
    ds = state.datasets().get(name)
    if ds is not None and ds.provenance.get("kind") == "upload":
        return UPLOAD_WORD
    return name


def _columns() -> list[str]:
    """The columns of the data source the link chose (applied before target/features)."""
    source = st.session_state.get("train-source", _source_default())
    if source == form.SYNTHETIC_LABEL:
        return ["value"]
    ds = state.datasets().get(source)
    return list(ds.columns) if ds is not None else []


def _source_default() -> str:
    return state.offline_sample().name


def _target_default() -> str | None:
    cols = _columns()
    return "Close" if "Close" in cols else (cols[0] if cols else None)


def _normalize_default() -> str | None:
    """The form's own choice for the chosen source (form.normalize_setting)."""
    source = st.session_state.get("train-source", _source_default())
    ds = state.datasets().get(source)
    if ds is None:  # synthetic: level windows
        return "level"
    return form.default_normalize(ds)


DEFAULTS: dict[str, Any] = {**form.DEFAULTS, **form._preset_values("quick demo")}


def _p(name: str, key: str, kind: str = "choice", **kw) -> Param:
    return Param(name, key, kind, default=kw.pop("default", DEFAULTS.get(key)), **kw)


def params() -> list[Param]:
    """Every Train setting, in the order the link writes them."""
    return [
        _p("src", "train-source", choices=_source_choices, encode=_encode_source,
           default=_source_default, aliases={"synthetic": form.SYNTHETIC_LABEL},
           refuse={UPLOAD_WORD: "the link was made with uploaded data, which cannot travel "
                   "in a link: the bundled sample is shown instead "
                   "(upload the file on *Your data*, then pick it here)"}),
        _p("rows", "train-rows", choices=["all", *form.ROW_CHOICES], default="all"),
        _p("gen", "train-syn-kind", choices=list(form.SYN_DEFAULTS)),
        _p("n", "train-syn-n", "int", lo=100, hi=20_000),
        _p("gseed", "train-syn-seed", "int", lo=0, hi=10_000),
        _p("period", "train-syn-period", "float", lo=2.0, hi=1000.0),
        _p("amp", "train-syn-amplitude", "float", lo=0.0, hi=1000.0),
        _p("slope", "train-syn-slope", "float", lo=-1.0, hi=1000.0),
        _p("noise", "train-syn-noise", "float", lo=0.0, hi=1000.0),
        _p("target", "train-target", choices=_columns, default=_target_default),
        _p("feat", "train-features", "list", choices=_columns),
        _p("T", "train-lookback", "int", lo=1, hi=500),
        _p("K", "train-horizon", "int", lo=1, hi=100),
        _p("val", "train-val", "float", lo=0.0, hi=0.5),
        _p("test", "train-test", "float", lo=0.0, hi=0.5),
        _p("norm", "train-normalize", choices=list(form.NORMALIZE_LABELS),
           default=_normalize_default),
        _p("preset", "train-preset", choices=list(PRESETS)),
        _p("cell", "train-cell", choices=list(CELLS)),
        _p("hidden", "train-hidden", choices=form.HIDDEN_GRID),
        _p("layers", "train-layers", "int", lo=1, hi=8),
        _p("dropout", "train-dropout", "float", lo=0.0, hi=0.9),
        _p("bidir", "train-bidir", "bool"),
        _p("opt", "train-optimizer", choices=list(OPTIMIZERS)),
        _p("lr", "train-lr", choices=form.LR_GRID),
        _p("batch", "train-batch", choices=form.BATCH_GRID),
        _p("epochs", "train-epochs", "int", lo=1, hi=10_000),
        _p("seed", "train-seed", "int", lo=0, hi=1_000_000),
        _p("clip", "train-clip-on", "bool"),
        _p("clipnorm", "train-clip", "float", lo=0.01, hi=100.0),
        _p("sched", "train-scheduler", "bool"),
        _p("early", "train-early", "bool"),
        _p("patience", "train-patience", "int", lo=1, hi=1000),
        _p("device", "train-device", choices=device_choices),
    ]  # fmt: skip


urlstate.register(PAGE, [p.name for p in params()])


def _after_load(applied: dict) -> None:
    """Keep the link's window values: the form resets them when it meets a new source."""
    ss = st.session_state
    source = ss.get("train-source")
    if source == form.SYNTHETIC_LABEL:
        kind = ss.get("train-syn-kind", DEFAULTS["train-syn-kind"])
        name = f"synthetic {kind}"
    else:
        name = source
    if "train-normalize" in applied and name is not None:
        ss["train-normalize-for"] = name


def bind() -> None:
    """Call before the Train form is drawn."""
    urlstate.bind(PAGE, params(), _after_load)
