"""What a trained forecaster shows: forecasts in original units, metrics, the walk-forward
backtest against naive baselines, and the stock model and report built on it."""
