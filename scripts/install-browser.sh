#!/usr/bin/env bash
# Installs what the browser tests need: Debian's chromium, a Korean font (for readable
# screenshots) and axe-core (from npm) in a cache dir.
# Safe to run again: each step is skipped when its result is already there.
set -euo pipefail

AXE_DIR="${HELPLINE_AXE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/helpline/axe}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PACKAGES=()
command -v chromium >/dev/null 2>&1 || PACKAGES+=(chromium)
[ -n "$(fc-list :lang=ko 2>/dev/null)" ] || PACKAGES+=(fonts-nanum)
if [ "${#PACKAGES[@]}" -gt 0 ]; then
    $SUDO apt-get update
    $SUDO apt-get install -y "${PACKAGES[@]}"
fi

if [ ! -f "$AXE_DIR/node_modules/axe-core/axe.min.js" ]; then
    mkdir -p "$AXE_DIR"
    npm install --silent --no-audit --no-fund --prefix "$AXE_DIR" axe-core
fi

echo "chromium: $(command -v chromium)"
echo "axe-core: $AXE_DIR/node_modules/axe-core/axe.min.js"
