"""End-to-end delivery: a real Kafka broker, the perscom-bridge binary, a local receiver.

Each test makes its own topics (it.<unique>.<table>) and consumer group, creates the topics
before the bridge starts (librdkafka sees topics created after a pattern subscription only at
its next metadata refresh), and bounds every wait.
"""
import collections
import json
import time

import pytest

from . import records
from .records import ALL_EVENTS, RESOURCES, TABLES, event_matches, wait_until

pytestmark = pytest.mark.timeout(300)

SECRET = 's3cret-\u00e9'  # non-ASCII: the key is the secret's UTF-8 bytes


def hook(receiver, name, events, method='POST', secret=None, timeout_ms=3000):
    secret = secret or '%s-%s' % (SECRET, name)
    receiver.add_hook(name, secret)
    return {'name': name, 'url': receiver.url(name), 'method': method, 'secret': secret,
            'events': list(events), 'timeout_ms': timeout_ms}


def subscribed(hook_conf, event):
    return any(event_matches(p, event) for p in hook_conf['events'])


def produce_creates(kafka, topic, table, n, schema_id=None, first_id=1):
    """n `created` changes of rows first_id.., keyed so they spread over the partitions.
    Returns {record id: producer report (topic, partition, offset, ...)}."""
    prod = records.Producer(kafka.bootstrap)
    for i in range(n):
        rid = first_id + i
        value = records.encode(table, records.envelope(table, 'created', rid), schema_id)
        prod.send(topic, value, key=b'k%d' % rid, meta=rid)
    sent = prod.flush()
    return {m['meta']: m for m in sent}


def by_partition(placed):
    """{partition: [record ids in offset order]} from produce_creates' result."""
    parts = collections.defaultdict(list)
    for rid, m in sorted(placed.items(), key=lambda kv: (kv[1]['partition'], kv[1]['offset'])):
        parts[m['partition']].append(rid)
    return parts


def ok_ids(receiver, hook_name):
    return {r.record_id for r in receiver.delivered(hook_name)}


def done_prefix(placed, done_ids, topic, partitions):
    """{(topic, p): offset of the first message of p not done (end offset when all are)}."""
    result = {}
    for p in range(partitions):
        offs = sorted(m['offset'] for m in placed.values() if m['partition'] == p)
        done_offs = {m['offset'] for rid, m in placed.items()
                     if m['partition'] == p and rid in done_ids}
        first = offs[-1] + 1 if offs else 0
        for o in offs:
            if o not in done_offs:
                first = o
                break
        result[(topic, p)] = first
    return result


def assert_not_beyond(committed, prefix, when):
    over = {tp: (c, prefix[tp]) for tp, c in committed.items()
            if c is not None and c > prefix[tp]}
    assert not over, ('%s: committed offsets pass undelivered messages '
                      '{partition: (committed, first undelivered)}: %s' % (when, over))


# --------------------------------------------------------------------------------------------
# (a) every event reaches exactly the hooks subscribed to it
# --------------------------------------------------------------------------------------------

def test_every_event_reaches_exactly_the_subscribed_hooks(kafka, registry, receiver, bridges,
                                                          uniq):
    prefix = 'it.%s' % uniq
    topics = ['%s.%s' % (prefix, t) for t in TABLES]
    kafka.create_topics(topics, partitions=2)
    hooks = [
        hook(receiver, 'all', ['*']),
        hook(receiver, 'rank', ['rankrecord.*']),
        hook(receiver, 'deleted', ['*.deleted']),
        hook(receiver, 'two', ['user.created', 'calendar.updated']),
        hook(receiver, 'overlap', ['submission.*', '*.deleted', 'submission.deleted']),
        hook(receiver, 'getcreated', ['*.created'], method='GET'),
    ]
    # The 30 events: per table, create, update and delete of one row (same key, in order).
    prod = records.Producer(kafka.bootstrap)
    for n, table in enumerate(TABLES):
        sid = registry.register(records.schema_text(table))
        for action in records.ACTIONS:
            rid = 100 + n
            value = records.encode(table, records.envelope(table, action, rid), sid)
            prod.send('%s.%s' % (prefix, table), value, key=b'row-%d' % rid,
                      meta='%s.%s' % (TABLES[table], action))
    prod.flush()
    assert sorted(m['meta'] for m in prod.sent) == sorted(ALL_EVENTS)

    expected = {h['name']: sorted(e for e in ALL_EVENTS if subscribed(h, e)) for h in hooks}
    assert expected['all'] == sorted(ALL_EVENTS) and len(expected['two']) == 2
    b = bridges('b', 'g-' + uniq, [{'pattern': prefix.replace('.', r'\.') + r'\..*',
                                    'format': 'confluent'}], hooks, registry_url=registry.url)
    b.start()

    def all_arrived():
        b.assert_running()
        return all(len(receiver.delivered(h)) >= len(ev) for h, ev in expected.items())
    wait_until(all_arrived, 60, 'every subscribed hook to receive its events')
    time.sleep(1.5)  # anything extra would arrive now
    for name, events in expected.items():
        got = receiver.snapshot(name)
        assert all(r.sig_ok for r in got), 'bad signature at hook %s' % name
        assert all(r.ok for r in got), 'hook %s answered non-2xx: %s' % (
            name, [(r.status, r.body[:80]) for r in got if not r.ok])
        assert sorted(r.event for r in got) == events, 'hook %s' % name
    for r in receiver.snapshot():
        assert r.headers.get('content-type', '').startswith('application/json')
        ev = r.event
        resource, action = ev.split('.')
        if r.method == 'POST':
            body = json.loads(r.body)
            assert list(body) == ['event', 'created', 'request_id', 'trace_id', 'data',
                                  'changes']
            assert body['data']['id'] == 100 + list(TABLES).index(RESOURCES[resource])
            if action == 'updated':
                assert isinstance(body['changes'], dict) and body['changes'], body
            else:
                assert body['changes'] == [], body
        else:
            assert action == 'created'
            assert r.body == b''
            q = r.payload()
            assert q['event'] == ev and 'data[id]' in q
    # Everything delivered: committed offsets reach the end of every partition.
    wait_until(lambda: kafka.fully_committed('g-' + uniq, topics), 20,
               'committed offsets == end offsets')


# --------------------------------------------------------------------------------------------
# (b) 8 partitions, 3 hooks: each hook gets each partition's messages in offset order
# --------------------------------------------------------------------------------------------

def test_each_hook_receives_each_partition_in_offset_order(kafka, receiver, bridges, uniq):
    table = 'records_ranks'
    topic = 'it.%s.%s' % (uniq, table)
    kafka.create_topics([topic], partitions=8)
    n = 400
    placed = produce_creates(kafka, topic, table, n)
    parts = by_partition(placed)
    assert len(parts) == 8, 'keys did not spread over all partitions: %s' % sorted(parts)

    hooks = [hook(receiver, 'h1', ['*']),
             hook(receiver, 'h2', ['rankrecord.created']),
             hook(receiver, 'h3', ['rankrecord.*'], method='GET')]
    receiver.set_behaviour('h1', delay=0.002)
    receiver.set_behaviour('h3', delay=0.004)
    b = bridges('b', 'g-' + uniq, [{'name': topic, 'format': 'avro',
                                    'schema': records.schema_path(table)}], hooks)
    b.start()

    def all_arrived():
        b.assert_running()
        return all(len(receiver.delivered(h['name'])) >= n for h in hooks)
    wait_until(all_arrived, 90, '%d deliveries to each of 3 hooks' % n)
    time.sleep(1)
    for h in hooks:
        got = receiver.snapshot(h['name'])
        assert all(r.ok and r.sig_ok for r in got), 'hook %s: failed or unsigned' % h['name']
        ids = [r.record_id for r in got]
        assert sorted(ids) == sorted(placed), 'hook %s: missing or duplicate deliveries' % (
            h['name'])
        for p, expect in parts.items():
            seen = [rid for rid in ids if placed[rid]['partition'] == p]
            assert seen == expect, 'hook %s, partition %d: out of offset order' % (h['name'], p)
    wait_until(lambda: kafka.fully_committed('g-' + uniq, [topic]), 20,
               'committed offsets == end offsets')


# --------------------------------------------------------------------------------------------
# (c) a failing hook holds back the committed offset; kill -9; identical redelivery
# --------------------------------------------------------------------------------------------

def test_failing_hook_holds_offsets_and_redelivery_is_byte_identical(kafka, registry, receiver,
                                                                     bridges, uniq):
    table = 'records_service'
    topic = 'it.%s.%s' % (uniq, table)
    partitions = 4
    kafka.create_topics([topic], partitions=partitions)
    n = 40
    sid = registry.register(records.schema_text(table))
    placed = produce_creates(kafka, topic, table, n, schema_id=sid)
    group = 'g-' + uniq

    hooks = [hook(receiver, 'flaky', ['*']), hook(receiver, 'healthy', ['servicerecord.*'])]
    receiver.set_behaviour('flaky', status=500, ok_first=10, body=b'{"error":"boom"}')
    # A short session: after kill -9 the dead member leaves the group in 6 s, not 45 s.
    b = bridges('b', group, [{'name': topic, 'format': 'confluent'}], hooks,
                registry_url=registry.url,
                properties={'session.timeout.ms': 6000, 'heartbeat.interval.ms': 1000})
    b.start()

    # The healthy hook gets everything while the flaky one is failing and retried.
    def progressed():
        b.assert_running()
        flaky = receiver.snapshot('flaky')
        return (len(ok_ids(receiver, 'healthy')) == n
                and sum(1 for r in flaky if r.status == 500) >= 3 * partitions)
    wait_until(progressed, 60, 'healthy hook complete and flaky hook retried')
    time.sleep(1.5)  # a few commit intervals
    done = ok_ids(receiver, 'flaky') & ok_ids(receiver, 'healthy')
    assert len(done) < n
    committed = kafka.committed_offsets(group, [topic])
    assert_not_beyond(committed, done_prefix(placed, done, topic, partitions), 'while failing')

    b.kill9()
    committed = kafka.committed_offsets(group, [topic])
    done = ok_ids(receiver, 'flaky') & ok_ids(receiver, 'healthy')
    assert_not_beyond(committed, done_prefix(placed, done, topic, partitions), 'after kill -9')

    receiver.set_behaviour('flaky', status=204)
    b.start()

    def all_delivered():
        b.assert_running()
        return ok_ids(receiver, 'flaky') == set(placed) == ok_ids(receiver, 'healthy')
    wait_until(all_delivered, 60, 'every message delivered to both hooks after restart')
    wait_until(lambda: kafka.fully_committed(group, [topic]), 20,
               'committed offsets == end offsets')

    # Every attempt of one message to one hook: the same body and signature, byte for byte.
    for name in ('flaky', 'healthy'):
        attempts = collections.defaultdict(list)
        for r in receiver.snapshot(name):
            assert r.sig_ok, 'bad signature at %s' % name
            attempts[r.record_id].append(r)
        retried = 0
        for rid, reqs in attempts.items():
            bodies = {r.body for r in reqs}
            sigs = {r.signature for r in reqs}
            assert len(bodies) == 1 and len(sigs) == 1, (
                'hook %s, record %d: %d attempts with %d different bodies, %d signatures'
                % (name, rid, len(reqs), len(bodies), len(sigs)))
            retried += len(reqs) > 1
        if name == 'flaky':
            assert retried > 0, 'expected redeliveries to the flaky hook'


# --------------------------------------------------------------------------------------------
# (d) SIGTERM under load: exit 0 within the grace period, commits cover what was delivered
# --------------------------------------------------------------------------------------------

def test_sigterm_under_load_exits_cleanly_and_commits_what_was_delivered(kafka, receiver,
                                                                          bridges, uniq):
    table = 'users'
    topic = 'it.%s.%s' % (uniq, table)
    partitions = 8
    kafka.create_topics([topic], partitions=partitions)
    n = 300
    placed = produce_creates(kafka, topic, table, n)
    group = 'g-' + uniq
    grace_ms = 3000

    hooks = [hook(receiver, 'slow', ['*']), hook(receiver, 'slower', ['user.*'])]
    receiver.set_behaviour('slow', delay=0.1)
    receiver.set_behaviour('slower', delay=0.2)
    b = bridges('b', group, [{'name': topic, 'format': 'avro',
                              'schema': records.schema_path(table)}], hooks,
                delivery={'shutdown_grace_ms': grace_ms})
    b.start()

    def under_way():
        b.assert_running()
        return len(receiver.delivered('slower')) >= 40
    wait_until(under_way, 60, 'deliveries under way')
    assert len(receiver.delivered('slower')) < n, 'too fast: no load left to interrupt'
    bound = grace_ms / 1000.0 + 5
    rc, took = b.terminate(timeout=bound + 10)
    assert rc == 0, 'exit code %d after SIGTERM\n%s' % (rc, b.log_tail())
    assert took <= bound, 'took %.1f s to stop after SIGTERM (bound %.1f s)' % (took, bound)
    time.sleep(0.5)  # let the receiver finish recording

    done = ok_ids(receiver, 'slow') & ok_ids(receiver, 'slower')
    prefix = done_prefix(placed, done, topic, partitions)
    committed = kafka.committed_offsets(group, [topic])
    assert_not_beyond(committed, prefix, 'after SIGTERM')
    short = {tp: (c, prefix[tp]) for tp, c in committed.items() if (c or 0) < prefix[tp]}
    assert not short, ('committed offsets do not cover delivered messages '
                       '{partition: (committed, 1 + highest delivered)}: %s' % short)
    assert sum(prefix.values()) < n, 'everything was delivered: SIGTERM came too late'


# --------------------------------------------------------------------------------------------
# a configured header arrives whole, however long (it was cut at 1,016 bytes)
# --------------------------------------------------------------------------------------------

def test_long_configured_header_arrives_whole(kafka, receiver, bridges, uniq):
    table = 'records_ranks'
    topic = 'it.%s.%s' % (uniq, table)
    kafka.create_topics([topic], partitions=1)
    produce_creates(kafka, topic, table, 3)
    value = ''.join('%04d-' % i for i in range(1200))[:6000]
    h = hook(receiver, 'long', ['*'])
    h['headers'] = {'X-Long': value, 'X-Short': 'a'}
    b = bridges('b', 'g-' + uniq, [{'name': topic, 'format': 'avro',
                                    'schema': records.schema_path(table)}], [h])
    b.start()
    wait_until(lambda: b.assert_running() or len(receiver.delivered('long')) >= 3, 60,
               '3 deliveries')
    for r in receiver.snapshot('long'):
        assert r.sig_ok
        assert len(r.headers['x-long']) == len(value)
        assert r.headers['x-long'] == value
        assert r.headers['x-short'] == 'a'


# --------------------------------------------------------------------------------------------
# shutdown past the grace period says what it abandons, per hook
# --------------------------------------------------------------------------------------------

def test_shutdown_past_grace_logs_what_it_abandons(kafka, receiver, bridges, uniq):
    table = 'records_ranks'
    topic = 'it.%s.%s' % (uniq, table)
    kafka.create_topics([topic], partitions=2)
    produce_creates(kafka, topic, table, 6)
    hang = hook(receiver, 'hang', ['*'], timeout_ms=30000)
    fast = hook(receiver, 'fast', ['*'])
    receiver.set_behaviour('hang', delay=5)
    b = bridges('b', 'g-' + uniq, [{'name': topic, 'format': 'avro',
                                    'schema': records.schema_path(table)}], [hang, fast],
                delivery={'shutdown_grace_ms': 500})
    b.start()
    wait_until(lambda: b.assert_running() or len(receiver.delivered('fast')) >= 6, 60,
               'the fast hook served')
    time.sleep(1)  # the hanging hook's first requests are in flight on both partitions
    rc, took = b.terminate(15)
    assert rc == 0, b.log_tail()
    log = b.log_text()
    lines = [line for line in log.splitlines() if 'abandoned' in line]
    assert len(lines) == 1, lines
    assert 'hook hang: 2 request(s) still in flight' in lines[0], lines
    assert 'delivers them again' in lines[0], lines
    assert 'hook fast' not in log.split('stopping:')[-1].split('stopped:')[0], log


# --------------------------------------------------------------------------------------------
# an unusable request_id / trace_id header does not cost the change
# --------------------------------------------------------------------------------------------

REQUEST_ID_NAMESPACE = '6f1c3a52-8d0e-4b7a-9c25-3e41d7f0b9a8'


def test_bad_id_headers_count_as_absent(kafka, receiver, bridges, uniq):
    import uuid
    table = 'records_ranks'
    topic = 'it.%s.%s' % (uniq, table)
    kafka.create_topics([topic], partitions=1)
    variants = [
        ({'request_id': b'', 'trace_id': b'\xc3'}, None, None),
        ({'request_id': b'\xff\xfe', 'trace_id': b''}, None, None),
        ({'request_id': b'req-\xe2\x82\xac', 'trace_id': b'tr-1'}, 'req-\u20ac', 'tr-1'),
        ({'request_id': b'\xed\xa0\x80', 'trace_id': b'ok'}, None, 'ok'),
    ]
    prod = records.Producer(kafka.bootstrap)
    for i, (headers, _, _) in enumerate(variants):
        rid = i + 1
        prod.send(topic, records.encode(table, records.envelope(table, 'created', rid)),
                  partition=0, headers=list(headers.items()), meta=rid)
    sent = {m['meta']: m for m in prod.flush()}
    h = hook(receiver, 'h', ['*'])
    b = bridges('b', 'g-' + uniq, [{'name': topic, 'format': 'avro',
                                    'schema': records.schema_path(table)}], [h])
    b.start()
    wait_until(lambda: b.assert_running() or len(receiver.delivered('h')) >= len(variants), 60,
               'every change delivered')
    got = {r.record_id: json.loads(r.body) for r in receiver.snapshot('h')}
    for i, (_, want_request, want_trace) in enumerate(variants):
        rid = i + 1
        if want_request is None:
            want_request = str(uuid.uuid5(uuid.UUID(REQUEST_ID_NAMESPACE),
                                          '%s/0/%d' % (topic, sent[rid]['offset'])))
        assert got[rid]['request_id'] == want_request, (rid, got[rid])
        assert got[rid]['trace_id'] == want_trace, (rid, got[rid])
    warned = [line for line in b.log_text().splitlines() if 'treated as absent' in line]
    assert len(warned) == 1, warned
    assert ' warn ' in warned[0]


# --------------------------------------------------------------------------------------------
# log_format: json: every line is a JSON object; delivery lines say where they are about
# --------------------------------------------------------------------------------------------

def test_json_log_lines_parse(kafka, receiver, bridges, uniq):
    table = 'records_ranks'
    topic = 'it.%s.%s' % (uniq, table)
    kafka.create_topics([topic], partitions=2)
    produce_creates(kafka, topic, table, 10)
    ok = hook(receiver, 'ok', ['*'])
    flaky = hook(receiver, 'flaky', ['*'])
    receiver.set_behaviour('flaky', status=503, ok_first=0)
    b = bridges('b', 'g-' + uniq, [{'name': topic, 'format': 'avro',
                                    'schema': records.schema_path(table)}], [ok, flaky],
                extra={'log_format': 'json'})
    b.start()
    wait_until(lambda: b.assert_running() or len(receiver.delivered('ok')) >= 10, 60,
               'the ok hook served')
    wait_until(lambda: '"hook":"flaky"' in b.log_text(), 30, 'a failed attempt logged')
    rc, _ = b.terminate(15)
    assert rc == 0
    lines = [line for line in b.log_text().splitlines() if line.strip()]
    assert lines
    objects = []
    for line in lines:
        obj = json.loads(line)  # every line is one JSON object
        assert {'time', 'level', 'module', 'message'} <= set(obj), obj
        objects.append(obj)
    failed = [o for o in objects if o.get('hook') == 'flaky']
    assert failed, objects[-5:]
    assert all(o['topic'] == topic and isinstance(o['partition'], int) and
               isinstance(o['offset'], int) for o in failed)
    assert any(o['module'] == 'main' and 'started' in o['message'] for o in objects)
    assert not any('s3cret' in line for line in lines)  # secrets never logged
