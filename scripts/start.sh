#!/usr/bin/env bash
# One command: install what is missing, then run livegate (which runs MediaMTX) with its data in ./data.
# Any argument is passed to livegate, e.g. `scripts/start.sh user list`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
eval "$("$ROOT/scripts/setup.sh")"
cd "$ROOT"
export LIVEGATE_DATA_DIR="${LIVEGATE_DATA_DIR:-$ROOT/data}"
deno task build >&2
# --v8-flags: see src/runtime/v8-flags.ts.
exec deno run -A --v8-flags=--heap-growing-percent=100 main.ts "${@:-serve}"
