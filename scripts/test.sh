#!/usr/bin/env bash
# Sets up, builds and runs every test: the fuzzers briefly over their seed corpora, then the
# whole ctest suite (unit tests, swtpm + tpm2-tools end-to-end tests, CLI tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
FUZZ_BUILD_DIR=build-fuzz-ci FUZZ_OPT=-O0 FUZZ_SECONDS=${FUZZ_SECONDS:-6} scripts/fuzz.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 300
