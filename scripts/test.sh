#!/usr/bin/env bash
# Sets up, builds and runs every test, each once:
#  1. the release build (gcc, -O2): attestd, attestctl, the agent and benchmarks, and the tests that
#     drive them: swtpm + tpm2-tools end-to-end, CLI, hardening (SIGKILL, overload, limits), the
#     fuzz seed replays;
#  2. the sanitized build (clang, ASan + UBSan, scripts/sanitize.sh): every gtest unit test and the
#     fuzz seed replays under the sanitizers, and each fuzzer for a few seconds.
# scripts/sanitize.sh without SAN_SCOPE=unit runs the whole suite sanitized (end-to-end tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
UNIT_TESTS=OFF scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 300
SAN_BUILD_DIR=build-san-ci SAN_SCOPE=unit FUZZ_SECONDS=${FUZZ_SECONDS:-4} scripts/sanitize.sh
