#!/usr/bin/env bash
# Set everything up, then start the dashboard on the bundled offline data.
# Usage: scripts/run.sh [extra streamlit flags], e.g. --server.port 8502
set -euo pipefail
cd "$(dirname "$0")/.."   # .streamlit/config.toml is read from the repo root
bash scripts/setup.sh
PORT=${PORT:-8501}
echo "LSTM Lab: open http://localhost:${PORT}"
exec .venv/bin/python -m streamlit run dashboard/app.py --server.port "$PORT" "$@"
