#!/usr/bin/env bash
# run.sh — the quick start: set up (Debian 12), build the CLI and the web site, write one song with
# the shipped default model in the terminal, then serve the site on http://localhost:8000.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
export NODE_PATH=/usr/share/nodejs
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
echo
echo "── a song from the default model (build/serce sample www/models/sezen-aksu.safetensors) ──"
build/serce sample www/models/sezen-aksu.safetensors --songs 1 --seed "$RANDOM"
echo
if [ -d build/site ]; then
  echo "Serving the page at http://localhost:${PORT:-8000}/ (Ctrl-C to stop)"
  exec node tests/web/serve.mjs build/site "${PORT:-8000}"
fi
