#!/usr/bin/env bash
# Fresh machine to green: install with the dev tools, then lint, type-check and run every test tier.
set -euo pipefail
cd "$(dirname "$0")/.."
# The browser tests drive Debian's chromium: installed when missing and possible, else they skip.
bash scripts/install_chromium.sh
bash scripts/setup.sh dev
.venv/bin/ruff check qa tests bench scripts ingest.py app.py
.venv/bin/ruff format --check qa tests bench scripts ingest.py app.py
.venv/bin/mypy
# pytest exits 5 when it collects no test: that is a failure here too (set -e).
.venv/bin/pytest "$@"
