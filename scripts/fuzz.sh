#!/usr/bin/env bash
# Builds the libFuzzer targets with clang 16 (ASan + UBSan; undefined behaviour aborts) and runs
# each one for FUZZ_SECONDS (default 60) starting from its seed corpus in fuzz/corpus/<target>/.
# New inputs go to a scratch directory, never into the repository; crashes are kept in
# fuzz/artifacts/ and fail the run.
#
#   scripts/fuzz.sh                 # every target, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh eventlog_parse_fuzz
#
# FUZZ_OPT (default -O2) optimises the code under test. FUZZ_JOBS (default 1) fuzzes that many
# targets at once, each a single process. FUZZ_SKIP_BUILD=1 uses the targets already built in
# FUZZ_BUILD_DIR: scripts/sanitize.sh builds them with every test in its sanitized build and fuzzes
# each for a few seconds there.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
OPT=${FUZZ_OPT:--O2}

JOBS=${FUZZ_JOBS:-1}

build_log=$(mktemp)
if [[ "${FUZZ_SKIP_BUILD:-0}" != 1 ]] && ! { cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
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

# Every executable under fuzz/ is a libFuzzer target, except the seed-outcome test of the
# sanitized build (a ctest test there).
mapfile -t targets < <(find "$BUILD_DIR/fuzz" -type f -executable -not -path '*/CMakeFiles/*' \
                         -not -name '*_seed_outcomes' -printf '%f\n' | sort)
if (($#)); then targets=("$@"); fi
if ((${#targets[@]} == 0)); then
  echo "fuzz: no fuzz targets were built" >&2
  exit 1
fi

mkdir -p fuzz/artifacts
results=$(mktemp -d)
# Fuzzes one target; its one-line result (or the failure with the log's tail) goes to $results/$t.
fuzz_one() {
  local t=$1 bin seeds scratch log runs
  bin=$(find "$BUILD_DIR/fuzz" -type f -executable -not -path '*/CMakeFiles/*' -name "$t" | head -n1)
  seeds="fuzz/corpus/$t"
  if [[ -z "$bin" ]]; then
    echo "fuzz: $t was not built" >"$results/$t.failed"
    return
  fi
  if [[ ! -d "$seeds" ]] || [[ -z "$(ls -A "$seeds")" ]]; then
    echo "fuzz: $t has no seed corpus in $seeds" >"$results/$t.failed"
    return
  fi
  scratch=$(mktemp -d)
  log=$(mktemp)
  if "$bin" "$scratch" "$seeds" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="fuzz/artifacts/$t-" -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    echo "fuzz: $t ok, ${runs:-?} executions in ${SECONDS_EACH}s" >"$results/$t.ok"
  else
    { echo "fuzz: $t FAILED; artifacts in fuzz/artifacts/, log follows"; tail -n 60 "$log"; } >"$results/$t.failed"
  fi
  rm -rf "$scratch" "$log"
}

running=0
for t in "${targets[@]}"; do
  if ((running >= JOBS)); then
    wait -n || true
    running=$((running - 1))
  fi
  fuzz_one "$t" &
  running=$((running + 1))
done
wait || true

status=0
for t in "${targets[@]}"; do
  if [[ -f "$results/$t.ok" ]]; then
    cat "$results/$t.ok"
  else
    cat "$results/$t.failed" >&2 2>/dev/null || echo "fuzz: $t left no result" >&2
    status=1
  fi
done
rm -rf "$results"
exit $status
