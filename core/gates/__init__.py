"""What happens inside a trained recurrent network: its real gate activations.

``compute`` is the one gate recomputation (LSTM i, f, g, o, c, h; GRU r, z, n, h; RNN h) from a
module's own weights, equal to ``nn.LSTM``/``nn.GRU``/``nn.RNN``; ``view`` picks windows and
summarises units; ``probe`` records a fixed window's gates every epoch while training;
``by_hand`` walks one LSTM cell step through its equations.

Public contract (kept stable for outside code): ``core.gates.lstm_gates``,
``core.gates.gru_gates``, ``core.gates.rnn_states`` and ``core.gates.recurrent_gates``.
"""

from core.gates.compute import (
    GRU_KEYS,
    LSTM_KEYS,
    RNN_KEYS,
    gru_gates,
    lstm_gates,
    recurrent_gates,
    rnn_states,
)

__all__ = [
    "GRU_KEYS",
    "LSTM_KEYS",
    "RNN_KEYS",
    "gru_gates",
    "lstm_gates",
    "recurrent_gates",
    "rnn_states",
]
