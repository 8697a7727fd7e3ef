"""Hooks from PERSCOM's webhooks tables (table_hooks): a real broker, the bridge binary, a
signature-checking receiver.

Two tenants, each with a record topic and a webhooks topic. Rows written before the bridge
starts are read before it consumes anything; each tenant's hooks get that tenant's record
changes only, signed with the row's secret, with the row's method; an invalid row is refused
with its reason. While records flow, a tenant updates a row (URL and secret), deletes one and
creates one: the new settings apply, the deleted hook gets nothing afterwards, the new one gets
what is read after it; the time from the row change to the first delivery under it is printed.
A restarted bridge rebuilds the same hooks from the topic before it consumes. A tenant whose
webhooks topic is created while the bridge runs is found (table_hooks.discover_interval_ms).
render, test-hook and replay know the table hooks: a table hook's dead letters are replayed to
a receiver that verifies the row's secret.
"""
import collections
import hashlib
import hmac
import json
import re
import subprocess
import threading
import time

import pytest
import yaml

from . import records
from .bridge import bridge_bin
from .records import wait_until
from .test_admin import free_port, get, metric

pytestmark = pytest.mark.timeout(300)

TABLE = 'records_ranks'


def sign(secret, body):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Tenants:
    """The topics of the test's tenants and a producer for rows and records."""

    def __init__(self, kafka, uniq, names):
        self.kafka = kafka
        self.prefix = 'it.%s' % uniq
        self.names = names
        self.prod = records.Producer(kafka.bootstrap)
        self.next_id = collections.Counter()
        kafka.create_topics([self.webhooks(t) for t in names], partitions=1)
        kafka.create_topics([self.records(t) for t in names], partitions=2)

    def webhooks(self, tenant):
        return '%s.%s.webhooks' % (self.prefix, tenant)

    def records(self, tenant):
        return '%s.%s.%s' % (self.prefix, tenant, TABLE)

    def row(self, tenant, op, webhook_id, url=None, events=None, secret=None, method='post'):
        """A webhooks change: op c/u (the row), d (a delete), tombstone."""
        if op == 'tombstone':
            key, value = records.webhooks_message('tombstone', webhook_id=webhook_id)
        else:
            row = records.webhook_row(webhook_id, url or 'http://127.0.0.1:9/x',
                                      events or ['rankrecord.created'], secret or 's',
                                      method=method)
            if op == 'd':
                key, value = records.webhooks_message('d', before=row)
            else:
                key, value = records.webhooks_message(op, row=row, before=row)
        self.prod.send(self.webhooks(tenant), value, key=key)
        return self.prod.flush()

    def updates(self, tenant, ids):
        """An `updated` change of each of ids (records of tenant), keyed like their creates."""
        for rid in ids:
            value = records.encode(TABLE, records.envelope(TABLE, 'updated', rid))
            self.prod.send(self.records(tenant), value, key=b'k%d' % rid, meta=(tenant, rid))
        self.prod.flush()

    def creates(self, tenant, n):
        """n created rank records of tenant; returns their record ids."""
        ids = []
        for _ in range(n):
            self.next_id[tenant] += 1
            rid = self.next_id[tenant]
            value = records.encode(TABLE, records.envelope(TABLE, 'created', rid))
            self.prod.send(self.records(tenant), value, key=b'k%d' % rid, meta=(tenant, rid))
            ids.append(rid)
        self.prod.flush()
        return ids


def config(bridges, tenants, uniq, receiver, port, name='b', yaml_hook=True, discover_ms=None,
           extra=None):
    hooks = None
    if yaml_hook:
        hooks = [{'name': 'yaml', 'url': receiver.url('yaml'), 'secret': 'yaml-secret',
                  'events': ['*']}]
        receiver.add_hook('yaml', 'yaml-secret')
    esc = tenants.prefix.replace('.', r'\.')
    table_hooks = {'topics': esc + r'\.(t[0-9]+)\.webhooks',
                   'record_tenant': esc + r'\.(t[0-9]+)\..*',
                   'format': 'avro',
                   'schema': records.WEBHOOKS_SCHEMA}
    if discover_ms is not None:
        table_hooks['discover_interval_ms'] = discover_ms
    return bridges(name, 'g-' + uniq,
                   [{'pattern': esc + r'\.t[0-9]+\.' + TABLE, 'format': 'avro',
                     'schema': records.schema_path(TABLE)}],
                   hooks,
                   extra=dict({'admin': {'listen': '127.0.0.1:%d' % port},
                               'table_hooks': table_hooks}, **(extra or {})))


def ids_of(receiver, hook):
    return [r.record_id for r in receiver.delivered(hook)]


def tenant_of(receiver, hook, tenants):
    """The tenants whose records reached hook (from each payload's data: the topic is not in
    it, so the test keeps record ids apart per tenant: t1 1.., t2 1001..)."""
    return {('t1' if rid < 1000 else 't2') for rid in ids_of(receiver, hook)}


def test_table_hooks_follow_the_webhooks_tables(kafka, receiver, bridges, uniq):
    tenants = Tenants(kafka, uniq, ['t1', 't2'])
    tenants.next_id['t2'] = 1000  # t2's record ids are 1001..: which tenant a delivery is from
    for name, secret in (('t1h1', 's11'), ('t1h2', 's12'), ('t2h1', 's21'), ('t2h3', 's23'),
                         ('t1h1b', 's11b')):
        receiver.add_hook(name, secret)
    # rows before the bridge starts
    tenants.row('t1', 'c', 1, receiver.url('t1h1'), ['rankrecord.created'], 's11')
    tenants.row('t1', 'c', 2, receiver.url('t1h2'), ['rankrecord.created'], 's12', method='get')
    tenants.row('t2', 'c', 1, receiver.url('t2h1'), ['rankrecord.created'], 's21')
    tenants.row('t2', 'c', 9, receiver.url('t2h9'), ['rankrecord.nope'], 's29')  # refused
    tenants.row('t2', 'c', 5, receiver.url('t2h5'), ['rankrecord.created'], 's25')
    tenants.row('t2', 'tombstone', 5)  # created, then deleted (compaction would keep this)
    first = {t: tenants.creates(t, 10) for t in ('t1', 't2')}

    port = free_port()
    b = config(bridges, tenants, uniq, receiver, port)
    b.start()
    wait_until(lambda: b.assert_running() or get(port, '/readyz')[0] == 200, 60, '/readyz')
    log = b.log_text()
    read = re.search(r'webhooks topics read in \d+ ms: (\d+) table hook\(s\) of (\d+) tenant',
                     log)
    assert read and read.group(1) == '3' and read.group(2) == '2', log[-3000:]
    assert log.index('webhooks topics read') < log.index('consumer: assigned'), \
        'record topics assigned before the webhooks topics were read'
    assert re.search(r'tenant t2: webhooks row 9 refused: .*unknown event', log)

    def arrived(hook, ids):
        return lambda: b.assert_running() or set(ids) <= set(ids_of(receiver, hook))
    wait_until(arrived('t1h1', first['t1']), 60, "t1's records at t1h1")
    wait_until(arrived('t1h2', first['t1']), 60, "t1's records at t1h2 (GET)")
    wait_until(arrived('t2h1', first['t2']), 60, "t2's records at t2h1")
    wait_until(arrived('yaml', first['t1'] + first['t2']), 60, 'every record at the YAML hook')
    time.sleep(1)
    assert tenant_of(receiver, 't1h1', tenants) == {'t1'}
    assert tenant_of(receiver, 't1h2', tenants) == {'t1'}
    assert tenant_of(receiver, 't2h1', tenants) == {'t2'}
    assert not receiver.snapshot('t2h5') and not receiver.snapshot('t2h9')
    for hook in ('t1h1', 't2h1'):
        assert all(r.sig_ok and r.method == 'POST' for r in receiver.snapshot(hook)), hook
    assert all(r.method == 'GET' and r.sig_ok for r in receiver.snapshot('t1h2'))
    for hook in ('t1h1', 't1h2', 't2h1'):
        ids = ids_of(receiver, hook)
        assert len(ids) == len(set(ids)), 'duplicates at %s' % hook

    # live changes while t2's records flow: t1 changes row 1's URL and secret, t2 deletes row 1
    # and creates row 3; the time from the create to its first delivery is measured
    stop = threading.Event()
    flowing = []

    def flow():
        while not stop.is_set():
            flowing.extend(tenants.creates('t2', 1))
            time.sleep(0.05)
    feeder = threading.Thread(target=flow, daemon=True)
    feeder.start()
    try:
        time.sleep(0.5)
        tenants.row('t1', 'u', 1, receiver.url('t1h1b'), ['rankrecord.created'], 's11b')
        # row 2: GET -> POST, and it subscribes to updates too
        tenants.row('t1', 'u', 2, receiver.url('t1h2'),
                    ['rankrecord.created', 'rankrecord.updated'], 's12', method='post')
        tenants.row('t2', 'd', 1, receiver.url('t2h1'), ['rankrecord.created'], 's21')
        created_at = time.time()
        tenants.row('t2', 'c', 3, receiver.url('t2h3'),
                    ['rankrecord.created', 'rankrecord.updated'], 's23')
        wait_until(lambda: b.assert_running() or receiver.delivered('t2h3'), 30,
                   'the first delivery to the hook created while records flow')
        first_delivery = min(r.time for r in receiver.delivered('t2h3'))
        time.sleep(1.0)
    finally:
        stop.set()
        feeder.join(5)
    latency = first_delivery - created_at
    print('TABLEHOOKS row-change-to-first-delivery: %.3f s' % latency)
    assert latency < 10, 'the new hook took %.1f s to get its first delivery' % latency
    removed_at = created_at  # the delete was produced just before the create
    late = [r for r in receiver.snapshot('t2h1') if r.time > removed_at + 2.0]
    assert not late, 'the deleted hook kept receiving: %s' % [r.record_id for r in late][:10]

    after = {t: tenants.creates(t, 10) for t in ('t1', 't2')}
    tenants.updates('t1', after['t1'][:5])
    wait_until(arrived('t1h1b', after['t1']), 60, "t1's new records at row 1's new URL")
    wait_until(arrived('t2h3', after['t2']), 60, "t2's new records at the created hook")
    wait_until(arrived('yaml', flowing + after['t1'] + after['t2']), 60,
               'every record at the YAML hook')
    time.sleep(1)
    assert not set(after['t1']) & set(ids_of(receiver, 't1h1')), 'old URL used after update'
    # row 2 after its update: POST, signed, created and updated events; row 1 created only
    wait_until(lambda: b.assert_running() or
               sum(1 for r in receiver.delivered('t1h2') if r.event == 'rankrecord.updated')
               >= 5, 60, "the updates at row 2's hook")
    new_t1h2 = [r for r in receiver.delivered('t1h2') if r.record_id in after['t1']]
    assert new_t1h2 and all(r.method == 'POST' and r.signature == sign('s12', r.body)
                            for r in new_t1h2)
    assert sorted((r.record_id, r.event) for r in new_t1h2) == sorted(
        [(rid, 'rankrecord.created') for rid in after['t1']] +
        [(rid, 'rankrecord.updated') for rid in after['t1'][:5]])
    assert all(r.event == 'rankrecord.created' for r in receiver.delivered('t1h1b'))
    # per record (one key, one partition): created before updated
    seq = {}
    for r in new_t1h2:
        seq.setdefault(r.record_id, []).append(r.event)
    assert all(events[0] == 'rankrecord.created' for events in seq.values()), seq
    assert all(r.signature == sign('s11b', r.body) for r in receiver.delivered('t1h1b'))
    assert not set(after['t2']) & set(ids_of(receiver, 't2h1')), 'deleted hook got new records'
    assert tenant_of(receiver, 't2h3', tenants) == {'t2'}
    assert tenant_of(receiver, 't1h1b', tenants) == {'t1'}
    # nothing lost at the hooks that stayed: every t1 record read before the update at t1h1 or
    # t1h1b (the queue moved with the hook), every t2 record read after the create at t2h3
    t1_all = set(ids_of(receiver, 't1h1')) | set(ids_of(receiver, 't1h1b'))
    assert set(first['t1'] + after['t1']) <= t1_all

    status, text = get(port, '/metrics')
    assert metric(text, 'perscom_bridge_table_hooks{tenant="t1"}') == 2
    assert metric(text, 'perscom_bridge_table_hooks{tenant="t2"}') == 1
    assert metric(text, 'perscom_bridge_table_hook_rows_refused_total{tenant="t2"}') == 1
    assert metric(text, 'perscom_bridge_table_hook_last_change_timestamp_seconds{tenant="t2"}') \
        >= created_at - 5

    # a restart mid-stream rebuilds the same hooks from the topic before it consumes anything
    stop.clear()
    flowing_t1 = []

    def flow_t1():
        while not stop.is_set():
            flowing_t1.extend(tenants.creates('t1', 1))
            time.sleep(0.05)
    feeder = threading.Thread(target=flow_t1, daemon=True)
    feeder.start()
    try:
        time.sleep(1.0)
        rc, _ = b.terminate(30)
        assert rc == 0
        b.start()
        wait_until(lambda: b.assert_running() or get(port, '/readyz')[0] == 200, 60,
                   '/readyz after the restart')
        time.sleep(1.0)
    finally:
        stop.set()
        feeder.join(5)
    wait_until(arrived('t1h1b', flowing_t1), 60, 't1 records produced across the restart')
    wait_until(arrived('t1h2', flowing_t1), 60, 't1 records produced across the restart (2)')
    log2 = open(b.log_path).read()
    assert log2.index('webhooks topics read') < log2.index('consumer: assigned'), \
        'record topics assigned before the webhooks topics were read (restart)'
    runs = re.findall(r'webhooks topics read in \d+ ms: (\d+) table hook\(s\) of (\d+) tenant',
                      b.log_text())
    assert runs[-1] == ('3', '2'), runs
    again = {t: tenants.creates(t, 5) for t in ('t1', 't2')}
    wait_until(arrived('t1h1b', again['t1']), 60, 't1 after the restart')
    wait_until(arrived('t1h2', again['t1']), 60, 't1 (GET) after the restart')
    wait_until(arrived('t2h3', again['t2']), 60, 't2 after the restart')
    time.sleep(1)
    assert not set(again['t2']) & set(ids_of(receiver, 't2h1'))
    assert not set(again['t1']) & set(ids_of(receiver, 't1h1'))


def test_table_hooks_confluent_framing_through_the_registry(kafka, registry, receiver, bridges,
                                                            uniq):
    """Webhooks rows framed for the Schema Registry (values and keys): the first sight of each
    schema id waits for the registry's answer (the rows are applied in order all the same)."""
    tenants = Tenants(kafka, uniq, ['t1'])
    value_id = registry.register(open(records.WEBHOOKS_SCHEMA).read())
    key_id = registry.register(open(records.WEBHOOKS_KEY_SCHEMA).read())
    receiver.add_hook('c1', 'sc1')
    receiver.add_hook('c2', 'sc2')

    def row(op, webhook_id, name, secret):
        r = records.webhook_row(webhook_id, receiver.url(name), ['rankrecord.created'], secret)
        key, value = records.webhooks_message(op, row=r, before=r, value_id=value_id,
                                              key_id=key_id)
        tenants.prod.send(tenants.webhooks('t1'), value, key=key)
        tenants.prod.flush()

    row('c', 1, 'c1', 'sc1')
    row('c', 2, 'c2', 'sc2')
    tenants.prod.send(tenants.webhooks('t1'), None,
                      key=records.encode_webhooks_key(2, key_id))  # row 2 deleted: a tombstone
    tenants.prod.flush()
    port = free_port()
    esc = tenants.prefix.replace('.', r'\.')
    receiver.add_hook('yaml', 'yaml-secret')
    b = bridges('b', 'g-' + uniq,
                [{'pattern': esc + r'\.t[0-9]+\.' + TABLE, 'format': 'avro',
                  'schema': records.schema_path(TABLE)}],
                [{'name': 'yaml', 'url': receiver.url('yaml'), 'secret': 'yaml-secret',
                  'events': ['*']}],
                registry_url=registry.url,
                extra={'admin': {'listen': '127.0.0.1:%d' % port},
                       'table_hooks': {'topics': esc + r'\.(t[0-9]+)\.webhooks',
                                       'record_tenant': esc + r'\.(t[0-9]+)\..*',
                                       'format': 'confluent'}})
    b.start()
    wait_until(lambda: b.assert_running() or get(port, '/readyz')[0] == 200, 60, '/readyz')
    assert re.search(r'webhooks topics read in \d+ ms: 1 table hook\(s\) of 1 tenant',
                     b.log_text()), b.log_tail()
    ids = tenants.creates('t1', 10)
    wait_until(lambda: b.assert_running() or set(ids) <= set(ids_of(receiver, 'c1')), 60,
               'the records at the confluent-framed row\'s hook')
    assert all(r.sig_ok for r in receiver.snapshot('c1'))
    assert not receiver.snapshot('c2'), 'the deleted row\'s hook got deliveries'
    # a row created while running, framed the same way
    row('c', 3, 'c2', 'sc2')
    wait_until(lambda: b.assert_running() or metric(get(port, '/metrics')[1],
                                                   'perscom_bridge_table_hooks{tenant="t1"}')
               == 2, 30, 'the new row applied')
    more = tenants.creates('t1', 5)
    wait_until(lambda: b.assert_running() or set(more) <= set(ids_of(receiver, 'c2')), 60,
               'the records at the new row\'s hook')
    assert all(r.sig_ok for r in receiver.snapshot('c2'))


def test_table_hooks_only_without_yaml_hooks(kafka, receiver, bridges, uniq):
    """A configuration without `hooks`: every hook is a webhooks row. A tenant's row created
    while the bridge runs starts receiving that tenant's records."""
    tenants = Tenants(kafka, uniq, ['t1'])
    receiver.add_hook('only', 'so')
    early = tenants.creates('t1', 5)
    port = free_port()
    b = config(bridges, tenants, uniq, receiver, port, yaml_hook=False)
    with open(b.config_path) as f:
        assert 'hooks' not in yaml.safe_load(f)
    b.start()
    wait_until(lambda: b.assert_running() or get(port, '/readyz')[0] == 200, 60, '/readyz')
    wait_until(lambda: b.assert_running() or
               metric(get(port, '/metrics')[1], 'perscom_bridge_messages_total') >= 5,
               60, 'the early records read')
    assert not receiver.snapshot('only'), 'a hook that did not exist yet got records'
    tenants.row('t1', 'c', 7, receiver.url('only'), ['rankrecord.created'], 'so')
    def t1_hooks():
        # the tenant's series appears with its first row
        text = get(port, '/metrics')[1]
        return metric(text, 'perscom_bridge_table_hooks{tenant="t1"}') \
            if 'perscom_bridge_table_hooks{tenant="t1"}' in text else 0
    wait_until(lambda: b.assert_running() or t1_hooks() == 1, 30, 'the row applied')
    later = tenants.creates('t1', 5)
    wait_until(lambda: b.assert_running() or set(later) <= set(ids_of(receiver, 'only')), 60,
               'the records read after the row')
    snap = receiver.snapshot('only')
    assert all(r.sig_ok and r.method == 'POST' for r in snap)
    assert not set(early) & set(ids_of(receiver, 'only')), 'routing is decided when read'


def tenant_hooks(port, tenant):
    """The tenant's table_hooks gauge; its series appears with the tenant's first row."""
    text = get(port, '/metrics')[1]
    series = 'perscom_bridge_table_hooks{tenant="%s"}' % tenant
    return metric(text, series) if series in text else 0


def test_a_new_tenants_webhooks_topic_is_found_while_running(kafka, receiver, bridges, uniq):
    """A tenant whose webhooks topic is created after the bridge started (a new PERSCOM tenant):
    the discovery thread finds the topic within table_hooks.discover_interval_ms, its rows are
    read from the beginning, and its hook gets the tenant's records. Meanwhile the first tenant's
    hook keeps receiving the records produced every 50 ms, each once."""
    tenants = Tenants(kafka, uniq, ['t1'])
    kafka.create_topics([tenants.records('t2')], partitions=2) # its record topic exists already
    receiver.add_hook('old', 'so')
    receiver.add_hook('new', 'sn')
    tenants.row('t1', 'c', 1, receiver.url('old'), ['rankrecord.created'], 'so')
    port = free_port()
    b = config(bridges, tenants, uniq, receiver, port, yaml_hook=False, discover_ms=1000)
    b.start()
    wait_until(lambda: b.assert_running() or get(port, '/readyz')[0] == 200, 60, '/readyz')
    assert tenant_hooks(port, 't1') == 1 and tenant_hooks(port, 't2') == 0

    stop = threading.Event()
    sent = []
    def produce_t1():
        while not stop.is_set():
            sent.extend(tenants.creates('t1', 1))
            time.sleep(0.05)
    flow = threading.Thread(target=produce_t1)
    flow.start()
    try:
        created = time.monotonic()
        kafka.create_topics([tenants.webhooks('t2')], partitions=1)
        tenants.row('t2', 'c', 5, receiver.url('new'), ['rankrecord.created'], 'sn')
        tenants.row('t2', 'c', 6, receiver.url('new'), ['rankrecord.deleted'], 'sn')
        wait_until(lambda: b.assert_running() or tenant_hooks(port, 't2') == 2, 30,
                   "the new tenant's rows applied")
        print('TABLEHOOKS new-webhooks-topic-to-hooks %.2f s' % (time.monotonic() - created))
        assert 'table hooks: 1 new webhooks partition(s), read from the beginning' \
            in b.log_text()
        ids = tenants.creates('t2', 5)
        wait_until(lambda: b.assert_running() or set(ids) <= set(ids_of(receiver, 'new')), 60,
                   "the new tenant's records at its hook")
        time.sleep(2)  # more listings while records flow
    finally:
        stop.set()
        flow.join()
    wait_until(lambda: b.assert_running() or set(sent) <= set(ids_of(receiver, 'old')), 60,
               "the first tenant's records")
    new = receiver.snapshot('new')
    assert sorted(r.record_id for r in new) == ids  # t2's records only, each once
    assert all(r.sig_ok and r.method == 'POST' for r in new)
    old = receiver.snapshot('old')
    assert all(r.sig_ok for r in old)
    assert sorted(r.record_id for r in old) == sorted(sent)  # t1's records only, each once


def dead_letter_hooks(kafka, topic, want):
    """The perscom.hook header of each of the want first records of topic (one partition)."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
    c = Consumer({'bootstrap.servers': kafka.bootstrap, 'group.id': 'it-dlq-reader',
                  'enable.auto.commit': False, 'log_level': 0})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    got = []
    deadline = time.monotonic() + 30
    try:
        while len(got) < want and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error():
                got.append(dict((k, v.decode()) for k, v in m.headers() or [])['perscom.hook'])
    finally:
        c.close()
    return got


def command(config, *args, stdin=None):
    return subprocess.run([bridge_bin()] + list(args[:1]) + ['--config', config] +
                          list(args[1:]), input=stdin, capture_output=True, timeout=120)


def test_commands_know_the_table_hooks(kafka, receiver, bridges, uniq):
    """render, test-hook and replay read the webhooks topics as the bridge does at start: a
    table hook's dead letters, refused by its receiver, are replayed once it is fixed, signed
    with the row's secret and byte-identical to the refused attempts; render shows a tenant's
    record going to that tenant's table hook only; test-hook reaches a table hook by its name."""
    tenants = Tenants(kafka, uniq, ['t1', 't2'])
    dlq = 'it.%s.dead-letter' % uniq
    kafka.create_topics([dlq], partitions=1)
    receiver.add_hook('th1', 'secret-1')
    receiver.add_hook('th2', 'secret-2')
    receiver.set_behaviour('th1', status=400, body=b'{"message":"nope"}')
    tenants.row('t1', 'c', 3, receiver.url('th1'), ['rankrecord.created'], 'secret-1')
    tenants.row('t2', 'c', 4, receiver.url('th2'), ['rankrecord.created'], 'secret-2')
    tenants.row('t2', 'c', 5, 'http://127.0.0.1:9/gone', ['rankrecord.created'], 'x')
    tenants.row('t2', 'tombstone', 5)  # deleted: not a hook any more
    port = free_port()
    b = config(bridges, tenants, uniq, receiver, port, yaml_hook=False,
               extra={'dead_letter': {'topic': dlq}})
    b.start()
    t1_ids = tenants.creates('t1', 10)
    tenants.next_id['t2'] = 1000
    t2_ids = tenants.creates('t2', 3)
    wait_until(lambda: b.assert_running() or
               (len(receiver.delivered('th2')) == 3 and
                len(dead_letter_hooks(kafka, dlq, 10)) == 10), 90,
               "t2's records delivered and t1's dead-lettered")
    rc, _ = b.terminate(20)
    assert rc == 0
    assert set(dead_letter_hooks(kafka, dlq, 10)) == {'tenant:t1:webhook:3'}
    refused = {r.record_id: r for r in receiver.snapshot('th1')}
    assert sorted(refused) == t1_ids
    seen = len(receiver.snapshot())

    # render: a t1 record goes to t1's table hook only (t2's hooks are another tenant's)
    value = records.encode(TABLE, records.envelope(TABLE, 'created', 77))
    proc = command(b.config_path, 'render', '--topic', tenants.records('t1'), stdin=value)
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    assert 'tenant:t1:webhook:3' in out and 'tenant:t2' not in out, out
    proc = command(b.config_path, 'render', '--topic', tenants.records('t1'), '--hook',
                   'tenant:t2:webhook:5', stdin=value)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    err = proc.stderr.decode()
    assert 'no hook named tenant:t2:webhook:5' in err, err
    listed = err.partition('configured hooks: none; table hooks: ')[2].strip().split(', ')
    assert sorted(listed) == ['tenant:t1:webhook:3', 'tenant:t2:webhook:4'], err

    # test-hook: a sample event to t2's table hook, signed with its row's secret
    proc = command(b.config_path, 'test-hook', '--hook', 'tenant:t2:webhook:4')
    assert proc.returncode == 0, (proc.stdout.decode(), proc.stderr.decode())
    sample = receiver.snapshot()[seen:]
    assert [(r.hook, r.sig_ok) for r in sample] == [('th2', True)]
    seen += 1

    # replay: t1's hook fixed, its dead letters sent again
    receiver.set_behaviour('th1', status=204)
    proc = command(b.config_path, 'replay')
    out = proc.stdout.decode()
    assert proc.returncode == 0, (out[-3000:], proc.stderr.decode()[-2000:])
    assert 'delivered 10 record(s) (10 request(s)), failed again 0, not sent 0' in out, out
    again = receiver.snapshot()[seen:]
    assert {r.hook for r in again} == {'th1'}
    assert sorted(r.record_id for r in again) == t1_ids  # each once
    for r in again:
        assert r.ok and r.sig_ok, r.record_id
        assert r.body == refused[r.record_id].body
        assert r.signature == refused[r.record_id].signature
    assert len(receiver.delivered('th2')) == 3 + 1  # its records and the sample, nothing more
