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
# install.py takes torch from PyTorch's CPU index where PyPI's wheel would be the multi-GB CUDA build
# (QA_TORCH_INDEX_URL overrides it); tests/integration/test_install_cpu.py dry-runs this same step.
.venv/bin/python scripts/install.py ${extras:+--extras "$extras"}
