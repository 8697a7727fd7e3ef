"""The system librdkafka (the one perscom-bridge links) against the test broker.

confluent-kafka bundles its own newer librdkafka, so the Python helpers prove nothing about the
library the bridge uses; this builds tests/kafka/rdkafka_check.c against the system library and
runs it: create a topic, produce, join a group (range and cooperative-sticky), store and commit
offsets, read them back, close, destroy.
"""
import os
import subprocess

import pytest

from .kafka_broker import KAFKA_DIR

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope='module')
def rdkafka_check(workdir):
    exe = os.path.join(workdir, 'rdkafka_check')
    build = subprocess.run(['cc', '-std=c11', '-Wall', '-o', exe,
                            os.path.join(KAFKA_DIR, 'rdkafka_check.c'), '-lrdkafka'],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert build.returncode == 0, build.stdout.decode(errors='replace')
    ldd = subprocess.run(['ldd', exe], stdout=subprocess.PIPE).stdout.decode()
    assert 'librdkafka.so.1' in ldd
    return exe


@pytest.mark.parametrize('strategy', ['range', 'cooperative-sticky'])
def test_system_librdkafka_produces_consumes_and_commits(kafka, rdkafka_check, uniq, strategy):
    topic = 'rdk.%s' % uniq
    run = subprocess.run([rdkafka_check, kafka.bootstrap, topic, 'g-' + uniq, strategy],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=90)
    out = run.stdout.decode(errors='replace')
    print(out)
    assert run.returncode == 0, out
    assert 'FAIL' not in out, out
