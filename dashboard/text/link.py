"""The text page's training settings in the link (dashboard.common.urlstate)."""

from __future__ import annotations

import streamlit as st

from core.config import CELLS
from dashboard.common import urlstate
from dashboard.common.urlstate import Param
from dashboard.text import ui

PAGE = "text"
PRESET_NAMES = list(ui.PRESETS)


def _preset() -> str:
    name = st.session_state.get("text-preset", PRESET_NAMES[0])
    return name if name in ui.PRESETS else PRESET_NAMES[0]


def _per_preset(name: str, suffix: str, kind: str, attr: tuple[int, str], **kw) -> Param:
    """A setting whose widget key and default follow the preset (text-<preset>-<suffix>)."""
    which, field = attr

    def default():
        return getattr(ui.PRESETS[_preset()][which], field)

    return Param(name, lambda: f"text-{_preset()}-{suffix}", kind, default=default, **kw)


def params() -> list[Param]:
    return [
        Param("src", "text-source", choices=[ui.SOURCES[0]], default=ui.SOURCES[0],
              aliases={"shakespeare": ui.SOURCES[0]},
              refuse={w: f"the link was made with {t}, which cannot travel in a link: the "
                      "bundled Shakespeare is used instead"
                      for w, t in (("pasted", "pasted text"), ("upload", "an uploaded text"))},
              encode=lambda s: {ui.SOURCES[1]: "pasted", ui.SOURCES[2]: "upload"}.get(s, s)),
        Param("preset", "text-preset", choices=PRESET_NAMES, default=PRESET_NAMES[0]),
        _per_preset("cell", "cell", "choice", (0, "cell"), choices=list(CELLS)),
        _per_preset("layers", "layers", "int", (0, "num_layers"), lo=1, hi=4),
        _per_preset("hidden", "hidden", "choice", (0, "hidden_size"),
                    choices=[32, 64, 128, 256, 512]),
        _per_preset("emb", "e", "choice", (0, "embed_size"), choices=[8, 16, 32, 64]),
        _per_preset("dropout", "drop", "float", (0, "dropout"), lo=0.0, hi=0.5),
        _per_preset("epochs", "epochs", "int", (1, "epochs"), lo=1, hi=1000),
        _per_preset("batch", "batch", "choice", (1, "batch_size"),
                    choices=[4, 8, 16, 32, 50, 64, 128]),
        _per_preset("seq", "seq", "choice", (1, "seq_len"),
                    choices=[16, 32, 50, 64, 100, 128, 256]),
        _per_preset("lr", "lr", "choice", (1, "lr"),
                    choices=[5e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2e-2]),
        _per_preset("clip", "clip", "float", (1, "clip_norm"), lo=0.1, hi=100.0),
        _per_preset("seed", "seed", "int", (1, "seed"), lo=0, hi=2**31 - 1),
    ]  # fmt: skip


urlstate.register(PAGE, [p.name for p in params()])


def bind() -> None:
    urlstate.bind(PAGE, params())
