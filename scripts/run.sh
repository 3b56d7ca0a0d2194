#!/usr/bin/env bash
# Fresh machine to chat: install, ingest the bundled sample article, open the chat at http://127.0.0.1:7860.
# Everything runs offline on the embedded defaults (MiniLM embeddings, local Qwen2.5 GGUF, embedded Chroma).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/qa ingest samples/
exec .venv/bin/qa serve
