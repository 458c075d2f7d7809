"""Recurrent models: the forecaster (LSTM, GRU or RNN + a linear head) and its ONNX export."""
