#!/usr/bin/env bash
# Installs everything the build, the demo, the tests and the benchmark need:
# Debian packages (apt-get), the Apache Kafka broker jars and the Kafka Connect / Debezium /
# Apicurio jars (Maven), Python test packages (pip), kustomize (go install) for the Kubernetes
# manifests' tests.
# Idempotent: a second run only checks.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

DEBS=(build-essential cmake pkg-config
      librdkafka-dev libavro-dev libcurl4-openssl-dev libssl-dev libyaml-dev libjansson-dev
      libcmocka-dev php-cli wrk)
# The TLS tests (test_hooktls.py, test_testhook.py, test_cli.py) make their certificates with
# the openssl command line.
DEBS+=(openssl)
# The fuzz targets (tests/fuzz) need clang and its libFuzzer and sanitizer runtimes.
DEBS+=(clang libclang-rt-14-dev)
# The test broker (Apache Kafka 4.x) needs Java 17+; its jars come with Maven.
command -v java >/dev/null 2>&1 || DEBS+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || DEBS+=(maven)
# The Debezium chain of the integration tests (tests/integration/mariadb.py) runs Debian's MariaDB.
DEBS+=(mariadb-server mariadb-client)
# The benchmark's receiver (bench/receiver) is Go, standard library only; its Go yardstick
# (bench/gobridge, franz-go) needs Go 1.26 or later, as kustomize (below) needs a recent Go.
command -v go >/dev/null 2>&1 || DEBS+=(golang-go)
# The egress guard's namespace tests (tests/integration/test_egress.py) run the bridge under
# `unshare -n` (util-linux) and bring the namespace's interfaces up with `ip` (iproute2).
DEBS+=(util-linux iproute2)
# The container image and its tests (tests/deploy): podman and buildah (with runc: the default
# runtime does not start containers here), mmdebstrap for the Debian base, uidmap and
# fuse-overlayfs for the container storage.
DEBS+=(podman buildah mmdebstrap runc uidmap fuse-overlayfs)

missing=()
for p in "${DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python test packages (Avro encoding by an implementation other than avro-c; Kafka client;
# hadolint, kubernetes-validate and a PromQL parser for tests/deploy/check_manifests.py).
python3 -m pip install -q --disable-pip-version-check -r "$here/tests/requirements.txt"

# The custom resources' models (tests/deploy/validate_crds.py) live in a venv of their own:
# they bring a pytest plugin and HTTP client libraries the test suite's Python must not load.
crd_venv="$here/build-image/crd-venv"
if [ ! -x "$crd_venv/bin/python" ]; then
    python3 -m venv --system-site-packages "$crd_venv"
fi
"$crd_venv/bin/python" -m pip install -q --disable-pip-version-check \
    -r "$here/tests/deploy/requirements-crd.txt"

# kustomize v5 (tests/deploy: `kustomize build` of deploy/). Debian's kubectl
# (kubernetes-client, 1.20 in Debian 12) embeds kustomize v2, which knows no components, so the
# standalone kustomize is built from its Go module.
KUSTOMIZE_VERSION=v5.7.1
if [ "$(kustomize version 2>/dev/null)" != "$KUSTOMIZE_VERSION" ]; then
    echo "setup: building kustomize $KUSTOMIZE_VERSION (go install, about a minute)"
    GOBIN=/usr/local/bin go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
fi

# A missing piece of the image tests fails here, loudly, not later as a skipped test.
for tool in podman buildah mmdebstrap runc newuidmap fuse-overlayfs hadolint \
            kubernetes-validate kustomize; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "setup: $tool is missing after the installation" >&2
        exit 1
    fi
done

# Apache Kafka broker jars for the integration tests, fetched with Maven.
"$here/tests/kafka/fetch.sh"

# Kafka Connect, the Debezium MariaDB connector and the Apicurio Avro converter for the
# Debezium chain of the integration tests, fetched with Maven.
"$here/tests/debezium/fetch.sh"
