"""RNN vs GRU vs LSTM: long-memory tasks, side-by-side training with gradient-vs-lag
profiles, the plain-words reading of the result, and lag sweeps.

    longmemory.py  TaskData and the synthetic tasks (echo, adding, copy)
    datasets.py    a lab dataset as a TaskData
    specs.py       ArchSpec, ARCHITECTURES: what is compared
    gradients.py   the loss gradient's norm at each lag, and its decay per step
    training.py    train_one / compare: every architecture on one task, seed and budget
    publisher.py   JobPublisher: compare's progress as job-snapshot fields
    reading.py     the result in plain words (solved, failed, ...)
    sweep.py       the same comparison at growing lags
"""
