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
# the page's default song form: two verses and a chorus, 8 syllables a line, ABAB rhyme
echo "── a song from the default model: build/serce sample www/models/sezen-aksu.int8.safetensors --form 'K N K N' --syllables 8 --rhyme ABAB --repetition-penalty 1.2 --avoid-copying ──"
build/serce sample www/models/sezen-aksu.int8.safetensors --form 'K N K N' --syllables 8 --rhyme ABAB \
    --repetition-penalty 1.2 --avoid-copying --seed "$RANDOM"
echo
if [ -d build/site ]; then
  echo "Serving the page at http://localhost:${PORT:-8000}/ (Ctrl-C to stop)"
  exec node tests/web/serve.mjs build/site "${PORT:-8000}"
fi
