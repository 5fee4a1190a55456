#!/usr/bin/env bash
# Builds the libFuzzer targets with clang 16 (ASan + UBSan; undefined behaviour aborts) and runs
# each one for FUZZ_SECONDS (default 60) starting from its seed corpus in fuzz/corpus/<target>/.
# New inputs go to a scratch directory, never into the repository; crashes are kept in
# fuzz/artifacts/ and fail the run.
#
#   scripts/fuzz.sh                 # every target, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh eventlog_parse_fuzz
#
# FUZZ_OPT (default -O2) optimises the code under test. scripts/test.sh fuzzes each target for a
# few seconds only and builds with -O0 in its own directory (FUZZ_BUILD_DIR): a third of the
# compile time of the sanitized verifier libraries that the HTTP request-path fuzzer links.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
OPT=${FUZZ_OPT:--O2}

build_log=$(mktemp)
if ! { cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
         -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 \
         -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$OPT -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="$OPT -g1 -DNDEBUG" \
         -DATTESTD_FUZZ=ON -DATTESTD_TESTS=OFF -DATTESTD_BENCH=OFF &&
       cmake --build "$BUILD_DIR" -j"$(nproc)"; } >"$build_log" 2>&1; then
  echo "fuzz: building the fuzz targets failed:" >&2
  grep -E "error|FAILED" "$build_log" | head -n 40 >&2
  rm -f "$build_log"
  exit 1
fi
rm -f "$build_log"

mapfile -t targets < <(find "$BUILD_DIR/fuzz" -type f -executable -not -path '*/CMakeFiles/*' -printf '%f\n' | sort)
if (($#)); then targets=("$@"); fi
if ((${#targets[@]} == 0)); then
  echo "fuzz: no fuzz targets were built" >&2
  exit 1
fi

mkdir -p fuzz/artifacts
status=0
for t in "${targets[@]}"; do
  bin=$(find "$BUILD_DIR/fuzz" -type f -executable -not -path '*/CMakeFiles/*' -name "$t" | head -n1)
  seeds="fuzz/corpus/$t"
  if [[ ! -d "$seeds" ]] || [[ -z "$(ls -A "$seeds")" ]]; then
    echo "fuzz: $t has no seed corpus in $seeds" >&2
    status=1
    continue
  fi
  scratch=$(mktemp -d)
  log=$(mktemp)
  if "$bin" "$scratch" "$seeds" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="fuzz/artifacts/$t-" -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    echo "fuzz: $t ok, ${runs:-?} executions in ${SECONDS_EACH}s"
  else
    echo "fuzz: $t FAILED; artifacts in fuzz/artifacts/, log follows" >&2
    tail -n 60 "$log" >&2
    status=1
  fi
  rm -rf "$scratch" "$log"
done
exit $status
