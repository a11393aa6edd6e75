#!/bin/sh
# Makes sure the PyTorch peer can run: /usr/bin/python3 with torch and numpy, plus
# OpenBLAS for torch's matmuls (Debian's default reference BLAS is ~10x slower; the peer
# picks its BLAS per process with --blas, see README). Installs with apt only what is
# missing (idempotent, quiet, non-interactive); exits non-zero with a clear message otherwise.
set -u
PY=/usr/bin/python3
OPENBLAS=/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3

if [ ! -x "$PY" ]; then
  echo "ensure-peer: $PY not found; install python3 (apt-get install python3)" >&2
  exit 1
fi
if "$PY" -c 'import torch, numpy' >/dev/null 2>&1 && [ -e "$OPENBLAS" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-peer: need python3-torch, python3-numpy, libopenblas0-openmp for $PY and apt-get is not available; install them by hand" >&2
  exit 1
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    SUDO="sudo -n"
  else
    echo "ensure-peer: need root (or passwordless sudo) to run: apt-get install -y python3-torch python3-numpy libopenblas0-openmp" >&2
    exit 1
  fi
fi
echo "ensure-peer: installing python3-torch python3-numpy libopenblas0-openmp with apt (one-time)" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq >/dev/null 2>&1; then
  echo "ensure-peer: apt-get update failed (is the Debian mirror reachable?)" >&2
  exit 1
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends python3-torch python3-numpy libopenblas0-openmp >/dev/null 2>&1; then
  echo "ensure-peer: apt-get install python3-torch python3-numpy libopenblas0-openmp failed (rerun it by hand to see why)" >&2
  exit 1
fi
if ! "$PY" -c 'import torch, numpy' >/dev/null 2>&1 || [ ! -e "$OPENBLAS" ]; then
  echo "ensure-peer: packages installed but '$PY -c \"import torch\"' or $OPENBLAS still missing" >&2
  exit 1
fi
exit 0
