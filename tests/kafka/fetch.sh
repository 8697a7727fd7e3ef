#!/usr/bin/env bash
# Fetches the Apache Kafka broker jars (and a log4j2 backend) into tests/kafka/lib with Maven.
# Idempotent: when lib/ already holds the pinned broker jar, it only checks.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
if [ -f "$here/lib/kafka_2.13-$version.jar" ] && ls "$here"/lib/log4j-core-*.jar >/dev/null 2>&1; then
    echo "fetch: Kafka $version jars present in $here/lib"
    exit 0
fi
echo "fetch: downloading Kafka $version and its dependencies with Maven"
mkdir -p "$here/lib" "$here/target"
if ! (cd "$here" && mvn -q -B dependency:copy-dependencies) >"$here/target/mvn.log" 2>&1; then
    cat "$here/target/mvn.log" >&2
    echo "fetch: Maven failed (log above, also in $here/target/mvn.log)" >&2
    exit 1
fi
test -f "$here/lib/kafka_2.13-$version.jar"
echo "fetch: $(ls "$here/lib" | wc -l) jars in $here/lib"
