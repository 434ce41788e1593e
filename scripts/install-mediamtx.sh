#!/usr/bin/env bash
# Installs the pinned MediaMTX into the livegate cache and prints its path.
# Order: $MEDIAMTX_BIN -> `mediamtx` on PATH (if it is the pinned version) -> cache ->
#        official release download -> build the same version from the Go module proxy.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
. "$HERE/versions.sh"
CACHE="${LIVEGATE_CACHE:-$HOME/.cache/livegate}"
DEST="$CACHE/mediamtx/$MEDIAMTX_VERSION"
BIN="$DEST/mediamtx"
log() { echo "[install-mediamtx] $*" >&2; }

if [ -n "${MEDIAMTX_BIN:-}" ]; then
  [ -x "$MEDIAMTX_BIN" ] || { log "MEDIAMTX_BIN=$MEDIAMTX_BIN is not an executable file"; exit 1; }
  echo "$MEDIAMTX_BIN"; exit 0
fi
if command -v mediamtx >/dev/null 2>&1; then
  v="$(mediamtx --version 2>/dev/null || true)"
  if [ "$v" = "$MEDIAMTX_VERSION" ]; then command -v mediamtx; exit 0; fi
  log "mediamtx on PATH is '$v', not the pinned $MEDIAMTX_VERSION; using the cached build instead"
fi
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
mkdir -p "$DEST"

case "$(uname -m)" in
  x86_64|amd64) rarch=amd64; garch=amd64 ;;
  aarch64|arm64) rarch=arm64; garch=arm64 ;;
  armv7l) rarch=armv7; garch=arm ;;
  *) rarch=""; garch="" ;;
esac

# 1. The official release.
if [ -n "$rarch" ] && command -v curl >/dev/null 2>&1; then
  url="https://github.com/bluenviron/mediamtx/releases/download/$MEDIAMTX_VERSION/mediamtx_${MEDIAMTX_VERSION}_linux_${rarch}.tar.gz"
  tmp="$(mktemp -d)"
  if curl -fsSL --connect-timeout 5 --max-time 120 -o "$tmp/m.tgz" "$url" 2>/dev/null; then
    tar -xzf "$tmp/m.tgz" -C "$tmp" mediamtx && install -m 755 "$tmp/mediamtx" "$BIN"
    rm -rf "$tmp"; log "downloaded official release $MEDIAMTX_VERSION"; echo "$BIN"; exit 0
  fi
  rm -rf "$tmp"
  log "official release download unreachable; building $MEDIAMTX_VERSION from the Go module proxy"
fi

# 2. Build the same version from the Go module proxy.
GO="$(command -v go || true)"
[ -n "$GO" ] || { [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go; }
need_go="$MEDIAMTX_GO_MIN"
go_ok() { [ -n "$1" ] && printf "%s\n%s\n" "$need_go" "$("$1" env GOVERSION | sed "s/^go//")" | sort -V -C; }
if ! go_ok "$GO"; then
  # No Go, or one too old for MediaMTX: fetch the Go toolchain module from the Go module proxy.
  tc="$CACHE/go/$GO_VERSION"
  if [ ! -x "$tc/bin/go" ]; then
    proxy="${GOPROXY:-https://proxy.golang.org}"; proxy="${proxy%%,*}"
    log "installing Go $GO_VERSION from $proxy"
    tmpz="$(mktemp -d)"
    curl -fsSL --max-time 600 -o "$tmpz/go.zip" "$proxy/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.linux-$garch.zip" \
      || { log "cannot download Go $GO_VERSION; install Go >= $need_go or set MEDIAMTX_BIN"; exit 1; }
    (cd "$tmpz" && unzip -q go.zip) && mkdir -p "$(dirname "$tc")" && rm -rf "$tc" \
      && mv "$tmpz/golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-$garch" "$tc" && chmod +x "$tc"/bin/* "$tc"/pkg/tool/*/*
    rm -rf "$tmpz"
  fi
  GO="$tc/bin/go"
fi
export GOPATH="$CACHE/gopath" GOFLAGS=-modcacherw GOTOOLCHAIN=local
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
dir="$(cd "$work" && "$GO" mod download -json "github.com/bluenviron/mediamtx@$MEDIAMTX_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
[ -d "$dir" ] || { log "go mod download of mediamtx@$MEDIAMTX_VERSION failed"; exit 1; }
cp -r "$dir" "$work/src"; chmod -R u+w "$work/src"
printf %s "$MEDIAMTX_VERSION" > "$work/src/internal/core/VERSION"
hlsver="$(tr -d ' \n' < "$work/src/internal/servers/hls/hlsjsdownloader/VERSION")"
( cd "$work" && npm pack --silent "hls.js@${hlsver#v}" >/dev/null 2>&1 ) || { log "npm pack hls.js@${hlsver#v} failed"; exit 1; }
tar -xzf "$work"/hls.js-*.tgz -C "$work" package/dist/hls.min.js
cp "$work/package/dist/hls.min.js" "$work/src/internal/servers/hls/hls.min.js"
( cd "$work/src" && CGO_ENABLED=0 GOARCH="${garch:-$("$GO" env GOARCH)}" "$GO" build -trimpath -o "$BIN.tmp.$$" . ) >&2
mv "$BIN.tmp.$$" "$BIN"   # per-process name: two setups building at once must not move each other's file
log "built MediaMTX $MEDIAMTX_VERSION into $BIN"
echo "$BIN"
