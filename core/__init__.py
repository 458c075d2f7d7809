"""LSTM Lab core: a plain PyTorch library (no streamlit, no plotly).

Shapes use fixed letters: B batch, T time, F features, H hidden, K horizon,
L layers, D directions.
"""

__version__ = "0.1.0"
