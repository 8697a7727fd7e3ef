#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test suite.
#
#   scripts/test.sh
#
# 1. scripts/setup.sh (Debian packages, Python packages, kustomize, the Kafka broker jars)
# 2. cmake configure + build into build/
# 3. unit tests (ctest)
# 4. manifests: hadolint on the Dockerfile, kustomize build of deploy/base and every overlay,
#    each validated (kubernetes-validate --strict at a pinned Kubernetes version, the CRDs'
#    models), and the consistency checks (tests/deploy/check_manifests.py, and
#    tests/deploy/test_check_manifests.py, which breaks the manifests to see each check fail)
# 5. golden tests against PHP (tests/golden/run_golden.py), when present
# 6. integration tests (pytest tests/integration: a real Kafka broker, the bridge binary, a
#    local webhook receiver; and the Debezium chain: MariaDB, Kafka Connect with the Debezium
#    connector and the Apicurio converter)
# 7. image: the container image built for real (mmdebstrap base, buildah; the unit tests run
#    in its Debian 13 build stage), run with podman against a real broker and receiver, and
#    the rebalance tests with its binary (tests/deploy/image_tests.sh)
# 8. asan: the unit tests built with -DBR_SANITIZE=ON (AddressSanitizer, LeakSanitizer,
#    UndefinedBehaviorSanitizer, any report fatal) into build-asan/, run by ctest
# 9. fuzz: the libFuzzer targets (tests/fuzz/run.sh: clang, build-fuzz/), each for a short
#    bounded pass over its committed seed corpus; a crash or sanitizer report fails it
#
# Every part runs even when an earlier test part failed (a failed setup or build stops it);
# the exit code is non-zero when any part failed, and the last line sums up.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

declare -a names=() results=()
failed=0
start=$(date +%s)

step() {
    local name=$1
    shift
    echo
    echo "=== test.sh: $name: $* ==="
    local t0=$SECONDS
    "$@"
    local rc=$?
    names+=("$name")
    if [ "$rc" -eq 0 ]; then
        results+=("ok")
    else
        results+=("FAILED($rc)")
        failed=1
    fi
    echo "=== test.sh: $name: $([ "$rc" -eq 0 ] && echo ok || echo "FAILED (exit $rc)")" \
         "in $((SECONDS - t0)) s ==="
    return "$rc"
}

summary() {
    local line="test.sh:"
    for i in "${!names[@]}"; do
        line+=" ${names[$i]} ${results[$i]},"
    done
    line=${line%,}
    if [ "$failed" -eq 0 ]; then
        line+=" => PASS"
    else
        line+=" => FAIL"
    fi
    echo
    echo "$line ($(( $(date +%s) - start )) s)"
    # the plain closing line: how many steps passed and failed
    local passed=0 bad=0
    for r in "${results[@]}"; do
        if [ "$r" = ok ]; then passed=$((passed + 1)); else bad=$((bad + 1)); fi
    done
    echo "steps: $passed passed, $bad failed"
}

if ! step setup "$root/scripts/setup.sh"; then
    summary
    exit 1
fi
if ! step build bash -c "cmake -S '$root' -B '$root/build' && cmake --build '$root/build' -j2"
then
    summary
    exit 1
fi

step unit bash -c "cd '$root/build' && ctest --output-on-failure"

export PERSCOM_BRIDGE_BIN="$root/build/perscom-bridge"
step manifests bash -c "python3 '$root/tests/deploy/check_manifests.py'; a=\$?
    python3 -m pytest -q -p no:cacheprovider '$root/tests/deploy/test_check_manifests.py'; b=\$?
    exit \$((a || b))"

if [ -f "$root/tests/golden/run_golden.py" ]; then
    step golden python3 "$root/tests/golden/run_golden.py" "$root/build/perscom-bridge"
fi

step integration python3 -m pytest -v -p no:cacheprovider "$root/tests/integration"

step image "$root/tests/deploy/image_tests.sh"

# Sanitizer reports are fatal: UBSan would otherwise print and go on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
step asan bash -c "cmake -S '$root' -B '$root/build-asan' -DBR_SANITIZE=ON >/dev/null &&
    cmake --build '$root/build-asan' -j2 && cd '$root/build-asan' && ctest --output-on-failure"

step fuzz "$root/tests/fuzz/run.sh" "${BR_FUZZ_SECONDS:-20}"

summary
exit "$failed"
