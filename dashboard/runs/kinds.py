"""Where an opened run goes in the session, per kind (the UI half of ``core.runs.registry``).

A kind registered in core opens on the Runs page once it has an entry here::

    register_ui("sentiment", KindUI(
        set_current=state.set_sentiment_run, current=state.sentiment_run,
        role="sentiment model", pages=(("sentiment.py", "Go to the Sentiment page"),),
    ))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dashboard.common import state
from dashboard.common.safe_text import md_escape
from dashboard.compare import runs as compare_runs_ui


@dataclass(frozen=True)
class KindUI:
    """How a run of one kind becomes (and is found as) the session's model of that kind."""

    set_current: Callable[[Any], None]
    current: Callable[[], Any]
    role: str  # "current run", "text model": in "it is now this session's <role>"
    pages: tuple[tuple[str, str], ...]  # (file in pages/, link label) that use it


UI: dict[str, KindUI] = {}


def register_ui(kind: str, ui: KindUI) -> None:
    UI[kind] = ui


def get_ui(kind: str) -> KindUI | None:
    return UI.get(kind)


def is_current(kind: str, run_id: str) -> bool:
    """Is this saved run the one the session has open for its kind?"""
    ui = UI.get(kind)
    run = ui.current() if ui else None
    return run is not None and getattr(run, "extras", {}).get("saved_run_id") == run_id


def page_links(kind: str) -> list[tuple[str, str]]:
    """(page path, label) of the pages that use this kind's run, those that exist.

    Absolute paths: ``st.page_link`` resolves relative ones against the entry script's
    folder (dashboard/), where no page lives."""
    ui = UI.get(kind)
    pages = ui.pages if ui else ()
    found = [(state.PAGES_DIR / f, label) for f, label in pages]
    return [(str(path), label) for path, label in found if path.exists()]


def _num(v, fmt: str, default: str = "?") -> str:
    return format(v, fmt) if isinstance(v, (int, float)) else default


def details_markdown(kind: str, m: dict, size: str) -> str:
    """The Details expander of the Runs page: data, training, weights (from meta.json)."""
    ds, fit = m.get("dataset") or {}, m.get("fit") or {}
    device = (fit.get("device") or {}).get("label", "?")
    if kind == "sentiment":
        return _sentiment_details(m, size)
    if kind == "compare":
        return compare_runs_ui.details_markdown(m, size)
    if kind == "text":
        base = m.get("baselines") or {}
        return (
            f"- **Corpus**: {md_escape(ds.get('name', '?'))}, "
            f"{_num(ds.get('chars'), ',')} characters "
            f"({_num(ds.get('bytes'), ',')} bytes of UTF-8), {ds.get('vocab_size', '?')} "
            f"distinct · sha256 `{str(ds.get('fingerprint', ''))[:12]}`\n"
            f"- **Training**: {_num(fit.get('steps'), ',')} steps in "
            f"{_num(fit.get('seconds'), '.1f')} s on {device} · "
            f"{md_escape(fit.get('message', ''))}\n"
            f"- **Best validation**: {_num(fit.get('best_val_loss'), '.3f', '-')} bits/char at "
            f"step {_num(fit.get('best_step'), ',', '-')} (character frequencies alone: "
            f"{_num(base.get('unigram_bpc'), '.3f')}) · opens with the final weights · "
            f"{size} on disk"
        )
    return (
        f"- **Data**: {md_escape(ds.get('name', '?'))}, {ds.get('rows', '?')} rows from "
        f"{ds.get('start', '?')} to {ds.get('end', '?')} · fingerprint "
        f"`{str(ds.get('fingerprint', ''))[:12]}`\n"
        f"- **Training**: {m.get('n_epochs', '?')} epochs in {fit.get('seconds') or 0:.1f} s "
        f"on {device} · {md_escape(fit.get('message', ''))}\n"
        f"- **Opens with** the {m.get('weights', '?')} weights · checkpoints: "
        f"{', '.join(m.get('checkpoints', []))} · {size} on disk"
    )


def _sentiment_details(m: dict, size: str) -> str:
    ds, fit, test = m.get("dataset") or {}, m.get("fit") or {}, m.get("test") or {}
    device = (fit.get("device") or {}).get("label", "?")
    acc = {k: (test.get(k) or {}).get("accuracy") for k in ("model", "bag_of_words", "majority")}
    counts = ", ".join(
        f"{md_escape(c)} {_num(n, ',')}" for c, n in (ds.get("counts") or {}).items()
    )
    return (
        f"- **Data**: {md_escape(ds.get('name', '?'))}, "
        f"{_num(ds.get('rows'), ',')} sentences ({counts}) "
        f"· sha256 `{str(ds.get('fingerprint', ''))[:12]}` · vocabulary "
        f"{_num(ds.get('vocab_size'), ',')} words\n"
        f"- **Training**: {m.get('n_epochs', '?')} epochs in {_num(fit.get('seconds'), '.1f')} s "
        f"on {device} · {md_escape(fit.get('message', ''))}\n"
        f"- **Best validation**: {_num(fit.get('best_val_loss'), '.3f', '-')} nats "
        f"(cross-entropy), accuracy {_num(fit.get('best_val_acc'), '.1%', '-')} at epoch "
        f"{fit.get('best_epoch') or '-'}\n"
        f"- **Test accuracy** ({_num(test.get('n'), ',')} held-out sentences): model "
        f"{_num(acc['model'], '.1%')}, bag of words {_num(acc['bag_of_words'], '.1%')}, "
        f"majority class {_num(acc['majority'], '.1%')} · {size} on disk"
    )


register_ui(
    "forecaster",
    KindUI(
        set_current=state.set_current_run,
        current=state.current_run,
        role="current run",
        pages=(("gates.py", "See its gates"), ("stocks.py", "Forecast with it")),
    ),
)
register_ui(
    "text",
    KindUI(
        set_current=state.set_text_run,
        current=state.text_run,
        role="text model",
        pages=(("text.py", "Generate with it on the Text generation page"),),
    ),
)
register_ui(
    "sentiment",
    KindUI(
        set_current=state.set_sentiment_run,
        current=state.sentiment_run,
        role="sentiment model",
        pages=(("sentiment.py", "Classify sentences with it on the Sentiment page"),),
    ),
)
register_ui(
    "compare",
    KindUI(
        set_current=state.set_compare_result,
        current=state.compare_result,
        role="comparison result",
        pages=(("compare.py", "See it on the RNN vs GRU vs LSTM page"),),
    ),
)
