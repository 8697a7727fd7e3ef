"""Topics that are not PERSCOM tables, Debezium's own topics and Apicurio's header framing,
through a real bridge process and broker (schemas/README.md, "Not events" and "Framing").

The values of the skipped topics are not Avro at all: were they decoded, they would be
undecodable and, without a dead-letter topic (policy block), hold their partitions.
"""
import struct

import pytest

from . import records
from .records import wait_until
from .test_admin import free_port, get, metric
from .test_delivery import hook

pytestmark = pytest.mark.timeout(300)


def test_other_topics_are_skipped(kafka, registry, receiver, bridges, uniq):
    table = 'records_service'
    prefix = 'it%s' % uniq.replace('-', '')
    tables = '%s.db.%s' % (prefix, table)
    others = {
        '%s.db.migrations' % prefix: ('not_perscom_table', 5),
        '%s.db.password_reset_tokens' % prefix: ('not_perscom_table', 2),
        '%s.transaction' % prefix: ('transaction', 2),
        '__debezium-heartbeat.%s' % prefix: ('heartbeat', 3),
    }
    kafka.create_topics([tables] + list(others), partitions=2)
    port = free_port()
    hooks = [hook(receiver, 'all', ['*'])]
    b = bridges('b', 'g-' + uniq,
                [{'pattern': '%s\\..*' % prefix},
                 {'pattern': '__debezium-heartbeat\\.%s' % prefix}],
                hooks, registry_url=registry.url,
                extra={'admin': {'listen': '127.0.0.1:%d' % port}})
    b.start()

    schema_id = registry.register(records.schema_text(table))
    prod = records.Producer(kafka.bootstrap)
    for topic, (_, n) in others.items():
        for i in range(n):
            prod.send(topic, b'\xffnot avro %d' % i, key=b'k%d' % i)
    # the table's creates: Confluent framing, and bare Avro with Apicurio's contentId header
    for rid in range(1, 4):
        prod.send(tables, records.encode(table, records.envelope(table, 'created', rid),
                                         schema_id), key=b'k%d' % rid)
    for rid in range(4, 7):
        prod.send(tables, records.encode(table, records.envelope(table, 'created', rid)),
                  key=b'k%d' % rid,
                  headers=[('apicurio.value.contentId', struct.pack('>q', schema_id))])
    prod.flush()

    wait_until(lambda: len(receiver.delivered('all')) >= 6, 60, 'six deliveries')
    assert sorted(r.record_id for r in receiver.delivered('all')) == [1, 2, 3, 4, 5, 6]
    every = [tables] + list(others)
    wait_until(lambda: kafka.fully_committed('g-' + uniq, every), 30,
               'committed offsets at the end of every topic, skipped ones included')
    status, text = get(port, '/metrics')
    assert status == 200
    want = {}
    for reason, n in others.values():
        want[reason] = want.get(reason, 0) + n
    for reason in ('not_perscom_table', 'transaction', 'heartbeat', 'schema_change', 'tombstone'):
        got = metric(text, 'perscom_bridge_skipped_total{reason="%s"}' % reason)
        assert got == want.get(reason, 0), (reason, got, text)
    assert metric(text, 'perscom_bridge_undecodable_total') == 0
    log = b.log_text()
    # logged once per topic, at info level
    for topic in others:
        assert log.count('topic %s: ' % topic) == 1, (topic, log[-3000:])
    assert 'its table is not a PERSCOM table' in log
    rc, _ = b.terminate(timeout=20)
    assert rc == 0


def test_apicurio_global_id_is_diagnosed(kafka, registry, receiver, bridges, uniq):
    """Apicurio's default framing: refused with the settings named, and dead-lettered."""
    table = 'records_service'
    topic = 'it.%s.%s' % (uniq, table)
    dead = 'it.%s.dead' % uniq
    kafka.create_topics([topic, dead], partitions=1)
    b = bridges('b', 'g-' + uniq, [{'name': topic}], [hook(receiver, 'all', ['*'])],
                registry_url=registry.url, extra={'dead_letter': {'topic': dead}})
    b.start()
    schema_id = registry.register(records.schema_text(table))
    prod = records.Producer(kafka.bootstrap)
    prod.send(topic, records.encode(table, records.envelope(table, 'created', 1)), key=b'k1',
              headers=[('apicurio.value.globalId', struct.pack('>q', 4242))])
    prod.send(topic, records.encode(table, records.envelope(table, 'created', 2), schema_id),
              key=b'k2')
    prod.flush()
    wait_until(lambda: len(receiver.delivered('all')) >= 1, 60, 'the second message delivered')
    assert [r.record_id for r in receiver.delivered('all')] == [2]
    wait_until(lambda: 'apicurio.registry.as-confluent=true' in b.log_text(), 20,
               'the diagnosis in the log')
    log = b.log_text()
    assert 'global id 4242 in header apicurio.value.globalId' in log
    assert 'apicurio.registry.headers.enabled=false' in log
    rc, _ = b.terminate(timeout=20)
    assert rc == 0
