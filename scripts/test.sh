#!/usr/bin/env bash
# Fresh machine to green: install with the dev tools, then lint, type-check and run every test tier.
set -euo pipefail
cd "$(dirname "$0")/.."
# The browser tests drive Debian's Chromium (tests/integration/test_web_browser.py).
command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
bash scripts/setup.sh dev
.venv/bin/ruff check qa tests ingest.py app.py
.venv/bin/ruff format --check qa tests ingest.py app.py
.venv/bin/mypy
# pytest exits 5 when it collects no test: that is a failure here too (set -e).
.venv/bin/pytest "$@"
