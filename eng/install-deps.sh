#!/usr/bin/env bash
# Installs what CarRecommender needs to run without Docker on Debian 12: PostgreSQL 15 (+ server headers),
# pgvector >= 0.8 (built from Debian 13's source package), RabbitMQ, and, with --browser, Chromium for the
# browser tests. Idempotent: each part is skipped when already present. Safe to run on every start.
set -euo pipefail

want_browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    *) echo "usage: $0 [--browser]" >&2; exit 2 ;;
  esac
done

PG_MAJOR=15
PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin"
PG_EXT_DIR="/usr/share/postgresql/$PG_MAJOR/extension"

log() { printf '[install-deps] %s\n' "$*"; }

have_pg()       { [ -x "$PG_BIN/postgres" ] && [ -x "$PG_BIN/initdb" ] && id postgres >/dev/null 2>&1; }
have_pg_dev()   { [ -f "/usr/include/postgresql/$PG_MAJOR/server/postgres.h" ]; }
have_pgvector() { [ -f "$PG_EXT_DIR/vector.control" ]; }
have_rabbit()   { [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] && command -v epmd >/dev/null 2>&1; }
have_browser()  { [ -x /usr/bin/chromium ]; }

if have_pg && have_pgvector && have_rabbit && { [ $want_browser = 0 ] || have_browser; }; then
  log "PostgreSQL $PG_MAJOR, pgvector, RabbitMQ$([ $want_browser = 1 ] && echo ', Chromium') already installed"
  exit 0
fi

docker_ok() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

if ! [ -r /etc/os-release ] || ! grep -qE '^ID=debian' /etc/os-release; then
  if docker_ok; then
    log "not a Debian machine, but Docker answers: the AppHost will run Postgres and RabbitMQ as containers"
    exit 0
  fi
  echo "[install-deps] This machine is not Debian and has no working Docker engine." >&2
  echo "[install-deps] Install PostgreSQL $PG_MAJOR with pgvector >= 0.8 and RabbitMQ yourself, or start Docker." >&2
  exit 1
fi

SUDO=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "[install-deps] need root (or sudo) to install packages" >&2; exit 1; }
  SUDO=(sudo)
fi

have_openblas() { [ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3 ] || ldconfig -p 2>/dev/null | grep -q 'libopenblas.so.0'; }

export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_update() { if [ $apt_updated = 0 ]; then log "apt-get update"; "${SUDO[@]}" apt-get update -qq; apt_updated=1; fi; }
apt_install() { apt_update; log "apt-get install $*"; "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }

pkgs=()
have_pg || pkgs+=("postgresql-$PG_MAJOR")
if ! have_pgvector; then
  have_pg_dev || pkgs+=("postgresql-server-dev-$PG_MAJOR")
  command -v make >/dev/null 2>&1 && command -v gcc >/dev/null 2>&1 || pkgs+=(build-essential)
  command -v dpkg-source >/dev/null 2>&1 || pkgs+=(dpkg-dev)
fi
have_rabbit || pkgs+=(rabbitmq-server)
# OpenBLAS behind liblapack.so.3: EASE inverts an items × items matrix (Core/Learning/SymmetricInverse.cs)
have_openblas || pkgs+=(libopenblas0-pthread)
[ $want_browser = 1 ] && ! have_browser && pkgs+=(chromium)
[ ${#pkgs[@]} -gt 0 ] && apt_install "${pkgs[@]}"

if have_rabbit; then
  # The Debian package starts a system-wide broker; ours runs per app with its own data folder, so stop that one.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet rabbitmq-server 2>/dev/null; then
    "${SUDO[@]}" systemctl stop rabbitmq-server || true
    "${SUDO[@]}" systemctl disable rabbitmq-server >/dev/null 2>&1 || true
  fi
fi

if ! have_pgvector; then
  # pgvector is not packaged for Debian 12; Debian 13's source package (0.8.x) builds cleanly against PostgreSQL 15.
  src_list=/etc/apt/sources.list.d/carrecommender-trixie-src.sources
  if [ ! -f "$src_list" ]; then
    # the machine's own Debian mirror: a URIs: line (deb822) or a 'deb URL' line, never a comment or the security archive
    mirror=$( { awk '/^URIs:/ {for (i = 2; i <= NF; i++) print $i}' /etc/apt/sources.list.d/*.sources 2>/dev/null
                awk '/^deb / {print $2}' /etc/apt/sources.list 2>/dev/null; } \
              | awk '/\/debian\/?$/ && !/security/ && !found {print; found = 1}' || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    log "adding deb-src for trixie from $mirror (source packages only)"
    printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$mirror" | "${SUDO[@]}" tee "$src_list" >/dev/null
    apt_updated=0
  fi
  apt_update
  build_dir=$(mktemp -d)
  trap 'rm -rf "$build_dir"' EXIT
  log "fetching and building pgvector from source in $build_dir"
  (cd "$build_dir" && apt-get source -qq pgvector >/dev/null 2>&1)
  src=$(find "$build_dir" -maxdepth 1 -type d -name 'pgvector-*' | head -n1)
  [ -n "$src" ] || { echo "[install-deps] apt-get source pgvector produced nothing" >&2; exit 1; }
  pg_config="$PG_BIN/pg_config"; [ -x "$pg_config" ] || pg_config=/usr/bin/pg_config
  make -s -C "$src" PG_CONFIG="$pg_config" OPTFLAGS="" >/dev/null
  "${SUDO[@]}" make -s -C "$src" PG_CONFIG="$pg_config" install >/dev/null
  have_pgvector || { echo "[install-deps] pgvector build finished but vector.control is missing" >&2; exit 1; }
  log "pgvector $(sed -n "s/^default_version = '\(.*\)'/\1/p" "$PG_EXT_DIR/vector.control") installed"
fi

log "ready: PostgreSQL $PG_MAJOR, pgvector, RabbitMQ$([ $want_browser = 1 ] && echo ', Chromium')"
