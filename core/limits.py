"""Every size limit LSTM Lab enforces on models, checkpoints and training data, in one place.

Configs refuse values above these on construction (``core.config``, ``core.text.model``,
``core.sentiment.model``), so a checkpoint that declares a larger model is refused with a
sentence before anything is built. A checkpoint's declared shapes must also match the
tensors it stores (checked on PyTorch's ``meta`` device, which allocates nothing), so the
memory an import can take is bounded by the file size below.

=========================  =========  ====================================================
limit                      value      applies to
=========================  =========  ====================================================
MAX_CHECKPOINT_BYTES       512 MiB    any checkpoint file read (import, open, CLI)
MAX_PARAMETERS             100000000  weights of a model a checkpoint declares (any kind)
MAX_INPUT_SIZE             1024       forecaster input features F
MAX_HORIZON                1000       forecaster horizon K (outputs per window)
MAX_HIDDEN                 4096       forecaster hidden units H
MAX_LAYERS                 8          forecaster stacked layers L
MAX_TEXT_HIDDEN            2048       character model hidden units and embedding size
MAX_TEXT_LAYERS            4          character model layers
MAX_CHAR_VOCAB             10000      character model vocabulary
MAX_SENTIMENT_DIM          1024       sentiment embedding size and hidden units
MAX_SENTIMENT_LAYERS       4          sentiment layers
MAX_WORD_VOCAB             200000     sentiment vocabulary (with <pad> and <unk>)
MAX_CLASSES                100        sentiment classes
MAX_ABS_VALUE              1e30       a data value a forecaster trains on (unscaled)
MAX_SCALED_VALUE           1e15       a value of a training window, after scaling
=========================  =========  ====================================================

The two data limits keep windows and their squares (the MSE loss) inside float32 (largest
finite value about 3.4e38): values near 1e300 would overflow to inf once cast to float32
and look like a training divergence, so ``core.data.windows.prepare`` refuses them first.
"""

from __future__ import annotations

MAX_CHECKPOINT_BYTES = 512 * 2**20
MAX_PARAMETERS = 100_000_000  # 400 MB of float32

MAX_INPUT_SIZE = 1024
MAX_HORIZON = 1000
MAX_HIDDEN = 4096
MAX_LAYERS = 8

MAX_TEXT_HIDDEN = 2048
MAX_TEXT_LAYERS = 4
MAX_CHAR_VOCAB = 10_000

MAX_SENTIMENT_DIM = 1024
MAX_SENTIMENT_LAYERS = 4
MAX_WORD_VOCAB = 200_000
MAX_CLASSES = 100

MAX_ABS_VALUE = 1e30
MAX_SCALED_VALUE = 1e15
