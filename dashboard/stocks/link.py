"""The stocks page's model and backtest settings in the link (dashboard.common.urlstate).

Downloaded prices do not travel (they need the network): the data choice stays local."""

from __future__ import annotations

from core.forecast.stock_model import MODES
from dashboard.common import urlstate
from dashboard.common.urlstate import Param

PAGE = "stocks"


def params() -> list[Param]:
    return [
        Param("mode", "stocks-mode", choices=list(MODES), default=next(iter(MODES))),
        Param("horizon", "stocks-horizon", "int", lo=1, hi=30, default=1),
        Param("strategy", "stocks-strategy", choices=["direct", "recursive"],
              default="direct"),
        Param("interval", "stocks-interval", choices=[0.5, 0.8, 0.9, 0.95], default=0.8),
        Param("origins", "stocks-origins", "int", lo=5, hi=60, default=20),
        Param("refit", "stocks-refit", "int", lo=1, hi=20, default=5),
        Param("epochs", "stocks-epochs", "int", lo=2, hi=30, default=6),
        Param("lookback", "stocks-lookback", "int", lo=5, hi=120, default=20),
    ]  # fmt: skip


urlstate.register(PAGE, [p.name for p in params()])


def bind() -> None:
    urlstate.bind(PAGE, params())
