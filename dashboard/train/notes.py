"""Plain-words readings of a finished run on the Train page: why "as good as naive" is honest.

A newcomer who trains on daily stock prices sees the loss stay near 1 and the model tie the
naive forecast, and thinks the app is broken. These notes say why that is the expected result
and offer a series where a network visibly learns.
"""

from __future__ import annotations

import streamlit as st

from core.forecast.run import ForecastRun
from core.tasks.live import out_of_range_share
from dashboard.train.form import use_sine_demo

TIE = 0.9  # MAE ratio at or above this: the model does not clearly beat the naive forecast
RELATIVE = {"diff": "change", "ratio": "relative change"}
SPAN_WORDS = {"val": "validation", "test": "test"}


def baseline_note(normalize: str, ratios: dict[str, float], dated: bool) -> str | None:
    """Why the model only matches the naive forecast, or None when it clearly beats it.

    ``ratios`` maps a span name to its MAE ratio = MAE(model) / MAE(naive), where
    MAE = mean |y - ŷ| over the span's first horizon step and naive ŷ_t = y_{t-1}.
    """
    if not ratios or min(ratios.values()) < TIE:
        return None
    shown = ", ".join(f"{r:.2f} on {SPAN_WORDS.get(s, s)}" for s, r in ratios.items())
    lines = [f"**The network ties the naive forecast (MAE ratio {shown}).**"]
    if dated:
        lines.append(
            "Day-to-day moves of a traded price are close to random noise: the last value "
            "is about the best honest forecast, so a ratio near 1.0 is the expected result "
            "for stock data, not a bug."
        )
    if normalize in RELATIVE:
        lines.append(
            f"The network predicts the {RELATIVE[normalize]} from the window's last value, "
            "standardized on the training windows, so a loss near 1 means it found no "
            "predictable part and forecasts about the average move. A validation loss above "
            "the training loss here says that the later years moved more than the training "
            "years did, not that the model overfits."
        )
    lines.append(
        "To watch a network learn, train it on a series with a pattern: the noisy sine "
        "below has a loss falling to under 0.1 and a ratio well below 1."
    )
    return " ".join(lines)


def run_notes(run: ForecastRun, ratios: dict[str, float]) -> None:
    """The tie note with its sine button, and the out-of-range warning for level windows."""
    d = run.data_cfg
    note = baseline_note(d.normalize, ratios, dated=run.dataset.frame.index.dtype.kind == "M")
    if note:
        st.info(note, icon=":material/lightbulb:")
        st.button(
            "Switch the data to a noisy sine wave",
            icon=":material/airwave:",
            key="train-use-sine",
            on_click=use_sine_demo,
            help="Keeps the model settings; press Train afterwards.",
        )
    if d.normalize != "level":  # relative windows look alike at any price level
        return
    outside = {s: out_of_range_share(run, s) for s in ratios}
    worst = max(outside, key=outside.get, default=None)
    if worst is not None and outside[worst] > 0.2:
        st.warning(
            f"{outside[worst]:.0%} of the {'validation' if worst == 'val' else 'test'} targets "
            "lie outside the range seen in training. Recurrent networks with saturating units "
            "rarely predict beyond that range, so errors there are large whatever the model "
            "size: choose relative window values, a shorter, more recent history (Data → "
            "History) or a series without a strong trend.",
            icon=":material/trending_up:",
        )
