#!/usr/bin/env bash
# Sets up, builds and runs every test: the fuzzers briefly over their seed corpora, then the
# whole ctest suite (unit tests, swtpm + tpm2-tools end-to-end tests, CLI tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
FUZZ_SECONDS=${FUZZ_SECONDS:-10} scripts/fuzz.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 300
