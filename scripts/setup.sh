#!/usr/bin/env bash
# Create .venv and install newsdesk-qa with everything it needs (add "dev" for the test tools).
# Idempotent: a second run only checks that everything is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# torch is pinned to the CPU wheel in pyproject.toml; a bare `torch` could pull a multi-GB CUDA build.
.venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
