#!/usr/bin/env bash
# perscom-bridge benchmark: 200,000 record-change events over 8 partitions, one POST hook,
# a local Go receiver answering 204, and a plain Kafka consumer reading the same topic (the
# Kafka floor, bench/kafkafloor.c); then the Go yardstick (bench/gobridge/, a straightforward
# franz-go + net/http bridge doing the same work) on the same topic and events, so that every
# figure comes with a same-run ratio bridge/Go; then wrk against the same receiver as the
# ceiling. Figures and how to read them: docs/performance.md.
#
#   bench/run.sh [--bootstrap HOST:PORT] [--no-go] [bench.py options: --messages N
#                 --partitions N --max-in-flight N --partition-window N --kafka-property K=V
#                 --rate MSGS_PER_S --burst N --warmup-seconds S --wrk-seconds N --wrk-threads N
#                 --producer-property K=V --json FILE --log-level LEVEL
#                 --slow-receiver-ms MS --ordering partition|key|none --hook-max-in-flight N
#                 --keys N --scenario slow ...]
#
#   bench/run.sh --rate 1000                 paced: latency percentiles, bridge and Go
#   bench/run.sh --scenario slow             slow receiver (50 ms): 8 and 1 partitions, keys
#                                            over 10,000 row ids, bridge per ordering mode, Go
#   bench/run.sh --slow-receiver-ms 50 --ordering key --max-in-flight 64 --partitions 1 --keys 10000
#
# --no-go leaves the Go yardstick out (the bridge runs alone). Without --bootstrap a throw-away
# single-node Kafka broker is started (tests/integration) and stopped afterwards. Needs what
# scripts/setup.sh installs: Go for the receiver, Go 1.26 or later and its modules for the
# yardstick (franz-go 1.22 wants it). Takes about a minute and a half (the slow scenario about
# five minutes); everything it writes goes to build-bench/bench-out/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD_DIR:-$root/build-bench}
out=$build/bench-out

bootstrap=""
with_go=1
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --bootstrap) bootstrap=$2; shift 2 ;;
        --bootstrap=*) bootstrap=${1#*=}; shift ;;
        --no-go) with_go=0; shift ;;
        -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exec python3 "$root/bench/bench.py" --help ;;
        *) args+=("$1"); shift ;;
    esac
done

command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { echo "bench: Go is needed to build the receiver (apt-get install golang-go)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: wrk is missing (scripts/setup.sh installs it)" >&2; exit 1; }
export GOTOOLCHAIN=local GOFLAGS=-mod=mod

echo "bench: building perscom-bridge in $build" >&2
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j2 --target perscom-bridge bench-kafkafloor >/dev/null
echo "bench: building the receiver" >&2
(cd "$root/bench/receiver" && go build -o "$build/bench-receiver" .)
go_args=()
if [ "$with_go" = 1 ]; then
    echo "bench: building the Go yardstick" >&2
    (cd "$root/bench/gobridge" && go build -o "$build/bench-gobridge" .) || {
        echo "bench: the Go yardstick does not build (it needs Go 1.26+: $(go version)); --no-go runs the bridge alone" >&2
        exit 1
    }
    go_args=(--go "$build/bench-gobridge")
fi

mkdir -p "$out"
if [ -n "$bootstrap" ]; then
    exec python3 "$root/bench/bench.py" --bootstrap "$bootstrap" \
        --bridge "$build/perscom-bridge" --receiver "$build/bench-receiver" "${go_args[@]}" \
        --floor "$build/bench-kafkafloor" --workdir "$out" "${args[@]}"
fi
exec python3 "$root/bench/broker.py" --workdir "$out" -- python3 "$root/bench/bench.py" \
    --bridge "$build/perscom-bridge" --receiver "$build/bench-receiver" "${go_args[@]}" \
    --floor "$build/bench-kafkafloor" --workdir "$out" "${args[@]}"
