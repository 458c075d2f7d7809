"""``python -m core``: the LSTM Lab command line."""

from core.cli import main

raise SystemExit(main())
