#!/usr/bin/env bash
# One command: install what is missing (deno, ffmpeg, MediaMTX, Chromium), then run the whole suite:
# format, lint and type checks, then unit, in-process HTTP and end-to-end tests.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
eval "$("$ROOT/scripts/setup.sh" --test)"
cd "$ROOT"
deno --version | head -1
echo "MediaMTX: $MEDIAMTX_BIN ($("$MEDIAMTX_BIN" --version))"
deno task check
# Test files at once: most e2e files wait on media (segments, keyframes, reconnects) rather than compute,
# so one more file than the 2 cores keeps the machine busy (set DENO_JOBS to change it).
export DENO_JOBS="${DENO_JOBS:-3}"
deno task test "$@"
