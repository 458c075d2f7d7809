"""Training: the Trainer (optimiser, schedule, clipping, early stopping, divergence), the
device and CPU threads it runs on, and the presets the pages offer."""
