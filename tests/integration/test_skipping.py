"""Topics that are not PERSCOM tables and Debezium's own topics, through a real bridge process
and broker (schemas/README.md, "Not events").

The values of the skipped topics are not Avro at all: were they decoded, they would be
undecodable and, without a dead-letter topic (policy block), hold their partitions.
"""
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
    for rid in range(1, 7):
        prod.send(tables, records.encode(table, records.envelope(table, 'created', rid),
                                         schema_id), key=b'k%d' % rid)
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

