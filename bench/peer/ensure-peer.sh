#!/bin/sh
# Makes sure the PyTorch peer can run: /usr/bin/python3 with torch and numpy.
# Installs Debian's python3-torch and python3-numpy with apt only when missing
# (idempotent, quiet, non-interactive). Exits non-zero with a clear message otherwise.
set -u
PY=/usr/bin/python3

if [ ! -x "$PY" ]; then
  echo "ensure-peer: $PY not found; install python3 (apt-get install python3)" >&2
  exit 1
fi
if "$PY" -c 'import torch, numpy' >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-peer: torch/numpy missing for $PY and apt-get is not available; install python3-torch and python3-numpy by hand" >&2
  exit 1
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    SUDO="sudo -n"
  else
    echo "ensure-peer: torch/numpy missing for $PY; need root (or passwordless sudo) to run: apt-get install -y python3-torch python3-numpy" >&2
    exit 1
  fi
fi
echo "ensure-peer: installing python3-torch python3-numpy with apt (one-time)" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq >/dev/null 2>&1; then
  echo "ensure-peer: apt-get update failed (is the Debian mirror reachable?)" >&2
  exit 1
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends python3-torch python3-numpy >/dev/null 2>&1; then
  echo "ensure-peer: apt-get install python3-torch python3-numpy failed (rerun it by hand to see why)" >&2
  exit 1
fi
if ! "$PY" -c 'import torch, numpy' >/dev/null 2>&1; then
  echo "ensure-peer: installed python3-torch but '$PY -c \"import torch\"' still fails" >&2
  exit 1
fi
exit 0
