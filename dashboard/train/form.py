"""Widget groups of the Train page: data source and windows, model and training settings.

Each group draws its widgets and returns a validated config, or the exact message of
the ``ValueError`` the config raised. Widget values live under ``train-*`` keys and are
copied into a plain session dict after every run, so they survive a visit to another page
(Streamlit forgets the values of widgets that were not drawn in the last run).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.config import CELLS, OPTIMIZERS, DataConfig, ModelConfig, TrainConfig
from core.data import Dataset, synthetic
from core.training.device import device_choices
from core.training.presets import PRESETS
from dashboard.common import state
from dashboard.common.urlstate import ctl, locked

SAVED_KEY = "_train_settings"
# kept across page visits besides DEFAULTS and the preset's keys (non-widget keys included)
REMEMBERED = (
    "train-source",
    "train-target",
    "train-rows",
    "train-normalize",
    "train-normalize-for",
    "train-columns-for",
)
SYNTHETIC_LABEL = "Synthetic series (generated)"
SYN_DEFAULTS: dict[str, dict[str, float]] = {  # the generators' own defaults
    "sine": {"period": 50.0, "amplitude": 1.0, "noise": 0.0},
    "noisy_sine": {"period": 50.0, "amplitude": 1.0, "noise": 0.2},
    "sum_of_sines": {"noise": 0.05},
    "trend_seasonal": {"slope": 0.01, "period": 50.0, "amplitude": 1.0, "noise": 0.2},
}
LR_GRID = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.3, 1.0, 3.0, 10.0]
HIDDEN_GRID = [4, 8, 16, 32, 64, 128, 256, 512]
BATCH_GRID = [8, 16, 32, 64, 128, 256, 512, 1024]
ROW_CHOICES = [250, 500, 1000, 2000, 5000]
DEFAULTS: dict[str, Any] = {
    "train-syn-kind": "sine",
    "train-syn-n": 1000,
    "train-syn-seed": 0,
    **{f"train-syn-{k}": v for k, v in SYN_DEFAULTS["trend_seasonal"].items()},
    "train-syn-noise": 0.0,
    "train-features": [],
    "train-lookback": 30,
    "train-horizon": 1,
    "train-val": 0.15,
    "train-test": 0.15,
    "train-preset": "quick demo",
    "train-device": "auto",
}


def _preset_values(name: str) -> dict[str, Any]:
    m: ModelConfig = PRESETS[name]["model"]
    t: TrainConfig = PRESETS[name]["train"]
    return {
        "train-cell": m.cell,
        "train-hidden": m.hidden_size,
        "train-layers": m.num_layers,
        "train-bidir": m.bidirectional,
        "train-dropout": m.dropout,
        "train-optimizer": t.optimizer,
        "train-lr": t.lr,
        "train-batch": t.batch_size,
        "train-epochs": t.epochs,
        "train-clip-on": t.clip_norm is not None,
        "train-clip": t.clip_norm or 1.0,
        "train-scheduler": t.scheduler,
        "train-early": t.early_stopping,
        "train-patience": t.patience,
        "train-seed": t.seed,
    }


def restore() -> None:
    """Call first: fill missing widget values from the saved copy, else from the defaults."""
    saved = st.session_state.setdefault(SAVED_KEY, {})
    for key, value in {**DEFAULTS, **_preset_values("quick demo"), **saved}.items():
        if key not in st.session_state:
            st.session_state[key] = value


def remember() -> None:
    """Call last: keep the current widget values for the next visit to the page."""
    keys = {*DEFAULTS, *_preset_values("quick demo"), *REMEMBERED}
    st.session_state[SAVED_KEY] = {k: st.session_state[k] for k in keys if k in st.session_state}


SINE_DEMO: dict[str, Any] = {"kind": "noisy_sine", "n": 1000, "seed": 0}
SINE_DEMO |= SYN_DEFAULTS["noisy_sine"]  # period 50, amplitude 1, noise 0.2
SINE_DATA = DataConfig(target="value", lookback=30, horizon=1)  # level windows: a pattern to learn


def sine_demo_dataset() -> Dataset:
    """The noisy sine of Home's "watch it learn" demo (the same as the form generates)."""
    params = tuple(sorted((k, v) for k, v in SINE_DEMO.items() if k not in ("kind", "n", "seed")))
    return _synthetic(SINE_DEMO["kind"], SINE_DEMO["n"], SINE_DEMO["seed"], params)


def use_sine_demo() -> None:
    """Button callback: switch the form's data to the noisy sine, keep the model settings."""
    load_form(SYNTHETIC_LABEL, SINE_DATA, None, SINE_DEMO)


def load_form(
    source: str, data_cfg: DataConfig, preset: str | None, syn: dict | None = None
) -> None:
    """Fill the form with the settings of a run started elsewhere (Home's one-click demos).

    ``source`` is a data-source label (a session dataset name or ``SYNTHETIC_LABEL``);
    ``syn`` = generator settings {"kind", "n", "seed", **params} for a synthetic source;
    ``preset`` also fills the model settings. The form then shows what is training, and
    pressing Train again repeats it.
    """
    values: dict[str, Any] = {
        "train-source": source,
        "train-rows": "all",
        "train-target": data_cfg.target,
        "train-features": list(data_cfg.features),
        "train-lookback": data_cfg.lookback,
        "train-horizon": data_cfg.horizon,
        "train-val": data_cfg.val_fraction,
        "train-test": data_cfg.test_fraction,
        "train-normalize": data_cfg.normalize,
    }
    if preset is not None:  # None: keep the model and training settings as they are
        values |= {"train-preset": preset, **_preset_values(preset)}
    if syn is not None:
        values |= {f"train-syn-{k}": v for k, v in syn.items()}
        values["train-normalize-for"] = f"synthetic {syn['kind']}"  # core.data.synthetic's name
    else:
        values["train-normalize-for"] = source
    values["train-columns-for"] = None  # recorded again when the page draws the source
    st.session_state.update(values)
    st.session_state[SAVED_KEY] = {**st.session_state.get(SAVED_KEY, {}), **values}


def _ensure_choice(key: str, options: list, fallback: Any) -> None:
    if st.session_state.get(key) not in options:
        st.session_state[key] = fallback


def _apply_preset() -> None:
    st.session_state.update(_preset_values(st.session_state["train-preset"]))


def _reset_synthetic() -> None:
    kind = st.session_state["train-syn-kind"]
    st.session_state.update({f"train-syn-{k}": v for k, v in SYN_DEFAULTS[kind].items()})


@st.cache_data(max_entries=16, show_spinner=False)
def _synthetic(kind: str, n: int, seed: int, params: tuple[tuple[str, float], ...]) -> Dataset:
    return synthetic(kind, n=n, seed=seed, **dict(params))


def data_source() -> Dataset:
    """Pick a session dataset (sample, uploads, downloads) or generate a synthetic series."""
    names = [*state.datasets(), SYNTHETIC_LABEL]
    _ensure_choice("train-source", names, names[0])
    c = st.columns([4, 1])
    source = c[0].selectbox("Data source", names, **ctl("train-source"))
    if source != SYNTHETIC_LABEL:
        ds = state.datasets()[source]
        options = ["all", *(n for n in ROW_CHOICES if n < len(ds.frame))]
        _ensure_choice("train-rows", options, "all")
        rows = c[1].selectbox(
            "History",
            options,
            **ctl("train-rows"),
            format_func=lambda n: "all rows" if n == "all" else f"last {n:,} rows",
            help="A shorter, recent history trains faster and stays closer to today's levels.",
        )
        return ds if rows == "all" else ds.tail(rows)
    c = st.columns(4)
    kind = c[0].selectbox(
        "Generator", list(SYN_DEFAULTS), **ctl("train-syn-kind"), on_change=_reset_synthetic
    )
    n = c[1].number_input("Length (steps)", 100, 20_000, step=100, **ctl("train-syn-n"))
    seed = c[2].number_input("Noise seed", 0, 10_000, **ctl("train-syn-seed"))
    params: dict[str, float] = {}
    labels = {"period": "Period (steps)", "amplitude": "Amplitude", "slope": "Trend per step"}
    labels["noise"] = "Noise (std. dev.)"
    extra = st.columns(4)
    for i, name in enumerate(SYN_DEFAULTS[kind]):
        low = 2.0 if name == "period" else (-1.0 if name == "slope" else 0.0)
        params[name] = extra[i].number_input(
            labels[name], min_value=low, max_value=1000.0, format="%g", **ctl(f"train-syn-{name}")
        )
    with c[3]:
        st.caption(f"`{kind}`: " + (_doc_line(kind)))
    return _synthetic(kind, int(n), int(seed), tuple(sorted(params.items())))


def _doc_line(kind: str) -> str:
    from core.data.sources import SYNTHETIC

    return (SYNTHETIC[kind].__doc__ or "").strip().splitlines()[0]


def data_settings(ds: Dataset) -> DataConfig | str:
    """Target, features, window and split; the config or the message of what is wrong."""
    cols = ds.columns
    _preselect_columns(ds)
    _ensure_choice("train-target", cols, "Close" if "Close" in cols else cols[0])
    st.session_state["train-features"] = [
        c for c in st.session_state.get("train-features", []) if c in cols
    ]
    c = st.columns([1, 2, 1, 1, 1, 1])
    target = c[0].selectbox("Target column", cols, **ctl("train-target"))
    features = c[1].multiselect(
        "Input features",
        cols,
        **ctl("train-features"),
        placeholder="the target only",
        help="Columns the network reads in each window; empty means the target's own past.",
    )
    lookback = c[2].number_input("Lookback T (steps)", 1, 500, **ctl("train-lookback"))
    horizon = c[3].number_input("Horizon K (steps)", 1, 100, **ctl("train-horizon"))
    val = c[4].number_input("Validation share", 0.0, 0.5, step=0.05, **ctl("train-val"))
    test = c[5].number_input("Test share", 0.0, 0.5, step=0.05, **ctl("train-test"))
    normalize = normalize_setting(ds)
    try:
        return DataConfig(
            target=target,
            features=tuple(features),
            lookback=int(lookback),
            horizon=int(horizon),
            val_fraction=float(val),
            test_fraction=float(test),
            normalize=normalize,
        )
    except ValueError as e:
        return str(e)


def _preselect_columns(ds: Dataset) -> None:
    """On switching to an uploaded dataset, choose the target and inputs saved with it.

    The upload page records them in the provenance (``features`` = target + extra inputs).
    They are applied when the data source changes to that dataset (or it was replaced by a
    new upload), not on every rerun, so the user's own choice afterwards stays.
    """
    prov = ds.provenance
    features = [c for c in prov.get("features") or [] if c in ds.columns]
    stamp = [ds.name, prov.get("sha256"), prov.get("target"), features]
    if st.session_state.get("train-columns-for") == stamp:
        return
    st.session_state["train-columns-for"] = stamp
    if prov.get("kind") != "upload" or prov.get("target") not in ds.columns:
        return
    st.session_state["train-target"] = prov["target"]
    # the target alone is the default input ("the target only"); otherwise keep the list
    st.session_state["train-features"] = [] if features == [prov["target"]] else features


NORMALIZE_LABELS = {
    "level": "values as they are (scaled on the training span)",
    "diff": "change from the window's last value",
    "ratio": "relative change from the window's last value",
}


def default_normalize(ds: Dataset) -> str:
    """Relative windows for positive dated data (prices), level windows otherwise."""
    positive = bool((ds.frame.select_dtypes("number") > 0).all().all())
    return "ratio" if positive and isinstance(ds.frame.index, pd.DatetimeIndex) else "level"


def normalize_setting(ds: Dataset) -> str:
    """How each window is presented to the network; relative modes for positive price data.

    A network fed price levels meets test prices outside the training range (a stock that
    doubled) and cannot extrapolate; a relative window looks alike at any price level.
    """
    default = default_normalize(ds)
    if st.session_state.get("train-normalize-for") != ds.name:
        st.session_state["train-normalize-for"] = ds.name
        st.session_state["train-normalize"] = default
    return st.radio(
        "Window values",
        list(NORMALIZE_LABELS),
        format_func=NORMALIZE_LABELS.get,
        **ctl("train-normalize"),
        horizontal=True,
        help="Prices trend out of the range seen in training: predicting the change from the "
        "last value keeps working at new price levels, where a model of raw levels fails "
        "(on the MSFT sample its error was 31x the naive forecast's, against 1.0x for "
        "relative windows).",
    )


def model_settings() -> tuple[ModelConfig, TrainConfig] | str:
    """Preset, model and optimisation widgets; both configs or the message of what is wrong."""
    top = st.columns([2, 5])
    preset = top[0].selectbox(
        "Preset", list(PRESETS), **ctl("train-preset"), on_change=_apply_preset
    )
    top[1].caption(f"**{preset}**: {PRESETS[preset]['help']}. Choosing a preset fills the form.")
    m = st.columns(5)
    cell = m[0].selectbox("Cell", CELLS, **ctl("train-cell"), format_func=str.upper)
    hidden = m[1].select_slider("Hidden size H", HIDDEN_GRID, **ctl("train-hidden"))
    layers = m[2].number_input("Layers L", 1, 8, **ctl("train-layers"))
    dropout = m[3].number_input("Dropout", 0.0, 0.9, step=0.05, **ctl("train-dropout"))
    bidir = m[4].toggle("Bidirectional", **ctl("train-bidir"))
    t = st.columns(5)
    optimizer = t[0].selectbox("Optimizer", OPTIMIZERS, **ctl("train-optimizer"))
    lr = t[1].select_slider(
        "Learning rate", LR_GRID, **ctl("train-lr"), format_func=lambda v: f"{v:g}"
    )
    batch = t[2].select_slider("Batch size B", BATCH_GRID, **ctl("train-batch"))
    epochs = t[3].number_input("Epochs", 1, 10_000, **ctl("train-epochs"))
    seed = t[4].number_input("Seed", 0, 1_000_000, **ctl("train-seed"))
    r = st.columns(5)
    clip_on = r[0].toggle("Gradient clipping", **ctl("train-clip-on"))
    clip = r[1].number_input(
        "Clip norm",
        0.01,
        100.0,
        key="train-clip",
        disabled=not clip_on or locked("train-clip"),
        format="%g",
    )
    scheduler = r[2].toggle("LR drop on plateau", **ctl("train-scheduler"))
    early = r[3].toggle("Early stopping", **ctl("train-early"))
    patience = r[3].number_input("Patience (epochs)", 1, 1000, **ctl("train-patience"))
    _ensure_choice("train-device", device_choices(), "auto")
    device = r[4].selectbox("Device", device_choices(), **ctl("train-device"))
    try:
        model = ModelConfig(
            cell=cell,
            hidden_size=int(hidden),
            num_layers=int(layers),
            bidirectional=bool(bidir),
            dropout=float(dropout),
        )
        train = TrainConfig(
            epochs=int(epochs),
            batch_size=int(batch),
            lr=float(lr),
            optimizer=optimizer,
            clip_norm=float(clip) if clip_on else None,
            scheduler=bool(scheduler),
            early_stopping=bool(early),
            patience=int(patience),
            seed=int(seed),
            device=device,
        )
    except ValueError as e:
        return str(e)
    return model, train
