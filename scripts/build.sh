#!/usr/bin/env bash
# Configures and builds attestd (tests and benchmarks included) into build/.
# UNIT_TESTS=OFF leaves out the gtest binaries (scripts/test.sh: they run in the sanitized build).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTESTD_WERROR=ON \
  -DATTESTD_UNIT_TESTS="${UNIT_TESTS:-ON}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
