#!/usr/bin/env bash
# Start the CX Hub dashboard. On a fresh machine this creates a virtual
# environment in .venv, installs CX Hub into it, and (when no database exists
# yet) builds a demo company on the first page load.
# Options are passed to `cxhub serve` (e.g. --db PATH, --port 8502).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv ""
exec .venv/bin/cxhub serve "$@"
