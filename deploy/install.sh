#!/usr/bin/env bash
# Installs livegate on a Debian/Ubuntu server in one go, the layout of the README's "Install on a server":
#   service user `livegate`, /opt/livegate/{livegate,mediamtx}, /etc/livegate/livegate.env with the public
#   URL, the systemd unit, and Caddy in front for HTTPS with the given domain.
# Idempotent: run it again after an upgrade (new binaries) or to change the domain; settings you added to
# livegate.env are kept, only LIVEGATE_PUBLIC_URL is set to the domain. Builds dist/livegate first when it
# is missing (`deno compile` downloads Deno's runtime from GitHub, or takes DENORT_BIN).
#
#   sudo deploy/install.sh --domain stream.example.com [--no-caddy] [--no-start]
#   deploy/install.sh --domain D --root DIR     # writes the files under DIR and prints the system commands
#                                               # instead of running them (what the test suite does)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
die() { echo "install: $*" >&2; exit 1; }
say() { echo "install: $*"; }

DOMAIN="" ROOT="" CADDY=1 START=1
BIN="${LIVEGATE_BIN_DIR:-$REPO/dist}"
while [ $# -gt 0 ]; do
  case "$1" in
    --domain) DOMAIN="${2:-}"; shift 2 || usage ;;
    --domain=*) DOMAIN="${1#*=}"; shift ;;
    --root) ROOT="${2:-}"; shift 2 || usage ;;
    --root=*) ROOT="${1#*=}"; shift ;;
    --bin-dir) BIN="${2:-}"; shift 2 || usage ;;
    --no-caddy) CADDY=0; shift ;;
    --no-start) START=0; shift ;;
    -h|--help) usage ;;
    *) echo "install: unknown argument '$1'" >&2; usage ;;
  esac
done
[ -n "$DOMAIN" ] || die "--domain is required: the name whose DNS points at this server, e.g. --domain stream.example.com"
# A host name (RFC 1123 labels), not a URL: Caddy gets a certificate for exactly this name.
if ! [[ "$DOMAIN" =~ ^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$ ]]; then
  die "--domain '$DOMAIN' is not a host name: give only the name (letters, digits, '-' and dots), e.g. stream.example.com, without https:// or a path"
fi

# System commands run for real, or are only printed with --root (a test or a dry run).
sys() {
  if [ -n "$ROOT" ]; then echo "would run: $*"; else "$@"; fi
}
if [ -z "$ROOT" ] && [ "$(id -u)" != 0 ]; then die "run as root (sudo $0 --domain $DOMAIN), or with --root DIR for a dry run"; fi
R="${ROOT%/}"

# --- 1. The binaries -------------------------------------------------------------------------------------
if [ ! -x "$BIN/livegate" ] || [ ! -x "$BIN/mediamtx" ]; then
  [ -z "$ROOT" ] || die "$BIN/livegate and $BIN/mediamtx are missing: build them first (deno task compile)"
  say "building $BIN/livegate (deno task compile)"
  eval "$("$REPO/scripts/setup.sh")"
  if [ -z "${DENORT_BIN:-}" ]; then
    ver="$(. "$REPO/scripts/versions.sh"; echo "$DENO_VERSION")"
    cache="${LIVEGATE_CACHE:-$HOME/.cache/livegate}/denort/$ver"
    if [ ! -x "$cache/denort" ]; then
      say "downloading Deno's runtime (denort $ver) from GitHub"
      command -v unzip >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq unzip; }
      mkdir -p "$cache"
      curl -fsSL -o "$cache/denort.zip" \
        "https://github.com/denoland/deno/releases/download/v$ver/denort-x86_64-unknown-linux-gnu.zip" ||
        die "could not download denort $ver; download denort-x86_64-unknown-linux-gnu.zip of Deno $ver elsewhere, unzip it and run again with DENORT_BIN=/path/to/denort"
      unzip -o -q "$cache/denort.zip" -d "$cache" && rm -f "$cache/denort.zip"
    fi
    export DENORT_BIN="$cache/denort"
  fi
  (cd "$REPO" && deno task compile)
fi

# --- 2. Service user and files ---------------------------------------------------------------------------
if ! id livegate >/dev/null 2>&1; then
  sys useradd --system --user-group --home-dir /var/lib/livegate --shell /usr/sbin/nologin livegate
fi
changed=0
put() { # put MODE SRC DEST: installs SRC as DEST when it differs; says what it did
  local mode="$1" src="$2" dest="$R$3"
  mkdir -p "$(dirname "$dest")"
  if [ -f "$dest" ] && cmp -s "$src" "$dest"; then say "unchanged $3"; return; fi
  install -m "$mode" "$src" "$dest"
  say "installed $3"
  changed=1
}
put 0755 "$BIN/livegate" /opt/livegate/livegate
put 0755 "$BIN/mediamtx" /opt/livegate/mediamtx
put 0644 "$HERE/livegate.service" /etc/systemd/system/livegate.service

# The env file: created from the example once, then only LIVEGATE_PUBLIC_URL is kept in line with --domain.
ENVF="$R/etc/livegate/livegate.env"
install -d -m 0750 "$R/etc/livegate"
url="https://$DOMAIN"
if [ ! -f "$ENVF" ]; then
  sed "s|^LIVEGATE_PUBLIC_URL=.*|LIVEGATE_PUBLIC_URL=$url|" "$HERE/livegate.env.example" > "$ENVF"
  chmod 0640 "$ENVF"
  say "created /etc/livegate/livegate.env (public URL $url)"
  changed=1
elif grep -qx "LIVEGATE_PUBLIC_URL=$url" "$ENVF"; then
  say "unchanged /etc/livegate/livegate.env"
else
  tmp="$(mktemp)"
  if grep -q '^LIVEGATE_PUBLIC_URL=' "$ENVF"; then
    sed "s|^LIVEGATE_PUBLIC_URL=.*|LIVEGATE_PUBLIC_URL=$url|" "$ENVF" > "$tmp"
  else
    cat "$ENVF" > "$tmp" && echo "LIVEGATE_PUBLIC_URL=$url" >> "$tmp"
  fi
  cat "$tmp" > "$ENVF" && rm -f "$tmp"
  say "set LIVEGATE_PUBLIC_URL=$url in /etc/livegate/livegate.env (your other settings are kept)"
  changed=1
fi
sys chgrp livegate /etc/livegate /etc/livegate/livegate.env

# --- 3. Caddy (HTTPS) ------------------------------------------------------------------------------------
if [ $CADDY = 1 ]; then
  if [ -z "$ROOT" ] && ! command -v caddy >/dev/null 2>&1; then
    say "installing Caddy (Debian package)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq caddy
  fi
  tmp="$(mktemp)"
  sed "s/{\$LIVEGATE_DOMAIN:stream.example.com}/$DOMAIN/" "$REPO/Caddyfile" > "$tmp"
  CF="$R/etc/caddy/Caddyfile"
  if [ -f "$CF" ] && ! cmp -s "$tmp" "$CF" && ! grep -q 'livegate' "$CF"; then
    cp "$CF" "$CF.before-livegate"
    say "kept your old Caddyfile as /etc/caddy/Caddyfile.before-livegate"
  fi
  put 0644 "$tmp" /etc/caddy/Caddyfile
  rm -f "$tmp"
  sys systemctl reload-or-restart caddy
fi

# --- 4. Start ----------------------------------------------------------------------------------------------
sys systemctl daemon-reload
if [ $START = 1 ]; then
  sys systemctl enable livegate
  if [ $changed = 1 ]; then sys systemctl restart livegate; else sys systemctl start livegate; fi
fi

cat <<EOF

livegate is installed for https://$DOMAIN
  - DNS: $DOMAIN must point at this server, and ports 80 and 443 must be open for Caddy's certificate.
  - First start: the admin password and a stream key are printed once:  sudo journalctl -u livegate -n 30
  - Publish from OBS: Server rtmp://$DOMAIN:1935/<stream>, Stream Key: the key (open 1935/tcp).
  - Never open port 3000 to the network: it is plain HTTP (livegate listens on 127.0.0.1 behind Caddy).
  - Settings: /etc/livegate/livegate.env, then: sudo systemctl restart livegate
EOF
