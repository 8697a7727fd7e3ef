#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -DBR_FUZZ=ON) into build-fuzz/ and runs each one over its
# committed seed corpus (tests/fuzz/corpus/<target>) for a bounded time. New inputs go to a
# temporary directory, never into the committed corpus. Exits non-zero on the first finding
# (crash, sanitizer report, leak, timeout), leaving the reproducer in build-fuzz/findings/.
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET]     (default 20)
#
# Environment: BR_FUZZ_BUILD (build directory, default <root>/build-fuzz),
#              BR_FUZZ_TARGETS (default "decode conf render admin schema logical hookrow").
# fuzz_schema runs with -malloc_limit_mb=64: a schema within the bounds of
# bridge/avro/schemabounds.h never makes avro-c allocate more at once, so a larger allocation is
# a finding (the issue-13 schema allocated 1.97 GB at once).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-20}
build=${BR_FUZZ_BUILD:-$root/build-fuzz}
targets=${BR_FUZZ_TARGETS:-decode conf render admin schema logical hookrow}

command -v clang >/dev/null || { echo "run.sh: clang is missing (scripts/setup.sh)" >&2; exit 2; }
CC=clang cmake -S "$root" -B "$build" -DBR_FUZZ=ON >/dev/null
binaries=()
for t in $targets; do
    binaries+=("fuzz_$t")
done
cmake --build "$build" -j2 --target "${binaries[@]}"

findings="$build/findings"
mkdir -p "$findings"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for t in $targets; do
    mkdir -p "$work/$t"
    options=()
    if [ -f "$root/tests/fuzz/$t.dict" ]; then
        options=(-dict="$root/tests/fuzz/$t.dict")
    fi
    if [ "$t" = schema ]; then
        options+=(-malloc_limit_mb=64)
    fi
    echo "run.sh: fuzz_$t for $seconds s over tests/fuzz/corpus/$t"
    if "$build/fuzz_$t" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
        "${options[@]}" -artifact_prefix="$findings/$t-" "$work/$t" "$root/tests/fuzz/corpus/$t" \
        >"$build/fuzz_$t.log" 2>&1 </dev/null; then
        { grep -E '^#[0-9]+[[:space:]]+DONE' "$build/fuzz_$t.log" || true; } | tail -n 1 |
            sed "s/^/run.sh: fuzz_$t: /"
    else
        echo "run.sh: fuzz_$t: FINDING (log $build/fuzz_$t.log):" >&2
        { grep -E 'ERROR|SUMMARY|invariant|runtime error|Test unit written' \
            "$build/fuzz_$t.log" || true; } | head -n 20 >&2
        status=1
    fi
done
exit "$status"
