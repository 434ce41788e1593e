#!/usr/bin/env bash
# Installs what livegate needs and is missing, then prints `export` lines for the caller to eval:
#   deno (npm package, pinned), ffmpeg (Debian), MediaMTX (pinned; scripts/install-mediamtx.sh),
#   and with --test also Chromium (Debian) for the browser tests, Caddy (Debian) for the HTTPS test and
#   nginx with libnginx-mod-rtmp (Debian) as a restream destination.
#   nginx-light + libnginx-mod-http-js (Debian) for the edge cache test.
# Everything heavy is cached under ${LIVEGATE_CACHE:-~/.cache/livegate}.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
. "$HERE/versions.sh"
CACHE="${LIVEGATE_CACHE:-$HOME/.cache/livegate}"
log() { echo "[setup] $*" >&2; }
WANT_TEST=0
WANT_BENCH=0
[ "${1:-}" = "--test" ] && WANT_TEST=1
# --bench: the test tools plus wrk and nginx (Debian) for `deno task bench` (see BENCHMARKS.md).
if [ "${1:-}" = "--bench" ]; then WANT_TEST=1; WANT_BENCH=1; fi

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="$(command -v sudo || true)"
apt_updated=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || { log "missing $*; install it with your package manager"; exit 1; }
  if [ $apt_updated = 0 ]; then $SUDO apt-get update -qq >&2; apt_updated=1; fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >&2
}

# --- Deno -------------------------------------------------------------------------------------------
deno_ok() { [ -n "$1" ] && "$1" --version 2>/dev/null | head -1 | grep -q "^deno $DENO_VERSION"; }
DENO="$(command -v deno || true)"
if ! deno_ok "$DENO"; then
  DENO="$CACHE/deno/$DENO_VERSION/node_modules/.bin/deno"
  if ! deno_ok "$DENO"; then
    if command -v npm >/dev/null 2>&1; then
      log "installing deno $DENO_VERSION from npm"
      mkdir -p "$CACHE/deno/$DENO_VERSION"
      npm install --silent --no-save --no-audit --no-fund --prefix "$CACHE/deno/$DENO_VERSION" "deno@$DENO_VERSION" >&2
    elif command -v curl >/dev/null 2>&1; then
      log "installing deno $DENO_VERSION with the official installer"
      command -v unzip >/dev/null 2>&1 || apt_install unzip
      curl -fsSL https://deno.land/install.sh | DENO_INSTALL="$CACHE/deno-official" sh -s -- -y "v$DENO_VERSION" >&2
      DENO="$CACHE/deno-official/bin/deno"
    else
      log "need npm or curl to install deno"; exit 1
    fi
  fi
  deno_ok "$DENO" || { log "deno $DENO_VERSION did not install"; exit 1; }
fi

# --- ffmpeg, Chromium ---------------------------------------------------------------------------------
pkgs=()
command -v ffmpeg >/dev/null 2>&1 || pkgs+=(ffmpeg)
if [ $WANT_TEST = 1 ]; then
  [ -x "${CHROMIUM_BIN:-/usr/bin/chromium}" ] || pkgs+=(chromium)
  command -v curl >/dev/null 2>&1 || pkgs+=(curl)
  command -v caddy >/dev/null 2>&1 || pkgs+=(caddy)   # HTTPS proxy test (Caddyfile)
  command -v systemd-analyze >/dev/null 2>&1 || pkgs+=(systemd)   # verifies deploy/*.service
  # Restream destinations in tests/e2e/restream_test.ts: nginx with the RTMP module.
  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || pkgs+=(nginx-light)
  [ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] || pkgs+=(libnginx-mod-rtmp)
  # A throwaway self-signed certificate for the RTMPS destination in tests/e2e/restream_tls_whip_test.ts.
  command -v openssl >/dev/null 2>&1 || pkgs+=(openssl)
  # Edge caches (deploy/nginx-edge.conf + its njs token check): tests/e2e/edge_nginx_test.ts.
  [ -f /usr/lib/nginx/modules/ngx_http_js_module.so ] || pkgs+=(libnginx-mod-http-js)
fi
if [ $WANT_BENCH = 1 ]; then
  command -v wrk >/dev/null 2>&1 || pkgs+=(wrk)
  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || pkgs+=(nginx-light)
fi
[ ${#pkgs[@]} = 0 ] || apt_install "${pkgs[@]}"

# --- MediaMTX -----------------------------------------------------------------------------------------
MTX="$("$HERE/install-mediamtx.sh")"

echo "export PATH=\"$(dirname "$DENO"):\$PATH\""
echo "export MEDIAMTX_BIN=\"$MTX\""
