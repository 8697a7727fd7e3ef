"""A reload's delivery settings reach the table hooks: a real broker, the bridge binary, a
signature-checking receiver that fails every request.

A table hook's receiver answers 500; delivery.max_attempts is 1000, so its record is tried again
and again. A SIGHUP with max_attempts 3 gives the table hook a new version: the record being
retried is dead-lettered at its next failure, a record read afterwards is tried exactly 3
times, and so is one to a hook whose webhooks row is created after the reload. None of this
needs a restart (config_restart_required stays 0).
"""
import collections
import re
import time

import pytest

from .records import wait_until
from .test_admin import free_port, get, metric
from .test_reload import sighup, wait_log, write_config
from .test_tablehooks import Tenants, config, dead_letter_hooks

pytestmark = pytest.mark.timeout(300)

DELIVERY = {'backoff_initial_ms': 100, 'backoff_max_ms': 100, 'max_attempts': 1000,
            'commit_interval_ms': 500, 'shutdown_grace_ms': 5000}


def attempts(receiver, hook):
    """How many requests hook's receiver got for each record id."""
    return collections.Counter(r.record_id for r in receiver.snapshot(hook))


def test_reload_reaches_table_hooks(kafka, receiver, bridges, uniq):
    tenants = Tenants(kafka, uniq, ['t1'])
    dlq = 'it.%s.dead-letter' % uniq
    kafka.create_topics([dlq], partitions=1)
    for name in ('old', 'new'):
        receiver.add_hook(name, 'secret-' + name)
        receiver.set_behaviour(name, status=500)
    tenants.row('t1', 'c', 1, receiver.url('old'), ['rankrecord.created'], 'secret-old')
    port = free_port()
    b = config(bridges, tenants, uniq, receiver, port, yaml_hook=False,
               extra={'dead_letter': {'topic': dlq}, 'delivery': dict(DELIVERY)})
    b.start()
    wait_until(lambda: b.assert_running() or get(port, '/readyz')[0] == 200, 60, '/readyz')

    [first] = tenants.creates('t1', 1)
    wait_until(lambda: b.assert_running() or attempts(receiver, 'old')[first] >= 5, 60,
               'the first record tried 5 times')

    conf = dict(b.config)
    conf['delivery'] = dict(DELIVERY, max_attempts=3)
    write_config(b, conf)
    mark = len(b.log_text())
    sighup(b)
    wait_log(b, r'configuration reloaded \(SIGHUP\)', 30, 'the reload', after=mark)
    reload_log = b.log_text()[mark:]
    at_reload = attempts(receiver, 'old')[first]
    # the record being retried has had more than 3 attempts: its next failure is its last
    wait_until(lambda: b.assert_running() or len(dead_letter_hooks(kafka, dlq, 1)) == 1, 30,
               'the first record dead-lettered under max_attempts 3')
    assert dead_letter_hooks(kafka, dlq, 1) == ['tenant:t1:webhook:1']
    assert attempts(receiver, 'old')[first] - at_reload <= 2, attempts(receiver, 'old')

    # a row created after the reload: its hook takes the reloaded settings too
    mark = len(b.log_text())
    tenants.row('t1', 'c', 2, receiver.url('new'), ['rankrecord.created'], 'secret-new')
    wait_log(b, r'hook tenant:t1:webhook:2 added', 30, 'the new row applied', after=mark)
    later = tenants.creates('t1', 2)
    wait_until(lambda: b.assert_running() or len(dead_letter_hooks(kafka, dlq, 5)) == 5, 60,
               'the later records dead-lettered for both hooks')
    time.sleep(2.0)  # any attempt beyond the third would arrive within this (backoff 100 ms)
    old = attempts(receiver, 'old')
    new = attempts(receiver, 'new')
    assert [old[rid] for rid in later] == [3, 3], old
    assert [new[rid] for rid in later] == [3, 3], new
    assert all(r.sig_ok for r in receiver.snapshot('new'))
    hooks = dead_letter_hooks(kafka, dlq, 5)
    assert sorted(hooks) == ['tenant:t1:webhook:1'] * 3 + ['tenant:t1:webhook:2'] * 2, hooks
    assert re.search(r'configuration reloaded \(SIGHUP\): 0 hook\(s\) added, 0 changed, 0 '
                     r'removed, 1 table hook\(s\) changed', reload_log), reload_log
    # these keys apply live: nothing waits for a restart
    assert metric(get(port, '/metrics')[1], 'perscom_bridge_config_restart_required') == 0
    assert metric(get(port, '/metrics')[1], 'perscom_bridge_config_reload_success') == 1
