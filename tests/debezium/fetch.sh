#!/usr/bin/env bash
# Fetches the Debezium chain of the integration tests with Maven into tests/debezium/lib:
# Kafka Connect (lib/worker), the Debezium MariaDB connector and the Apicurio AvroConverter
# (lib/plugins/<plugin>, the worker's plugin.path).
# Idempotent: when lib/ already holds the pinned jars, it only checks.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$here/pom.xml"; }
kafka=$(prop kafka.version)
debezium=$(prop debezium.version)
apicurio=$(prop apicurio.version)
want=("$here/lib/worker/connect-runtime-$kafka.jar"
      "$here/lib/plugins/debezium-connector-mariadb/debezium-connector-mariadb-$debezium.jar"
      "$here/lib/plugins/apicurio-converter/apicurio-registry-utils-converter-$apicurio.jar")
present=1
for f in "${want[@]}"; do [ -f "$f" ] || present=0; done
if [ "$present" = 1 ]; then
    echo "fetch: Kafka Connect $kafka, Debezium $debezium, Apicurio converter $apicurio present in $here/lib"
    exit 0
fi
echo "fetch: downloading Kafka Connect $kafka, Debezium $debezium and the Apicurio converter $apicurio with Maven"
# A new pin must not leave the old version's jars beside it in a plugin's directory.
rm -rf "$here/lib"
mkdir -p "$here/lib" "$here/target"
if ! (cd "$here" && mvn -q -B dependency:copy-dependencies) >"$here/target/mvn.log" 2>&1; then
    cat "$here/target/mvn.log" >&2
    echo "fetch: Maven failed (log above, also in $here/target/mvn.log)" >&2
    exit 1
fi
for f in "${want[@]}"; do
    test -f "$f" || { echo "fetch: $f missing after Maven" >&2; exit 1; }
done
echo "fetch: $(find "$here/lib" -name '*.jar' | wc -l) jars in $here/lib"
