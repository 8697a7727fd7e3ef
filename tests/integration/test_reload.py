"""The configuration reloaded while running (SIGHUP, or the file changed): a real broker, the
bridge binary, a signature-checking receiver.

Under load, a valid reload adds a hook, removes one and changes another's secret: nothing is lost
or sent twice for the hooks that stay, the removed hook gets nothing afterwards (its queued
deliveries are reported as hook_deleted), the new hook gets what is read after the reload, the
changed hook signs with the new secret, and the bridge stays in its group (no rebalance). An
invalid file is refused with its diagnostics and the old hooks keep delivering; a changed group
id is reported as needing a restart. A Kubernetes-style symlink swap is picked up by the file
watch without a signal.
"""
import collections
import hashlib
import hmac
import json
import os
import re
import signal
import time
import uuid

import pytest
import yaml

from . import records
from .records import wait_until
from .test_admin import free_port, get, metric
from .test_delivery import by_partition, hook, produce_creates
from .test_faults import dead_letters

pytestmark = pytest.mark.timeout(300)

TABLE = 'records_ranks'


def write_config(bridge, conf, path=None):
    """Rewrites the bridge's configuration file in place (atomically: a rename)."""
    path = path or bridge.config_path
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        yaml.safe_dump(conf, f, sort_keys=False, default_flow_style=False)
    os.replace(tmp, path)


def sighup(bridge):
    bridge.assert_running()
    bridge.proc.send_signal(signal.SIGHUP)


def wait_log(bridge, pattern, timeout, what, after=0):
    """Waits until the bridge's log (from character `after` on) matches pattern; returns the
    match's end position in the whole log."""
    regex = re.compile(pattern)

    def found():
        bridge.assert_running()
        m = regex.search(bridge.log_text(), after)
        return m.end() if m else None
    return wait_until(found, timeout, what)


def sign(secret, body):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def assignments(bridge):
    """Partition assignments the bridge logged ("assigned N partition(s)")."""
    return len(re.findall(r'consumer: assigned \d+ partition', bridge.log_text()))


def test_sighup_reload_under_load(kafka, receiver, bridges, uniq):
    topic = 'it.%s.%s' % (uniq, TABLE)
    partitions = 4
    reports = 'it.%s.reports' % uniq
    kafka.create_topics([topic], partitions=partitions)
    kafka.create_topics([reports], partitions=1)
    port = free_port()
    old_secret, new_secret = 'rotate-old', 'rotate-new'
    keep = hook(receiver, 'keep', ['*'])
    gone = hook(receiver, 'gone', ['*'])
    rotate = hook(receiver, 'rotate', ['*'], secret=old_secret)
    added = hook(receiver, 'added', ['*'])
    # the rotating hook's receiver accepts either secret; which one signed is checked below
    receiver.add_hook('rotate', old_secret, verify=lambda method, headers, body, query:
                      headers.get('signature') in (sign(old_secret, body),
                                                   sign(new_secret, body)))
    receiver.set_behaviour('gone', delay=0.03)    # slow: it has a queue when it is removed
    receiver.set_behaviour('rotate', delay=0.01)  # and this one too when it changes
    topics = [{'name': topic, 'format': 'avro', 'schema': records.schema_path(TABLE)}]
    b = bridges('b', 'g-' + uniq, topics, [keep, gone, rotate],
                extra={'admin': {'listen': '127.0.0.1:%d' % port},
                       'delivery_report': {'topic': reports}})
    b.start()
    wait_until(lambda: b.assert_running() or get(port, '/readyz')[0] == 200, 60, '/readyz')

    n1, n2 = 400, 200
    before = produce_creates(kafka, topic, TABLE, n1)
    # every message of the first batch read (so routed to the three hooks) before the reload
    wait_until(lambda: b.assert_running() or
               metric(get(port, '/metrics')[1], 'perscom_bridge_messages_total') >= n1, 60,
               'the first batch read')
    assert len(receiver.delivered('gone')) < n1, 'hook gone was not slow enough to have a queue'

    conf = dict(b.config)
    conf['hooks'] = [keep, dict(rotate, secret=new_secret), added]  # gone removed
    write_config(b, conf)
    log_mark = len(b.log_text())
    sighup(b)
    wait_log(b, r'configuration reloaded \(SIGHUP\): 1 hook\(s\) added, 1 changed, 1 removed',
             30, 'the reload to be applied', after=log_mark)
    reloaded_at = time.time()
    gone_at_reload = len(receiver.snapshot('gone'))

    after = produce_creates(kafka, topic, TABLE, n2, first_id=n1 + 1)
    placed = dict(before)
    placed.update(after)

    def all_arrived():
        b.assert_running()
        return (len({r.record_id for r in receiver.delivered('keep')}) >= n1 + n2 and
                len({r.record_id for r in receiver.delivered('rotate')}) >= n1 + n2 and
                set(after) <= {r.record_id for r in receiver.delivered('added')})
    wait_until(all_arrived, 120, 'every message at keep and rotate, the new ones at added')
    time.sleep(2)  # anything extra would arrive now

    parts = by_partition(placed)
    for name in ('keep', 'rotate'):
        got = receiver.snapshot(name)
        assert all(r.ok and r.sig_ok for r in got), 'hook %s: failed or badly signed' % name
        ids = [r.record_id for r in got]
        dup = [rid for rid, c in collections.Counter(ids).items() if c > 1]
        assert not dup, 'hook %s: sent twice: %s' % (name, dup[:10])
        assert sorted(ids) == sorted(placed), 'hook %s: missing deliveries' % name
        for p, expect in parts.items():
            seen = [rid for rid in ids if placed[rid]['partition'] == p]
            assert seen == expect, 'hook %s, partition %d: out of offset order' % (name, p)

    # the changed hook: the old secret before the reload, the new one for what was read after
    # it (and for whatever was still queued when it was sent)
    by_id = {r.record_id: r for r in receiver.delivered('rotate')}
    for rid in after:
        assert by_id[rid].signature == sign(new_secret, by_id[rid].body), \
            'record %d, read after the reload, not signed with the new secret' % rid
    late_old = [r.record_id for r in receiver.delivered('rotate')
                if r.time > reloaded_at + 1.0 and r.signature == sign(old_secret, r.body)]
    assert not late_old, 'old secret used after the reload: %s' % late_old[:10]
    assert any(by_id[rid].signature == sign(old_secret, by_id[rid].body) for rid in before), \
        'nothing was signed with the old secret: the test did not exercise the change'

    # the removed hook: nothing from what was read after the reload, nothing sent a moment
    # after it, and its queue reported as hook_deleted
    gone_got = receiver.snapshot('gone')
    assert not set(after) & {r.record_id for r in gone_got}, 'removed hook got new messages'
    assert len(gone_got) <= gone_at_reload + partitions, \
        'removed hook kept receiving after the reload (more than the requests in flight)'
    assert all(r.time <= reloaded_at + 1.0 for r in gone_got)
    gone_ids = {r.record_id for r in gone_got if r.ok}
    assert len(gone_ids) < n1

    # the new hook: exactly the messages read after the reload (plus any of the first batch not
    # read yet then), once each, signed with its secret
    added_got = receiver.snapshot('added')
    assert all(r.ok and r.sig_ok for r in added_got)
    added_ids = [r.record_id for r in added_got]
    assert len(added_ids) == len(set(added_ids)), 'the new hook got duplicates'

    status, text = get(port, '/metrics')
    assert status == 200
    assert metric(text, 'perscom_bridge_config_reloads_total{result="applied"}') == 1
    assert metric(text, 'perscom_bridge_config_reload_success') == 1
    assert metric(text, 'perscom_bridge_config_restart_required') == 0
    assert metric(text, 'perscom_bridge_hooks') == 3
    deleted = metric(text, 'perscom_bridge_deliveries_total{hook="gone",outcome="hook_deleted"}')
    assert deleted > 0, 'the removed hook had nothing queued: the test did not exercise it'
    # every message of the first batch is accounted for at hook gone, once: delivered (requests
    # in flight at the reload finish), or not sent and reported hook_deleted
    assert len(gone_ids) + deleted == n1

    # delivery reports say so, one per message not sent
    reps = dead_letters(kafka.bootstrap, reports, expect=1, timeout=30)
    deleted_reps = [json.loads(v) for _, v, _, _ in reps
                    if json.loads(v)['outcome'] == 'hook_deleted']
    assert len(deleted_reps) == deleted
    assert all(r['hook'] == 'gone' for r in deleted_reps)
    sent_pos = {(placed[rid]['partition'], placed[rid]['offset']) for rid in gone_ids}
    deleted_pos = {(r['partition'], r['offset']) for r in deleted_reps}
    assert len(deleted_pos) == len(deleted_reps), 'a message reported hook_deleted twice'
    assert not sent_pos & deleted_pos, 'delivered and reported hook_deleted'
    assert len(sent_pos | deleted_pos) == n1

    # no rebalance: one assignment, and the group committed everything (offsets moved on past
    # the removed hook's deliveries)
    assert assignments(b) == 1, 'the reload caused a rebalance'
    wait_until(lambda: kafka.fully_committed('g-' + uniq, [topic]), 30,
               'committed offsets == end offsets')


def test_sighup_invalid_config_is_refused(kafka, receiver, bridges, uniq):
    topic = 'it.%s.%s' % (uniq, TABLE)
    kafka.create_topics([topic], partitions=2)
    port = free_port()
    h = hook(receiver, 'h', ['*'])
    topics = [{'name': topic, 'format': 'avro', 'schema': records.schema_path(TABLE)}]
    b = bridges('b', 'g-' + uniq, topics, [h],
                extra={'admin': {'listen': '127.0.0.1:%d' % port}})
    b.start()
    wait_until(lambda: b.assert_running() or get(port, '/readyz')[0] == 200, 60, '/readyz')
    receiver.set_behaviour('h', delay=0.01)  # under load: deliveries queued at the reload
    first = produce_creates(kafka, topic, TABLE, 300)
    wait_until(lambda: len(receiver.delivered('h')) >= 20, 60, 'the first deliveries')

    # two problems: an unknown key, and a hook without a URL
    with open(b.config_path) as f:
        text = f.read()
    bad = text.replace('hooks:\n', 'colour: blue\nhooks:\n', 1)
    bad = re.sub(r'\n(\s+)url: [^\n]+', '', bad, count=1)
    assert bad != text
    with open(b.config_path, 'w') as f:
        f.write(bad)
    log_mark = len(b.log_text())
    sighup(b)
    wait_log(b, r'configuration reload \(SIGHUP\) of \S+ refused', 30, 'the refusal',
             after=log_mark)
    wait_log(b, re.escape(b.config_path) + r':\d+:\d+: colour: ', 10, 'a file:line:col '
             'diagnostic for the unknown key', after=log_mark)
    wait_log(b, re.escape(b.config_path) + r':\d+:\d+: .*url', 10, 'a file:line:col '
             'diagnostic for the missing url', after=log_mark)

    # the old configuration keeps delivering
    assert len(receiver.delivered('h')) < 300, 'the reload did not happen under load'
    second = produce_creates(kafka, topic, TABLE, 50, first_id=301)
    wait_until(lambda: b.assert_running() or
               {r.record_id for r in receiver.delivered('h')} >= set(first) | set(second),
               60, 'the second batch under the old configuration')
    time.sleep(1)
    placed = dict(first)
    placed.update(second)
    ids = [r.record_id for r in receiver.snapshot('h')]
    assert all(r.ok and r.sig_ok for r in receiver.snapshot('h'))
    assert sorted(ids) == sorted(placed), 'lost or duplicated across the refused reload'
    for p, expect in by_partition(placed).items():
        assert [rid for rid in ids if placed[rid]['partition'] == p] == expect
    status, text = get(port, '/metrics')
    assert metric(text, 'perscom_bridge_config_reloads_total{result="refused"}') == 1
    assert metric(text, 'perscom_bridge_config_reloads_total{result="applied"}') == 0
    assert metric(text, 'perscom_bridge_config_reload_success') == 0
    assert assignments(b) == 1


def test_group_id_change_needs_a_restart(kafka, receiver, bridges, uniq):
    topic = 'it.%s.%s' % (uniq, TABLE)
    kafka.create_topics([topic], partitions=2)
    port = free_port()
    h = hook(receiver, 'h', ['*'])
    h2 = hook(receiver, 'h2', ['*'])
    topics = [{'name': topic, 'format': 'avro', 'schema': records.schema_path(TABLE)}]
    b = bridges('b', 'g-' + uniq, topics, [h],
                extra={'admin': {'listen': '127.0.0.1:%d' % port}})
    b.start()
    wait_until(lambda: b.assert_running() or get(port, '/readyz')[0] == 200, 60, '/readyz')

    conf = json.loads(json.dumps(b.config))
    conf['kafka']['group_id'] = 'g-other-' + uniq
    conf['delivery']['max_in_flight'] = 7
    conf['hooks'] = [h, h2]
    write_config(b, conf)
    log_mark = len(b.log_text())
    sighup(b)
    wait_log(b, r'need a restart to apply.*kafka\.group_id.*delivery\.max_in_flight', 30,
             'the keys that need a restart', after=log_mark)
    wait_log(b, r'configuration reloaded \(SIGHUP\): 1 hook\(s\) added', 10,
             'the hooks applied anyway', after=log_mark)
    status, text = get(port, '/metrics')
    assert metric(text, 'perscom_bridge_config_restart_required') == 1
    assert metric(text, 'perscom_bridge_config_reload_success') == 1

    # still the old group: what is produced now is committed there
    placed = produce_creates(kafka, topic, TABLE, 20)
    wait_until(lambda: b.assert_running() or
               {r.record_id for r in receiver.delivered('h2')} >= set(placed), 60,
               'the added hook to deliver')
    wait_until(lambda: kafka.fully_committed('g-' + uniq, [topic]), 30,
               'the old group committing')
    assert assignments(b) == 1


def test_symlink_swap_is_watched(kafka, receiver, bridges, uniq):
    """As Kubernetes updates a mounted ConfigMap: <dir>/bridge.yaml -> ..data/bridge.yaml,
    ..data -> ..<timestamp>; the update swaps ..data."""
    topic = 'it.%s.%s' % (uniq, TABLE)
    kafka.create_topics([topic], partitions=2)
    h = hook(receiver, 'h', ['*'])
    h2 = hook(receiver, 'h2', ['*'])
    topics = [{'name': topic, 'format': 'avro', 'schema': records.schema_path(TABLE)}]
    b = bridges('b', 'g-' + uniq, topics, [h], extra={'reload': {'watch_interval_ms': 300}})
    mount = os.path.join(b.workdir, 'mount')

    def publish(conf):
        version = os.path.join(mount, '..%s' % uuid.uuid4().hex[:8])
        os.makedirs(version)
        with open(os.path.join(version, 'bridge.yaml'), 'w') as f:
            yaml.safe_dump(conf, f, sort_keys=False, default_flow_style=False)
        tmp = os.path.join(mount, '..data_tmp')
        os.symlink(os.path.basename(version), tmp)
        os.replace(tmp, os.path.join(mount, '..data'))

    os.makedirs(mount)
    publish(b.config)
    os.symlink('..data/bridge.yaml', os.path.join(mount, 'bridge.yaml'))
    b.config_path = os.path.join(mount, 'bridge.yaml')
    b.start()
    wait_log(b, r'consumer: assigned', 60, 'the assignment')

    conf = json.loads(json.dumps(b.config))
    conf['hooks'] = [h, h2]
    log_mark = len(b.log_text())
    publish(conf)
    wait_log(b, r'configuration reloaded \(file changed\): 1 hook\(s\) added', 30,
             'the watch to reload', after=log_mark)
    placed = produce_creates(kafka, topic, TABLE, 20)
    wait_until(lambda: b.assert_running() or
               {r.record_id for r in receiver.delivered('h2')} >= set(placed), 60,
               'the hook added by the swapped file to deliver')
    # one reload only: the watch does not fire again for an unchanged file
    time.sleep(1.5)
    assert len(re.findall(r'configuration reloaded', b.log_text())) == 1
