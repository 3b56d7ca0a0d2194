#!/usr/bin/env bash
# Regenerate docs/screenshot-chat.png on purpose: the browser test that takes it, told to write it into docs/.
# (A normal test run writes its screenshot to a temporary directory and leaves the work tree untouched.)
set -euo pipefail
cd "$(dirname "$0")/.."
QA_UPDATE_SCREENSHOT=1 .venv/bin/pytest -q tests/integration/test_web_browser.py \
  -k "answer_streams_with_a_citation or header_names" "$@"
