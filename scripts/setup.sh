#!/usr/bin/env bash
# Set up LSTM Lab in ./.venv (idempotent). Usage: scripts/setup.sh [--dev]
#   --dev  also install test tools and Debian's chromium (for the browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${LSTMLAB_VENV:-.venv}
TORCH_VERSION=${LSTMLAB_TORCH_VERSION:-2.13.0}

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

[ -x "$VENV/bin/python" ] || { say "creating $VENV"; "$PY" -m venv "$VENV"; }
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)

if "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
  say "torch already installed: $("$VENV/bin/python" -c 'import torch; print(torch.__version__)')"
elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  say "NVIDIA GPU found: installing the default (CUDA) torch build from requirements.txt"
else
  # No GPU: take the CPU build first so that requirements.txt does not pull the CUDA one.
  # 1) a local/find-links CPU wheel (pip config), 2) the PyTorch CPU index, 3) give up here
  # and let requirements.txt choose.
  say "no NVIDIA GPU: installing the CPU build of torch $TORCH_VERSION"
  "${PIP[@]}" install "torch==${TORCH_VERSION}+cpu" 2>/dev/null \
    || "${PIP[@]}" install --timeout 30 --retries 1 "torch==${TORCH_VERSION}+cpu" \
         --index-url https://download.pytorch.org/whl/cpu 2>/dev/null \
    || say "no CPU wheel reachable; requirements.txt will pick a torch build"
fi

say "installing requirements"
"${PIP[@]}" install -r requirements.txt 2>&1 | grep -v '^WARNING: Location' || true
"$VENV/bin/python" -c 'import torch, streamlit' || { echo "setup failed" >&2; exit 1; }

# The pages' optional features (Tune: optuna; baselines: statsforecast; exports: onnx,
# onnxruntime, tensorboard), so that the dashboard a user starts is the one CI tests; Ray too
# when asked for. A failure here leaves the lab working: those pages say what is missing.
EXTRAS=(-r requirements-tune.txt -r requirements-stats.txt -r requirements-onnx.txt)
[ "${LSTMLAB_BACKEND:-thread}" = "ray" ] && EXTRAS+=(-r requirements-ray.txt)
say "installing the optional features (Tune, baselines, exports${LSTMLAB_BACKEND:+, backend $LSTMLAB_BACKEND})"
if ! "${PIP[@]}" install "${EXTRAS[@]}" 2> >(grep -v '^WARNING: Location' >&2); then
  say "optional features not installed: the pages that need them say so"
fi

if [ "${1:-}" = "--dev" ]; then
  say "installing test tools"
  "${PIP[@]}" install -r requirements-dev.txt 2>&1 | grep -v '^WARNING: Location' || true
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's chromium for the browser tests"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
      chromium fonts-dejavu-core >/dev/null
  fi
fi
say "ready: $("$VENV/bin/python" -c 'import torch, streamlit; print("torch", torch.__version__, "· streamlit", streamlit.__version__)')"
