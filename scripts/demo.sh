#!/usr/bin/env bash
# The demo: installs what is missing, builds perscom-bridge, then runs it end to end on this
# machine: a local Kafka broker, a Schema Registry stand-in, a webhook receiver that checks
# every signature and prints each webhook, sample record changes (creates, updates with
# changes, a delete), and the bridge delivering them. Everything stops at the end.
#
#   scripts/demo.sh            (no arguments; logs and data under run/demo/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

echo "== demo: setup (scripts/setup.sh)"
"$root/scripts/setup.sh"
echo "== demo: build (build/)"
cmake -S "$root" -B "$root/build" >/dev/null
cmake --build "$root/build" -j2 >/dev/null
exec python3 -m tests.integration.demo --bridge "$root/build/perscom-bridge" \
    --workdir "$root/run/demo" "$@"
