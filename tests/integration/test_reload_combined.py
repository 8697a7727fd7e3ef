"""A reload meets the hooks' ordering and the outbound request guard: a real broker, the
bridge binary, a signature-checking receiver.

- A hook of ordering `key` added by a reload gets what a hook of the file gets at start-up:
  several requests in flight at once (at most its max_in_flight, fewer than its keys), each
  key's changes in order.
- A table hook goes through the outbound request guard and has no `allow_private`: pointed at
  the (loopback) receiver without `egress.allow`, its deliveries are dead-lettered with reason
  `egress_refused` and it receives nothing, while a YAML hook with `allow_private` on the same
  receiver is delivered; a reload that adds loopback to `egress.allow` lets the table hook's
  next deliveries through (the guard reads the reloaded configuration).
"""
import json

import pytest

from . import records
from .records import wait_until
from .test_admin import free_port, get, metric
from .test_faults import avro_topic, dead_letters, hook
from .test_ordering import change_of, check, produce
from .test_reload import sighup, wait_log, write_config
from .test_tablehooks import TABLE, Tenants

pytestmark = pytest.mark.timeout(300)


def test_reload_adds_a_key_mode_hook_with_concurrency(kafka, receiver, bridges, uniq,
                                                      faults_summary):
    topic = 'it.%s.%s' % (uniq, TABLE)
    kafka.create_topics([topic], partitions=1)
    base = hook(receiver, 'base')
    b = bridges('b', 'g-' + uniq, avro_topic(topic, TABLE), [base])
    b.start()
    warm = produce(kafka, topic, 2, 1)  # the partition assigned and delivering
    wait_until(lambda: b.assert_running() or len(receiver.delivered('base')) >= len(warm), 90,
               'the first messages at base')

    added = hook(receiver, 'k', ordering='key', max_in_flight=4)
    receiver.set_behaviour('k', delay=0.3)  # requests that overlap if they may
    conf = dict(b.config)
    conf['hooks'] = [base, added]
    write_config(b, conf)
    mark = len(b.log_text())
    sighup(b)
    wait_log(b, r'configuration reloaded \(SIGHUP\): 1 hook\(s\) added, 0 changed, 0 removed',
             30, 'the reload to be applied', after=mark)
    assert 'hook k added (ordering key, at most 4 request(s) in flight)' in b.log_text(), \
        b.log_tail()

    # 16 keys: without its cap the hook would have up to 16 at once
    placed = produce(kafka, topic, 16, 3, first_change=1)  # read after the reload: k's
    expected = {m['meta'] for m in placed}
    wait_until(lambda: b.assert_running() or
               len({change_of(r) for r in receiver.delivered('k')}) >= len(expected), 120,
               'every change at the added hook')
    check('reload key', receiver, 'k', expected)  # nothing lost, each key in order
    concurrent = receiver.max_active('k')
    faults_summary('RELOAD key hook added: messages=%d max_concurrent=%d'
                   % (len(placed), concurrent))
    assert concurrent > 1, 'the key-mode hook added by a reload never had two requests at once'
    assert concurrent <= 4, 'max_in_flight 4 exceeded: %d at once' % concurrent
    wait_until(lambda: b.assert_running() or kafka.fully_committed('g-' + uniq, [topic]), 30,
               'the group committed to the end')
    rc, _ = b.terminate(timeout=30)
    assert rc == 0, 'exit code %d\n%s' % (rc, b.log_tail())


def test_table_hook_is_guarded_and_a_reload_opens_egress(kafka, receiver, bridges, uniq):
    tenants = Tenants(kafka, uniq, ['t1'])
    dlq = 'it.%s.dead-letter' % uniq
    kafka.create_topics([dlq], partitions=1)
    receiver.add_hook('th', 'th-secret')
    tenants.row('t1', 'c', 1, receiver.url('th'), ['rankrecord.created'], 'th-secret')
    yaml_hook = hook(receiver, 'yaml', events=['rankrecord.created'], allow_private=True)
    esc = tenants.prefix.replace('.', r'\.')
    port = free_port()
    b = bridges('b', 'g-' + uniq,
                [{'pattern': esc + r'\.t[0-9]+\.' + TABLE, 'format': 'avro',
                  'schema': records.schema_path(TABLE)}],
                [yaml_hook], egress_allow=None,  # loopback refused but for allow_private
                extra={'admin': {'listen': '127.0.0.1:%d' % port},
                       'dead_letter': {'topic': dlq},
                       'table_hooks': {'topics': esc + r'\.(t[0-9]+)\.webhooks',
                                       'record_tenant': esc + r'\.(t[0-9]+)\..*',
                                       'format': 'avro', 'schema': records.WEBHOOKS_SCHEMA}})
    b.start()
    wait_until(lambda: b.assert_running() or get(port, '/readyz')[0] == 200, 60, '/readyz')
    first = tenants.creates('t1', 5)
    wait_until(lambda: b.assert_running() or
               {r.record_id for r in receiver.delivered('yaml')} >= set(first), 90,
               'the YAML hook with allow_private to get every create')
    dl = dead_letters(kafka.bootstrap, dlq, len(first))
    assert len(dl) == len(first), 'dead letters: %d, want %d' % (len(dl), len(first))
    for _, _, h, _ in dl:
        assert h.get('perscom.hook') == 'tenant:t1:webhook:1', h
        assert h.get('perscom.reason') == 'egress_refused', h
        assert h.get('perscom.error') == 'egress refused: 127.0.0.1 is loopback', h
        assert h.get('perscom.attempts') == '1', h
    assert receiver.snapshot('th') == [], 'the guard let a table hook reach loopback'
    text = get(port, '/metrics')[1]
    assert metric(text, 'perscom_bridge_egress_refused_total{hook="tenant:t1:webhook:1"}') == \
        len(first), text

    conf = json.loads(json.dumps(b.config))
    conf['egress'] = {'allow': ['127.0.0.1/32']}
    write_config(b, conf)
    mark = len(b.log_text())
    sighup(b)
    wait_log(b, r'configuration reloaded \(SIGHUP\)', 30, 'the reload to be applied', after=mark)
    after = tenants.creates('t1', 5)
    wait_until(lambda: b.assert_running() or
               {r.record_id for r in receiver.delivered('th')} >= set(after), 90,
               'the table hook to get the creates read after egress.allow was reloaded')
    got = receiver.delivered('th')
    assert all(r.sig_ok for r in got), 'a bad Signature at the table hook'
    assert {r.record_id for r in got} == set(after), sorted(r.record_id for r in got)
    rc, _ = b.terminate(timeout=30)
    assert rc == 0, 'exit code %d\n%s' % (rc, b.log_tail())
