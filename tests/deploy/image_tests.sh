#!/usr/bin/env bash
# The image step of scripts/test.sh:
#
#   tests/deploy/image_tests.sh
#
# 1. tests/deploy/build_image.sh: bootstrap (cached), import, buildah bud; a failed build
#    stops here, so no test runs against an older image;
# 2. tests/deploy/test_image.py: the image run as deploy/base runs it, against a real broker
#    and the signature-checking receiver;
# 3. the rebalance tests (tests/integration/test_resilience.py -k rebalance, two bridges, and
#    tests/integration/test_faults.py -k join_and_leave, 1 -> 3 -> 1 bridges under load), each
#    with the default strategy and with cooperative-sticky, with the image's binary (Debian 13,
#    librdkafka 2.8) through tests/deploy/bridge_in_image.sh.
# Containers labelled perscom-bridge-test are removed at the end, whatever happened.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export CONTAINERS_CONF="$root/tests/deploy/containers.conf"
export BR_IMAGE=${BR_IMAGE:-localhost/perscom-bridge:test}

cleanup() {
    podman ps -aq --filter label=perscom-bridge-test=1 | xargs -r podman rm -f >/dev/null
}
trap cleanup EXIT

"$root/tests/deploy/build_image.sh" "$BR_IMAGE" || exit 1
rc=0
python3 -m pytest -v -p no:cacheprovider "$root/tests/deploy/test_image.py" || rc=1
# -rP shows what the passed tests printed (whether cooperative-sticky kept its assignment, how
# long the join and the leave took)
PERSCOM_BRIDGE_BIN="$root/tests/deploy/bridge_in_image.sh" \
    python3 -m pytest -v -rP -p no:cacheprovider "$root/tests/integration/test_resilience.py" \
    "$root/tests/integration/test_faults.py" -k "rebalance or join_and_leave" || rc=1
exit "$rc"
