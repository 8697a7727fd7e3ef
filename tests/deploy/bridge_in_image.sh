#!/usr/bin/env bash
# A stand-in for the perscom-bridge binary that runs the image's binary instead, for the
# integration tests (PERSCOM_BRIDGE_BIN=tests/deploy/bridge_in_image.sh):
#
#   bridge_in_image.sh run --config /abs/path/bridge.yaml
#
# runs `podman run` of $BR_IMAGE (default localhost/perscom-bridge:test) in the foreground as
# uid 65532, read-only, no capabilities, host network, with the current directory (the test's
# work directory, where its bridge.yaml is) and the repository's schemas/ mounted read-only at
# the same paths, POD_NAME passed on when set. podman forwards SIGTERM and SIGINT to the
# bridge and exits with its exit code. A SIGKILL stops only podman: scripts/test.sh removes
# containers labelled perscom-bridge-test after the run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export CONTAINERS_CONF="$root/tests/deploy/containers.conf"
image=${BR_IMAGE:-localhost/perscom-bridge:test}
args=(--rm --label perscom-bridge-test=1 --network host --user 65532:65532 --read-only
      --cap-drop ALL --security-opt no-new-privileges --sig-proxy=true
      -v "$PWD:$PWD:ro" -v "$root/schemas:$root/schemas:ro" -w "$PWD")
if [ -n "${POD_NAME:-}" ]; then
    args+=(-e "POD_NAME=$POD_NAME")
fi
exec podman run "${args[@]}" "$image" "$@"
