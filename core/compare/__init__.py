"""RNN vs GRU vs LSTM: long-memory tasks, side-by-side training with gradient-vs-lag
profiles, the plain-words reading of the result, and lag sweeps."""
