#!/usr/bin/env bash
# Run the whole CX Hub test suite (unit, page and browser tests). On a fresh
# machine this creates .venv and installs CX Hub with its test dependencies.
# Browser tests need Debian's chromium; without it they skip (and fail under CI=true).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv "[test]"
exec .venv/bin/python -m pytest "$@"
