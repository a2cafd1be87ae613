#!/usr/bin/env bash
# test.sh — build everything and run every test (C unit tests, PyTorch reference, CLI end to end,
# WebAssembly in Node, the page in headless Chromium) through CTest.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
export NODE_PATH=/usr/share/nodejs
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure "$@"
scripts/hardening.sh   # fuzzing, sanitizers, static analysis, -Werror builds (scripts/hardening.sh has the details)
