#!/usr/bin/env bash
# The sanitized build (issue 11): clang 16 with AddressSanitizer + UndefinedBehaviorSanitizer
# (-fno-sanitize-recover=all: undefined behaviour aborts) over every target: the libraries,
# attestd, attestctl, the agent, every test and the libFuzzer targets, in its own build directory.
# It fuzzes each target briefly from its seeds, then runs the whole ctest suite in that build (the
# end-to-end tests drive the instrumented attestd, attestctl and agent): any leak, overflow,
# use-after-free or undefined behaviour fails the test that hit it. scripts/test.sh runs it after
# the release build's suite.
#
# usage: scripts/sanitize.sh [ctest options, e.g. -R store_test]
# env:   SAN_SCOPE=unit: build and run only the gtest unit tests and the fuzz seed replays (the
#        unit_and_fuzz_tests target, ctest labels unit and fuzz-replay); scripts/test.sh does, because
#        the end-to-end tests run there on the release build and the whole sanitized suite would take
#        CI past its 15 minutes;
#        SAN_BUILD_DIR (default build-san), SAN_OPT (default -O0), FUZZ_SECONDS (default 4),
#        SKIP_BUILD=1 to rerun the fuzzers and tests only.
# Each gtest binary is one ctest entry here (ATTESTD_UNIT_TEST_PER_BINARY): an instrumented process
# start costs up to 0.3 s, which 1,300 per-test processes would pay each. gtest's output names the
# failing test. -O0 because compiling is most of this build's cost; the code under test is the same.
# Prints the build, fuzz and test wall times.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${SAN_BUILD_DIR:-build-san}
OPT=${SAN_OPT:--O0}
JOBS=$(nproc)

# detect_leaks is on by default on x86-64 Linux; stated for other hosts. A finding ends the process
# with a failure ctest (or the Python test driving attestd) sees.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

start=$(date +%s)
scope=${SAN_SCOPE:-all}
labels=()
if [[ "$scope" == unit ]]; then labels=(-L 'unit|fuzz-replay'); fi
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  build_log=$(mktemp)
  if ! cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
         -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 \
         -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$OPT -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="$OPT -g1 -DNDEBUG" \
         -DATTESTD_FUZZ=ON -DATTESTD_TESTS=ON -DATTESTD_BENCH=OFF -DATTESTD_UNIT_TEST_PER_BINARY=ON \
         -DATTESTD_WERROR=ON >"$build_log" 2>&1; then
    cat "$build_log" >&2
    exit 1
  fi
  targets=()
  if [[ "$scope" == unit ]]; then targets=(--target unit_and_fuzz_tests); fi
  if ! cmake --build "$BUILD_DIR" -j"$JOBS" "${targets[@]}" >>"$build_log" 2>&1; then
    echo "sanitize: the sanitized build failed:" >&2
    grep -E "error|FAILED" "$build_log" | head -n 40 >&2
    rm -f "$build_log"
    exit 1
  fi
  rm -f "$build_log"
fi
built=$(date +%s)

status=0
FUZZ_BUILD_DIR="$BUILD_DIR" FUZZ_SKIP_BUILD=1 FUZZ_JOBS="$JOBS" FUZZ_SECONDS="${FUZZ_SECONDS:-4}" \
  scripts/fuzz.sh || status=$?
fuzzed=$(date +%s)

ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$JOBS" --timeout 600 "${labels[@]}" "$@" || status=$?
done_at=$(date +%s)
echo "sanitize: build $((built - start)) s, fuzz $((fuzzed - built)) s, tests $((done_at - fuzzed)) s, exit $status"
exit "$status"
