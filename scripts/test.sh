#!/usr/bin/env bash
# Fresh machine to green: install with the dev tools, then lint, type-check and run every test tier.
set -euo pipefail
cd "$(dirname "$0")/.."
# The browser tests drive Debian's Chromium (tests/integration/test_web_browser.py).
if ! command -v chromium >/dev/null; then
  as_root=""; [ "$(id -u)" -eq 0 ] || as_root="sudo"
  $as_root apt-get update -qq
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
bash scripts/setup.sh dev
.venv/bin/ruff check qa tests bench scripts ingest.py app.py
.venv/bin/ruff format --check qa tests bench scripts ingest.py app.py
.venv/bin/mypy
# pytest exits 5 when it collects no test: that is a failure here too (set -e).
.venv/bin/pytest "$@"
