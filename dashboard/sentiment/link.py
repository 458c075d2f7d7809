"""The sentiment page's data and training settings in the link (dashboard.common.urlstate)."""

from __future__ import annotations

from core.config import TrainConfig
from core.sentiment import BUNDLED, CLASSIFIER_CELLS, ClassifierConfig, TextConfig
from dashboard.common import urlstate
from dashboard.common.urlstate import Param
from dashboard.sentiment import ui

PAGE = "sentiment"
SIZES = [16, 32, 64, 128]


def params() -> list[Param]:
    m, t = ClassifierConfig(), TextConfig()
    tr: TrainConfig = ui.DEFAULT_TRAIN
    return [
        Param("data", ui.DATA_WIDGET, choices=list(BUNDLED), default=next(iter(BUNDLED)),
              refuse={"upload": "the link was made with an uploaded review file, which "
                      "cannot travel in a link: a bundled review set is used instead"},
              encode=lambda k: k if k in BUNDLED else "upload"),
        Param("cell", "sent-cell", choices=list(CLASSIFIER_CELLS), default=m.cell),
        Param("emb", "sent-embed", choices=SIZES, default=m.embed_dim),
        Param("hidden", "sent-hidden", choices=SIZES, default=m.hidden_size),
        Param("layers", "sent-layers", "int", lo=1, hi=3, default=m.num_layers),
        Param("bidir", "sent-bidir", "bool", default=m.bidirectional),
        Param("attention", "sent-attention", "bool", default=m.attention),
        Param("dropout", "sent-dropout", "float", lo=0.0, hi=0.6, default=m.dropout),
        Param("vocab", "sent-vocab", choices=[2000, 5000, 10000, 20000], default=t.max_vocab),
        Param("maxlen", "sent-maxlen", "int", lo=10, hi=120, default=t.max_len),
        Param("epochs", "sent-epochs", "int", lo=1, hi=30, default=tr.epochs),
        Param("batch", "sent-batch", choices=[16, 32, 64, 128, 256], default=tr.batch_size),
        Param("lr", "sent-lr", choices=[1e-3, 2e-3, 3e-3, 5e-3, 1e-2], default=tr.lr),
        Param("early", "sent-early", "bool", default=tr.early_stopping),
    ]  # fmt: skip


urlstate.register(PAGE, [p.name for p in params()])


def bind() -> None:
    urlstate.bind(PAGE, params())
