"""Delivery through trouble: a second bridge joining and the first leaving (rebalance), a
failing hook's probe taken away by an incremental revoke, and a Schema Registry that is down
for a while."""
import collections
import re
import threading
import time

import pytest

from . import records
from .records import wait_until
from .registry import SchemaRegistry
from .test_admin import free_port, get, metric
from .test_delivery import by_partition, hook, ok_ids, produce_creates

pytestmark = pytest.mark.timeout(300)


def assert_identical_attempts(receiver, name):
    attempts = collections.defaultdict(list)
    for r in receiver.snapshot(name):
        assert r.sig_ok, 'bad signature at %s' % name
        attempts[r.record_id].append(r)
    for rid, reqs in attempts.items():
        assert len({r.body for r in reqs}) == 1 and len({r.signature for r in reqs}) == 1, (
            'hook %s, record %d: attempts differ' % (name, rid))
    return attempts


# The default (eager range before librdkafka 2.10, cooperative-sticky from 2.10 on, where the
# library keeps the assignment when a commit races the rejoin) must hand over promptly: the
# leaving bridge never loses its assignment. cooperative-sticky set explicitly must lose nothing
# and keep order; whether an older librdkafka kept its assignment (the race can make it declare
# it lost; the bridge defers periodic commits after each rebalance to avoid that) is reported,
# not asserted.
@pytest.mark.parametrize('strategy', ['default', 'cooperative-sticky'])
def test_rebalance_between_two_bridges_loses_nothing(kafka, receiver, bridges, uniq, strategy):
    """Bridge A consumes; bridge B joins the group (partitions move); A stops with SIGTERM
    (its partitions move to B). Every message reaches every hook, duplicates are identical,
    each hook's first deliveries of a partition come in offset order, and the group ends
    fully committed."""
    table = 'records_combat'
    topic = 'it.%s.%s' % (uniq, table)
    partitions = 8
    kafka.create_topics([topic], partitions=partitions)
    group = 'g-' + uniq
    hooks = [hook(receiver, 'h1', ['*']), hook(receiver, 'h2', ['combatrecord.created'])]
    receiver.set_behaviour('h1', delay=0.01)
    receiver.set_behaviour('h2', delay=0.02)
    topics = [{'name': topic, 'format': 'avro', 'schema': records.schema_path(table)}]
    props = {'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500}
    if strategy != 'default':
        props['partition.assignment.strategy'] = strategy
    a = bridges('a', group, topics, hooks, properties=props)
    b = bridges('b', group, topics, hooks, properties=props)

    placed = {}
    done_producing = threading.Event()
    n_batches, per_batch = 6, 50

    def produce():
        for i in range(n_batches):
            placed.update(produce_creates(kafka, topic, table, per_batch,
                                          first_id=1 + i * per_batch))
            time.sleep(0.5)
        done_producing.set()

    a.start()
    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    wait_until(lambda: a.assert_running() or len(receiver.delivered('h1')) >= 20, 60,
               'bridge A delivering')
    b.start()
    wait_until(lambda: b.assert_running() or 'assigned' in open(b.log_path).read().lower()
               or len(receiver.delivered('h1')) > 150, 30, 'bridge B joining')
    time.sleep(1)
    rc, took = a.terminate(timeout=20)
    assert rc == 0, 'bridge A exit code %d\n%s' % (rc, a.log_tail())
    # A prompt handover: A never loses its assignment (which would leave its partitions idle
    # until the broker expires it after session.timeout.ms).
    a_log = open(a.log_path).read()
    if strategy == 'default':
        assert '(lost)' not in a_log, 'bridge A lost its assignment\n%s' % a.log_tail()
    else:
        print('cooperative-sticky: bridge A %s its assignment' % (
            'LOST' if '(lost)' in a_log else 'kept'))
    assert done_producing.wait(30), 'producer did not finish'
    producer.join(10)
    n = n_batches * per_batch
    assert len(placed) == n

    def all_delivered():
        b.assert_running()
        return ok_ids(receiver, 'h1') == set(placed) == ok_ids(receiver, 'h2')
    wait_until(all_delivered, 90, 'every message delivered to both hooks')
    wait_until(lambda: kafka.fully_committed(group, [topic]), 30, 'group fully committed')

    parts = by_partition(placed)
    for name in ('h1', 'h2'):
        assert_identical_attempts(receiver, name)
        first_seen = []
        seen = set()
        for r in receiver.delivered(name):
            if r.record_id not in seen:
                seen.add(r.record_id)
                first_seen.append(r.record_id)
        for p, expect in parts.items():
            got = [rid for rid in first_seen if placed[rid]['partition'] == p]
            assert got == expect, 'hook %s, partition %d: first deliveries out of order' % (
                name, p)


def test_parked_partitions_drain_after_the_probe_is_revoked(kafka, receiver, bridges, uniq):
    """cooperative-sticky, one message on each of 4 partitions: hook h1 fails, bridge A probes
    it from partition 0 and parks the lanes of partitions 1, 2 and 3 behind the probe. Bridge B
    joins and A gives up partitions 0 and 1 in one incremental revoke: the probe and the lane
    that would have probed next. A's lane of partition 2 must take the probe over at once, and
    once the hook recovers every partition drains and the group ends fully committed (issue
    14: A's partitions 2 and 3 used to stay parked for ever)."""
    table = 'records_combat'
    topic = 'it.%s.%s' % (uniq, table)
    partitions = 4
    kafka.create_topics([topic], partitions=partitions)
    group = 'g-' + uniq
    hooks = [hook(receiver, 'h1', ['*'])]
    receiver.set_behaviour('h1', status=503)
    topics = [{'name': topic, 'format': 'avro', 'schema': records.schema_path(table)}]
    props = {'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500,
             'partition.assignment.strategy': 'cooperative-sticky'}
    delivery = {'probe_after_failures': 1}
    port = free_port()
    a = bridges('a', group, topics, hooks, properties=props, delivery=delivery,
                extra={'admin': {'listen': '127.0.0.1:%d' % port}})
    b = bridges('b', group, topics, hooks, properties=props, delivery=delivery)

    def a_metric(name):
        a.assert_running()
        status, text = get(port, '/metrics')
        return metric(text, name) if status == 200 else None

    prod = records.Producer(kafka.bootstrap)

    def send(p):
        """The record of id p + 1 to partition p."""
        rid = p + 1
        prod.send(topic, records.encode(table, records.envelope(table, 'created', rid)),
                  key=b'k%d' % rid, partition=p, meta=rid)
        prod.flush()

    def attempted():
        return {r.record_id for r in receiver.snapshot('h1')}

    a.start()
    wait_until(lambda: a_metric('perscom_bridge_partitions_assigned') == partitions, 30,
               'bridge A assigned every partition')
    send(0)
    wait_until(lambda: a.assert_running() or attempted(), 30, 'the first attempt (the probe)')
    for p in range(1, partitions):
        send(p)
    wait_until(lambda: a_metric('perscom_bridge_buffered_messages') == partitions, 30,
               'bridge A holding every message')
    time.sleep(1)
    assert a_metric('perscom_bridge_hook_probing{hook="h1"}') == 1
    assert attempted() == {1}, 'only the probe (partition 0) may send: %s' % attempted()
    assert {m['meta']: m['partition'] for m in prod.sent} == {1: 0, 2: 1, 3: 2, 4: 3}

    b.start()

    def revoked_by_a():
        b.assert_running()
        return re.findall(r'revoked %s \[(\d+)\]' % re.escape(topic), open(a.log_path).read())
    wait_until(revoked_by_a, 30, 'bridge A giving partitions up')
    time.sleep(0.5)
    a_log = open(a.log_path).read()
    assert '(lost)' not in a_log, 'bridge A lost its assignment\n%s' % a.log_tail()
    # librdkafka's sticky assignor moves the lowest partitions of the loaded member: the test
    # relies on it to take exactly the probe's partition and the next parked one away from A
    assert sorted(int(p) for p in revoked_by_a()) == [0, 1], (
        'the scenario needs A to give up partitions 0 and 1, it gave up %s' % revoked_by_a())
    # A's oldest remaining parked lane (partition 2, record 3) probes at once, hook still down
    wait_until(lambda: a.assert_running() or b.assert_running() or 3 in attempted(), 10,
               "bridge A probing again from one of its own partitions")
    assert 4 not in attempted(), 'partition 3 must still wait behind the probe'

    receiver.set_behaviour('h1', status=204)
    wait_until(lambda: a.assert_running() or b.assert_running() or
               ok_ids(receiver, 'h1') == {1, 2, 3, 4}, 30, 'every partition drained')
    wait_until(lambda: kafka.fully_committed(group, [topic]), 30, 'group fully committed')
    assert a_metric('perscom_bridge_hook_probing{hook="h1"}') == 0
    assert_identical_attempts(receiver, 'h1')


def test_registry_outage_delays_but_never_drops(kafka, receiver, bridges, uniq):
    """The Schema Registry answers 503 at first: the bridge retries the lookups and delivers
    everything once the registry is back; nothing is skipped or dead-lettered."""
    reg = SchemaRegistry().start()
    try:
        table = 'calendars'
        topic = 'it.%s.%s' % (uniq, table)
        kafka.create_topics([topic], partitions=2)
        sid = reg.register(records.schema_text(table))
        n = 20
        placed = produce_creates(kafka, topic, table, n, schema_id=sid)
        group = 'g-' + uniq
        reg.fail_status = 503
        b = bridges('b', group, [{'name': topic, 'format': 'confluent'}],
                    [hook(receiver, 'h1', ['*'])], registry_url=reg.url)
        b.start()
        wait_until(lambda: b.assert_running() or len(reg.lookups) >= 3, 30,
                   'the bridge retrying schema lookups')
        time.sleep(1)
        assert receiver.snapshot() == [], 'delivered without a schema?'
        committed = kafka.committed_offsets(group, [topic])
        assert all(not c for c in committed.values()), committed
        reg.fail_status = None
        wait_until(lambda: b.assert_running() or ok_ids(receiver, 'h1') == set(placed), 60,
                   'every message delivered after the registry recovered')
        wait_until(lambda: kafka.fully_committed(group, [topic]), 20, 'group fully committed')
        assert_identical_attempts(receiver, 'h1')
    finally:
        reg.stop()


def test_unknown_schema_id_is_asked_with_backoff_and_first_sight_is_not_a_warning(
        kafka, receiver, bridges, uniq):
    """Under policy block a message with an unknown schema id holds its partition; the registry
    is asked again with backoff (2 s, 4 s, ...), not at every retry. A schema's normal first
    lookup is logged at debug, never as a warning."""
    reg = SchemaRegistry().start()
    try:
        table = 'calendars'
        topic = 'it.%s.%s' % (uniq, table)
        kafka.create_topics([topic], partitions=2)
        sid = reg.register(records.schema_text(table))
        unknown = sid + 1000
        prod = records.Producer(kafka.bootstrap)
        prod.send(topic, records.encode(table, records.envelope(table, 'created', 1), unknown),
                  partition=0, meta=1)
        for rid in range(2, 12):
            prod.send(topic, records.encode(table, records.envelope(table, 'created', rid), sid),
                      partition=1, meta=rid)
        prod.flush()
        b = bridges('b', 'g-' + uniq, [{'name': topic, 'format': 'confluent'}],
                    [hook(receiver, 'h1', ['*'])], registry_url=reg.url)
        b.start()
        wait_until(lambda: b.assert_running() or len(ok_ids(receiver, 'h1')) == 10, 60,
                   'the ten messages of partition 1 delivered')
        asked = lambda: [p for p in reg.lookups if p.startswith('/schemas/ids/%d' % unknown)]
        wait_until(lambda: len(asked()) >= 1, 10, 'the unknown id asked for')
        t0 = time.monotonic()
        first = len(asked())
        time.sleep(7)
        # within 7 s after the first 404: at most the 2 s and 4 s steps (2 more requests)
        assert len(asked()) - first <= 2, (len(asked()), time.monotonic() - t0)
        assert 1 not in ok_ids(receiver, 'h1')
        log = b.log_text()
        warned = [line for line in log.splitlines()
                  if ' warn ' in line and 'fetching schema id %d' % sid in line]
        assert not warned, warned
        assert 'unknown schema id %d' % unknown in log
    finally:
        reg.stop()
