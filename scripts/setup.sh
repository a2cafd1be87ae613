#!/usr/bin/env bash
# setup.sh — install what Serçe needs on Debian 12 (idempotent: only missing packages are installed),
# then the npm dev dependencies used by the browser tests. Uses sudo when not run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(build-essential cmake pkg-config libopenblas-dev python3 python3-numpy python3-torch emscripten chromium clang libclang-rt-14-dev clang-tidy cppcheck)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm: any install will do (a Node.js from another source may bundle its own npm and
# conflict with Debian's npm package), so only install Debian's when the commands are missing.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if [ -f package-lock.json ] && [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund
fi
