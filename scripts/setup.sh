#!/usr/bin/env bash
# Installs everything the build, the demo, the tests and the benchmark need:
# Debian packages (apt-get), the Apache Kafka broker jars and the Kafka Connect / Debezium /
# Apicurio jars (Maven), Python test packages (pip).
# Idempotent: a second run only checks.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

DEBS=(build-essential cmake pkg-config
      librdkafka-dev libavro-dev libcurl4-openssl-dev libssl-dev libyaml-dev libjansson-dev
      libcmocka-dev php-cli wrk)
# The fuzz targets (tests/fuzz) need clang and its libFuzzer and sanitizer runtimes.
DEBS+=(clang libclang-rt-14-dev)
# The test broker (Apache Kafka 4.x) needs Java 17+; its jars come with Maven.
command -v java >/dev/null 2>&1 || DEBS+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || DEBS+=(maven)
# The Debezium chain of the integration tests (tests/integration/mariadb.py) runs Debian's MariaDB.
DEBS+=(mariadb-server mariadb-client)
# The benchmark's receiver (bench/receiver) is Go, standard library only.
command -v go >/dev/null 2>&1 || DEBS+=(golang-go)

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

# Python test packages (Avro encoding by an implementation other than avro-c; Kafka client).
python3 -m pip install -q --disable-pip-version-check -r "$here/tests/requirements.txt"

# Apache Kafka broker jars for the integration tests, fetched with Maven.
"$here/tests/kafka/fetch.sh"

# Kafka Connect, the Debezium MariaDB connector and the Apicurio Avro converter for the
# Debezium chain of the integration tests, fetched with Maven.
"$here/tests/debezium/fetch.sh"
