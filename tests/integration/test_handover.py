"""Clean handovers resend nothing (issue 7, item 1), on the real broker.

A partition commits one offset for all hooks: the slowest hook's done prefix. A faster hook is
ahead of it, and without more a new owner (a restart, another bridge) sent it again everything
it had received beyond that offset. Each commit now carries every hook's progress beyond the
committed offset in its metadata (bridge/delivery/ackmeta.h, read here by ackmeta.py), and the
new owner does not resend what a hook had acknowledged.

- SIGTERM + restart, two hooks of different speeds (slow: 150 ms per request, fast) at about
  150 messages/s: no duplicate for either hook;
- a second bridge joins the group (a rebalance), then the first leaves: no duplicate;
- the broker down under load: a partition delivers at most delivery.max_uncommitted beyond
  its last successful commit, then waits for the broker.

Every scenario also checks (test_faults.analyse): nothing lost, first deliveries in offset
order per partition, identical bytes on every attempt, committed offsets never past an
undelivered message; with no fault event given it allows no duplicate at all. Each prints a
`HANDOVER <name>: ...` line.
"""
import collections
import os
import re
import time

import pytest

from . import ackmeta
from .bridge import Bridge, make_config
from .kafka_broker import Broker
from .records import wait_until
from .test_faults import (CommitSampler, Load, analyse, avro_topic, drain_commit_and_stop, hook,
                          print_log_tails, wait_all_delivered)

SLOW_S = 0.15
FAST_S = 0.002
COMMIT_INTERVAL_MS = 500
INHERITED = re.compile(r'hooks had acknowledged (\d+) deliveries')


def inherited(*bridges):
    """Deliveries the bridges' logs say they did not send again (their previous owners')."""
    return sum(int(n) for b in bridges for n in INHERITED.findall(b.log_text()))


def ahead_of_commit(kafka, group, topic, placed, receiver, hook_name):
    """(deliveries of hook_name at or beyond the committed offset of their partition, how many of
    them the committed metadata records for that hook)."""
    by_pos = {(m['partition'], m['offset']): rid for rid, m in placed.items()}
    got = {r.record_id for r in receiver.delivered(hook_name)}
    progress = kafka.committed_progress(group, [topic])
    beyond = recorded = 0
    for (t, p), (offset, metadata) in progress.items():
        try:
            acked = ackmeta.decode(metadata, offset).get(ackmeta.hook_id(hook_name), set()) \
                if offset is not None else set()
        except ValueError as e:
            raise AssertionError('partition %d: committed %s with metadata %r: %s'
                                 % (p, offset, metadata, e))
        for (pp, off), rid in by_pos.items():
            if pp == p and offset is not None and off >= offset and rid in got:
                beyond += 1
                recorded += off in acked
    return beyond, recorded


@pytest.mark.timeout(240)
def test_sigterm_and_restart_resend_nothing(kafka, receiver, bridges, uniq, faults_summary):
    table = 'records_awards'
    topic = 'it.%s.%s' % (uniq, table)
    partitions = 8
    kafka.create_topics([topic], partitions=partitions)
    group = 'g-' + uniq
    hooks = [hook(receiver, 'slow', ['*']), hook(receiver, 'fast', ['*'])]
    receiver.set_behaviour('slow', delay=SLOW_S)
    receiver.set_behaviour('fast', delay=FAST_S)
    b = bridges('b', group, avro_topic(topic, table), hooks,
                delivery={'commit_interval_ms': COMMIT_INTERVAL_MS})
    sampler = CommitSampler(kafka.bootstrap, group, [topic], partitions).start()
    load = Load(kafka.bootstrap, topic, table, batch=15, pause=0.1).start()  # ~150/s
    try:
        b.start()
        wait_until(lambda: b.assert_running() or (len(receiver.delivered('fast')) >= 400 and
                                                  len(receiver.delivered('slow')) >= 60),
                   60, 'both hooks delivering')
        rc, took = b.terminate(timeout=30)
        assert rc == 0, 'exit code %d after SIGTERM\n%s' % (rc, b.log_tail())
        placed_so_far = {m['meta']: m for m in load.prod.sent}
        beyond, recorded = ahead_of_commit(kafka, group, topic, placed_so_far, receiver, 'fast')
        # the fast hook was ahead of the committed offsets, and the commit on shutdown recorded
        # every one of those deliveries
        assert beyond > 0, 'the fast hook was not ahead of the commits: nothing was tested'
        assert recorded == beyond, ('the shutdown commit recorded %d of the %d deliveries of '
                                    'the fast hook beyond the committed offsets'
                                    % (recorded, beyond))
        time.sleep(1.0)
        b.start()
        time.sleep(3.0)
        placed = load.result()
        must = {'slow': set(placed), 'fast': set(placed)}
        wait_all_delivered([b], {'slow': receiver, 'fast': receiver}, must, 120,
                           'every message delivered to both hooks after the restart')
        wait_until(lambda: kafka.fully_committed(group, [topic]), 30, 'group fully committed')
        rc, _ = b.terminate(timeout=30)
        assert rc == 0, 'exit code %d after the second SIGTERM\n%s' % (rc, b.log_tail())
    finally:
        load.stopped.set()
        sampler.stop()
    stats = analyse('sigterm-restart', placed, must, {h: receiver.snapshot(h) for h in must},
                    sampler.samples)  # no fault event: no duplicate allowed
    skipped = inherited(b)
    faults_summary('HANDOVER sigterm-restart: sent=%d delivered=%d duplicates=%d '
                   'fast_ahead_at_sigterm=%d not_resent=%d shutdown_s=%.1f'
                   % (len(placed), stats['delivered'], stats['duplicates'], beyond, skipped,
                      took))
    assert skipped >= beyond, ('the restarted bridge reports %d deliveries not sent again, the '
                               'fast hook had %d beyond the commit' % (skipped, beyond))


@pytest.mark.timeout(240)
def test_rebalance_resends_nothing(kafka, receiver, bridges, uniq, faults_summary):
    table = 'records_combat'
    topic = 'it.%s.%s' % (uniq, table)
    partitions = 8
    kafka.create_topics([topic], partitions=partitions)
    group = 'g-' + uniq
    hooks = [hook(receiver, 'slow', ['*']), hook(receiver, 'fast', ['*'])]
    receiver.set_behaviour('slow', delay=SLOW_S)
    receiver.set_behaviour('fast', delay=FAST_S)
    props = {'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500}
    kw = dict(properties=props, delivery={'commit_interval_ms': COMMIT_INTERVAL_MS})
    a = bridges('a', group, avro_topic(topic, table), hooks, **kw)
    b = bridges('b', group, avro_topic(topic, table), hooks, **kw)
    sampler = CommitSampler(kafka.bootstrap, group, [topic], partitions).start()
    load = Load(kafka.bootstrap, topic, table, batch=15, pause=0.1).start()
    try:
        a.start()
        wait_until(lambda: a.assert_running() or (len(receiver.delivered('fast')) >= 400 and
                                                  len(receiver.delivered('slow')) >= 60),
                   60, 'bridge a delivering to both hooks')
        b.start()
        wait_until(lambda: b.assert_running() or a.assert_running() or
                   re.search(r'assigned [1-9]\d* partition', b.log_text()), 60,
                   'bridge b assigned partitions')
        floor = len(receiver.delivered('fast'))
        wait_until(lambda: len(receiver.delivered('fast')) >= floor + 200, 60,
                   'deliveries with two bridges')
        rc, _ = a.terminate(timeout=30)  # a leaves: everything moves to b
        assert rc == 0, 'bridge a exit code %d\n%s' % (rc, a.log_tail())
        time.sleep(2.0)
        placed = load.result()
        must = {'slow': set(placed), 'fast': set(placed)}
        wait_all_delivered([b], {'slow': receiver, 'fast': receiver}, must, 120,
                           'every message delivered to both hooks')
        wait_until(lambda: kafka.fully_committed(group, [topic]), 30, 'group fully committed')
        rc, _ = b.terminate(timeout=30)
        assert rc == 0, 'bridge b exit code %d\n%s' % (rc, b.log_tail())
    finally:
        load.stopped.set()
        sampler.stop()
    lost = [x.log_path for x in (a, b) if '(lost)' in x.log_text()]
    assert not lost, 'an assignment was lost (not a clean handover): %s' % lost
    stats = analyse('rebalance', placed, must, {h: receiver.snapshot(h) for h in must},
                    sampler.samples)  # no fault event: no duplicate allowed
    skipped = inherited(a, b)
    faults_summary('HANDOVER rebalance: sent=%d delivered=%d duplicates=%d not_resent=%d'
                   % (len(placed), stats['delivered'], stats['duplicates'], skipped))
    assert skipped > 0, 'no handover carried progress: nothing was tested'


@pytest.mark.timeout(300)
@pytest.mark.parametrize('bound', [30, 0], ids=['max_uncommitted-30', 'no-bound'])
def test_broker_down_bounds_deliveries_beyond_the_last_commit(workdir, receiver, uniq, request,
                                                              faults_summary, bound):
    """A backlog being delivered when the broker goes away: commits cannot succeed, and each
    partition stops after delivery.max_uncommitted deliveries beyond its last successful commit
    (plus its request in flight), instead of delivering its whole prefetch, which a new owner
    would send again. When the broker is back everything is delivered. The same scenario
    without a bound (max_uncommitted 0) shows how far it runs ahead otherwise."""
    broker = Broker(os.path.join(workdir, 'kafka-handover-%d' % bound), num_partitions=4)
    try:
        broker.start()
    except Exception as e:  # fail loudly, never skip
        pytest.fail('the second Kafka broker did not start: %s' % e, pytrace=False)
    table = 'records_assignments'
    topic = 'it.%s.%s' % (uniq, table)
    partitions, backlog = 4, 4000
    group = 'g-' + uniq
    b = None
    try:
        broker.create_topics([topic], partitions=partitions)
        load = Load(broker.bootstrap, topic, table, batch=500, pause=0.0, total=backlog).start()
        placed = load.result()
        hooks = [hook(receiver, 'h', ['*'])]
        receiver.set_behaviour('h', delay=0.02)  # ~50 per second and partition
        conf = make_config(broker.bootstrap, group, avro_topic(topic, table), hooks,
                           delivery={'commit_interval_ms': COMMIT_INTERVAL_MS,
                                     'max_uncommitted': bound},
                           properties={'session.timeout.ms': 30000,
                                       'heartbeat.interval.ms': 1000})
        b = Bridge(os.path.join(workdir, request.node.name, 'b'), conf)
        b.start()
        wait_until(lambda: b.assert_running() or len(receiver.delivered('h')) >= 300, 60,
                   'deliveries under way')
        t_stop = time.time()  # commits sent from here on may not succeed
        broker.stop(timeout=60)
        time.sleep(8.0)
        t_up = time.time()
        during = [r for r in receiver.delivered('h') if t_stop <= r.time < t_up]
        broker.restart(down_s=0.0)
        drain_commit_and_stop(b, broker, {'h': receiver}, {'h': set(placed)}, group, topic, 120,
                              'every message delivered after the broker came back')
    except BaseException:
        print_log_tails(b, broker)
        raise
    finally:
        if b is not None:
            b.stop()
        broker.stop()
    per_partition = collections.Counter(placed[r.record_id]['partition'] for r in during)
    lost = '(lost)' in b.log_text()
    stats = analyse('broker-down', placed, {'h': set(placed)}, {'h': receiver.snapshot('h')},
                    events=[{'name': 'broker down', 't_cut': time.time(), 'committed': {}}]
                    if lost else [])
    faults_summary('HANDOVER broker-down-8s: max_uncommitted=%d sent=%d delivered=%d '
                   'duplicates=%d delivered_since_stop=%d per_partition=%s lost_assignment=%s'
                   % (bound, len(placed), stats['delivered'], stats['duplicates'], len(during),
                      dict(sorted(per_partition.items())), 'yes' if lost else 'no'))
    # Per partition: the bound, its request in flight, and once more if a commit sent just
    # before the stop still succeeded during the broker's controlled shutdown.
    limit = 2 * (30 + 1)
    if bound:
        over = {p: n for p, n in per_partition.items() if n > limit}
        assert not over, ('deliveries since the broker stopped beyond 2 x (max_uncommitted + '
                          '1) = %d per partition: %s' % (limit, over))
    else:
        assert max(per_partition.values(), default=0) > limit, (
            'without a bound the bridge should run far ahead while the broker is down: %s'
            % dict(per_partition))
