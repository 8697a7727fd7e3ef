#!/usr/bin/env bash
# perscom-bridge benchmark: 200,000 record-change events over 8 partitions, one POST hook,
# a local Go receiver answering 204, and a plain Kafka consumer reading the same topic (the
# Kafka floor, bench/kafkafloor.c); then wrk against the same receiver as the ceiling.
# Figures and how to read them: docs/performance.md.
#
#   bench/run.sh [--bootstrap HOST:PORT] [bench.py options: --messages N --partitions N
#                 --max-in-flight N --partition-window N --kafka-property K=V --rate MSGS_PER_S
#                 --burst N --warmup-seconds S --wrk-seconds N --wrk-threads N --json FILE
#                 --log-level LEVEL]
#
# Without --bootstrap a throw-away single-node Kafka broker is started (tests/integration) and
# stopped afterwards. Needs what scripts/setup.sh installs, plus Go for the receiver.
# Takes about a minute; everything it writes goes to build-bench/bench-out/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD_DIR:-$root/build-bench}
out=$build/bench-out

bootstrap=""
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --bootstrap) bootstrap=$2; shift 2 ;;
        --bootstrap=*) bootstrap=${1#*=}; shift ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exec python3 "$root/bench/bench.py" --help ;;
        *) args+=("$1"); shift ;;
    esac
done

command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { echo "bench: Go is needed to build the receiver (apt-get install golang-go)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: wrk is missing (scripts/setup.sh installs it)" >&2; exit 1; }

echo "bench: building perscom-bridge in $build" >&2
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j2 --target perscom-bridge bench-kafkafloor >/dev/null
echo "bench: building the receiver" >&2
(cd "$root/bench/receiver" && GOTOOLCHAIN=local GOFLAGS=-mod=mod go build -o "$build/bench-receiver" .)

mkdir -p "$out"
if [ -n "$bootstrap" ]; then
    exec python3 "$root/bench/bench.py" --bootstrap "$bootstrap" \
        --bridge "$build/perscom-bridge" --receiver "$build/bench-receiver" \
        --floor "$build/bench-kafkafloor" --workdir "$out" "${args[@]}"
fi
exec python3 "$root/bench/broker.py" --workdir "$out" -- python3 "$root/bench/bench.py" \
    --bridge "$build/perscom-bridge" --receiver "$build/bench-receiver" \
    --floor "$build/bench-kafkafloor" --workdir "$out" "${args[@]}"
