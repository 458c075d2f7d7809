#!/usr/bin/env bash
# Set everything up (test tools and chromium included), lint, then run the whole test suite.
# Usage: scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
export LSTMLAB_THREADS=${LSTMLAB_THREADS:-1}
echo "[test] ruff check + format"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "[test] pytest"
.venv/bin/python -m pytest "$@"
