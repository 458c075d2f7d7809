"""Pure Plotly builders for the Stocks page: data in, go.Figure out, no Streamlit calls."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.common.figures import COLORS, layout

BASE_COLORS = {"drift": "#9467bd", "moving_average": "#8c564b"}
BAND = "rgba(214,39,40,0.15)"


def currency_of(provenance: dict) -> str:
    """USD for the bundled sample and X-USD pairs; otherwise Yahoo's quote currency (unknown)."""
    ticker = str(provenance.get("ticker", ""))
    return "USD" if provenance.get("offline") or ticker.endswith("-USD") else "quote currency"


def _weekday_axis(fig: go.Figure, index: pd.Index) -> None:
    """Hide weekends on a stock's date axis (a crypto series trades every day)."""
    if isinstance(index, pd.DatetimeIndex) and len(index) and (index.day_of_week >= 5).mean() < 0.1:
        fig.update_xaxes(rangebreaks=[dict(bounds=["sat", "mon"])])


def candlestick_figure(
    frame: pd.DataFrame, title: str, currency: str = "quote currency"
) -> go.Figure:
    """OHLC candles over a volume bar panel sharing the date axis."""
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.74, 0.26], vertical_spacing=0.04
    )
    fig.add_trace(
        go.Candlestick(
            x=frame.index,
            open=frame["Open"],
            high=frame["High"],
            low=frame["Low"],
            close=frame["Close"],
            name="price (OHLC)",
            increasing_line_color="#2ca02c",
            decreasing_line_color="#d62728",
        ),
        row=1,
        col=1,
    )
    if "Volume" in frame:
        fig.add_trace(
            go.Bar(x=frame.index, y=frame["Volume"], name="volume", marker_color="#9aa7b8"),
            row=2,
            col=1,
        )
    fig.update_yaxes(title_text=f"price ({currency})", row=1, col=1)
    fig.update_yaxes(title_text="volume (shares)", row=2, col=1)
    fig.update_xaxes(title_text="date", row=2, col=1)
    fig.update_xaxes(rangeslider_visible=False)
    _weekday_axis(fig, frame.index)
    return layout(fig, title, height=480).update_layout(hovermode="x")


def compare_figure(closes: dict[str, pd.Series]) -> go.Figure:
    """Several tickers' closes rebased to 100 on their first common date."""
    fig = go.Figure()
    common = pd.concat(closes, axis=1).dropna()
    for name in common.columns:
        s = common[name]
        fig.add_trace(go.Scatter(x=s.index, y=100 * s / s.iloc[0], name=str(name), mode="lines"))
    fig.update_yaxes(title="close, rebased (first common day = 100)")
    fig.update_xaxes(title="date")
    return layout(fig, "Tickers compared (rebased to 100)", height=340)


def backtest_figure(
    history: pd.Series, table: pd.DataFrame, title: str, currency: str = "quote currency"
) -> go.Figure:
    """Truth over the test period, the model's forecasts from each origin, interval, naive."""
    fig = go.Figure()
    t0, t1 = table["origin"].min(), table["target_date"].max()
    i0 = history.index.get_loc(t0)
    truth = history.iloc[max(0, i0 - 10) : history.index.get_loc(t1) + 1]
    fig.add_trace(
        go.Scatter(
            x=truth.index, y=truth, name="truth", mode="lines", line=dict(color=COLORS["truth"])
        )
    )
    for origin, g in table.groupby("origin"):
        first = origin == t0
        start = g["last"].iloc[0]
        fig.add_trace(
            go.Scatter(
                x=[origin, *g.target_date],
                y=[start, *g["naive"]],
                name="naive (last value)",
                legendgroup="naive",
                showlegend=bool(first),
                mode="lines",
                line=dict(color=COLORS["naive"], dash="dot", width=1.2),
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[origin, *g.target_date],
                y=[start, *g["model"]],
                name="model forecast + interval",
                legendgroup="model",
                showlegend=bool(first),
                mode="lines+markers",
                marker=dict(size=5),
                line=dict(color=COLORS["model"], width=1.5),
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=[0, *(g["upper"] - g["model"])],
                    arrayminus=[0, *(g["model"] - g["lower"])],
                    color="rgba(214,39,40,0.45)",
                    thickness=1,
                ),
            )
        )
    fig.update_yaxes(title=f"price ({currency})")
    fig.update_xaxes(title="date")
    return layout(fig, title, height=420).update_layout(hovermode="closest")


def _band(fig: go.Figure, fc: pd.DataFrame) -> None:
    fig.add_trace(
        go.Scatter(
            x=list(fc.index) + list(fc.index[::-1]),
            y=list(fc["upper"]) + list(fc["lower"][::-1]),
            fill="toself",
            fillcolor=BAND,
            line=dict(width=0),
            name="prediction interval",
            hoverinfo="skip",
        )
    )


def teacher_figure(demo: pd.DataFrame, title: str, currency: str = "quote currency") -> go.Figure:
    """One-step predictions (fed the true past) vs one free-running forecast, same model."""
    fig = go.Figure()
    specs = (
        ("truth", "truth", COLORS["truth"], "solid", 2.0),
        ("one_step", "one-step predictions (fed true prices)", "#ff7f0e", "solid", 1.5),
        ("free_run", "free-running forecast (fed its own output)", COLORS["model"], "solid", 2),
        ("naive", "naive (price at the origin)", COLORS["naive"], "dot", 1.2),
    )
    for col, name, color, dash, width in specs:
        fig.add_trace(
            go.Scatter(
                x=demo.index,
                y=demo[col],
                name=name,
                mode="lines",
                line=dict(color=color, dash=dash, width=width),
            )
        )
    fig.update_yaxes(title=f"price ({currency})")
    fig.update_xaxes(title="date (after the forecast origin)")
    return layout(fig, title, height=400)


def future_figure(
    history: pd.Series, fc: pd.DataFrame, title: str, currency: str = "quote currency"
) -> go.Figure:
    """The last months of the series and the forecast of the next trading days."""
    fig = go.Figure()
    tail = history.iloc[-120:]
    fig.add_trace(
        go.Scatter(
            x=tail.index, y=tail, name="history", mode="lines", line=dict(color=COLORS["truth"])
        )
    )
    if len(fc) > 1:
        _band(fig, fc)
    fig.add_trace(
        go.Scatter(
            x=[tail.index[-1], *fc.index],
            y=[tail.iloc[-1], *fc["median"]],
            name="forecast (median) + interval",
            mode="lines+markers",
            line=dict(color=COLORS["model"], width=2),
            marker=dict(size=5),
            error_y=dict(
                type="data",
                symmetric=False,
                array=[0, *(fc["upper"] - fc["median"])],
                arrayminus=[0, *(fc["median"] - fc["lower"])],
                color="rgba(214,39,40,0.6)",
                thickness=1.2,
            ),
        )
    )
    fig.update_yaxes(title=f"price ({currency})")
    fig.update_xaxes(title="date (trading days)")
    return layout(fig, title, height=380)
