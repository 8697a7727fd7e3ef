"""Ordering modes per hook (issue 7, item 2), on the real broker.

One partition, a receiver that answers each request after a delay, several Kafka message keys
(row ids, as Debezium keys them) with several changes each. Every message carries a Kafka
header `request_id` "k<key>-n<change>", which the bridge puts into the body, so the receiver
knows which change of which key each request is.

- `ordering: key`: requests of different keys overlap in flight (the receiver served more than
  one at once), each key's changes arrive in order, nothing is lost, the group ends committed
  at the end of the partition;
- `ordering: none`: everything arrives, requests overlap;
- `ordering: partition` (the default): one request at a time per partition, offset order;
- key mode, SIGTERM and restart while one key fails (so the hook's acknowledgements beyond the
  committed offset are sparse): nothing is delivered twice;
- key mode, kill -9 and restart: only deliveries made in the last moments before the kill
  (a commit interval and its round trip) are repeated, at most that many plus max_in_flight;
- key mode, a receiver failing for a while: probed, not hammered;
- key mode, one key failing: the other keys go on only within delivery.partition_window.

Nothing here measures time: delays only make requests overlap. Each test prints an
`ORDERING <name>: ...` line.
"""
import collections
import re
import time

import pytest

from . import ackmeta, records
from .records import wait_until
from .test_faults import avro_topic, hook

TABLE = 'records_ranks'
COMMIT_INTERVAL_MS = 500
KILL_RECENT_S = COMMIT_INTERVAL_MS / 1000.0 + 1.0
REQUEST_ID = re.compile(r'^k(\d+)-n(\d+)$')
INHERITED = re.compile(r'hooks had acknowledged (\d+) deliveries')
FAILING = 3  # the key that fails in the SIGTERM test


def produce(kafka, topic, keys, per_key, first_change=0):
    """per_key changes of rows 1..keys, round by round (key 0's change n, key 1's change n,
    ...), keyed by row id; returns the producer reports in offset order."""
    prod = records.Producer(kafka.bootstrap)
    for n in range(first_change, first_change + per_key):
        for k in range(keys):
            env = records.envelope(TABLE, 'created' if n == 0 else 'updated', k + 1, seq=n + 1)
            prod.send(topic, records.encode(TABLE, env), key=b'%d' % (k + 1), partition=0,
                      headers=[('request_id', b'k%d-n%d' % (k, n))], meta=(k, n))
    return sorted(prod.flush(), key=lambda m: m['offset'])


def change_of(request):
    """(key, change) of a request, from its body's request_id."""
    m = REQUEST_ID.match(request.payload()['request_id'])
    assert m, 'unexpected request_id %r' % request.payload()['request_id']
    return int(m.group(1)), int(m.group(2))


def check(name, receiver, hook_name, expected, allow_duplicates=False):
    """Nothing lost, per-key order of first deliveries exact, byte-identical attempts, good
    signatures. Returns (first deliveries in arrival order, duplicates: {change: count})."""
    reqs = sorted(receiver.snapshot(hook_name), key=lambda r: r.seq)
    bad = [r for r in reqs if not r.sig_ok]
    assert not bad, '%s: %d request(s) with a bad Signature' % (name, len(bad))
    attempts = collections.defaultdict(set)
    firsts = []
    ok = collections.Counter()
    for r in reqs:
        c = change_of(r)
        attempts[c].add((r.method, r.path, r.query, r.body, r.signature))
        if r.ok:
            if not ok[c]:
                firsts.append(c)
            ok[c] += 1
    lost = set(expected) - set(firsts)
    assert not lost, '%s: LOST %d of %d, e.g. %s' % (name, len(lost), len(expected),
                                                     sorted(lost)[:10])
    extra = set(firsts) - set(expected)
    assert not extra, '%s: unexpected deliveries %s' % (name, sorted(extra)[:10])
    differing = [c for c, forms in attempts.items() if len(forms) != 1]
    assert not differing, '%s: attempts that are not byte-identical: %s' % (name, differing[:5])
    per_key = collections.defaultdict(list)
    for k, n in firsts:
        per_key[k].append(n)
    for k, ns in per_key.items():
        assert ns == sorted(ns), '%s: key %d delivered out of order: %s' % (name, k, ns)
    duplicates = {c: n - 1 for c, n in ok.items() if n > 1}
    if not allow_duplicates:
        assert not duplicates, '%s: %d change(s) delivered more than once, e.g. %s' % (
            name, len(duplicates), sorted(duplicates)[:10])
    return firsts, duplicates


def one_failing_key(kafka, receiver, uniq, keys, per_key, delay):
    """A one-partition topic with per_key changes of keys rows (produced), and hook 'h' in key
    mode whose receiver answers after delay, with 503 for key FAILING while failing['on'].
    Returns (topic, group, hooks, failing, placed, expected)."""
    topic = 'it.%s.%s' % (uniq, TABLE)
    kafka.create_topics([topic], partitions=1)
    group = 'g-' + uniq
    hooks = [hook(receiver, 'h', ordering='key', max_in_flight=8)]
    failing = {'on': True}

    def decide(req):
        return 503 if failing['on'] and change_of(req)[0] == FAILING else None
    receiver.set_behaviour('h', delay=delay, decide=decide)
    placed = produce(kafka, topic, keys, per_key)
    return topic, group, hooks, failing, placed, {m['meta'] for m in placed}


def drain_and_stop(kafka, b, receiver, group, topic, expected, what):
    """Every change of expected delivered to hook 'h' (what: after which event), the group
    committed to the end of topic, and SIGTERM ends the bridge with exit code 0."""
    wait_until(lambda: b.assert_running() or
               expected <= {change_of(r) for r in receiver.delivered('h')},
               120, 'every change delivered after ' + what)
    wait_until(lambda: kafka.fully_committed(group, [topic]), 30, 'the group committed to the end')
    rc, _ = b.terminate(timeout=30)
    assert rc == 0, 'exit code %d\n%s' % (rc, b.log_tail())


def start_and_drain(kafka, receiver, bridges, uniq, ordering, delay, keys, per_key,
                    max_in_flight=None):
    topic = 'it.%s.%s' % (uniq, TABLE)
    kafka.create_topics([topic], partitions=1)
    group = 'g-' + uniq
    extra = {}
    if ordering is not None:
        extra['ordering'] = ordering
    if max_in_flight is not None:
        extra['max_in_flight'] = max_in_flight
    hooks = [hook(receiver, 'h', **extra)]
    receiver.set_behaviour('h', delay=delay)
    placed = produce(kafka, topic, keys, per_key)
    b = bridges('b', group, avro_topic(topic, TABLE), hooks,
                delivery={'commit_interval_ms': COMMIT_INTERVAL_MS})
    b.start()
    expected = {m['meta'] for m in placed}
    wait_until(lambda: b.assert_running() or
               len({change_of(r) for r in receiver.delivered('h')}) >= len(expected),
               120, 'every change delivered')
    wait_until(lambda: kafka.fully_committed(group, [topic]), 30, 'the group committed to the end')
    rc, _ = b.terminate(timeout=30)
    assert rc == 0, 'exit code %d\n%s' % (rc, b.log_tail())
    said = 'hook h: ordering %s, at most %d request(s) in flight' % (
        ordering or 'partition', max_in_flight or 64)
    assert said in b.log_text(), 'the start-up log does not say "%s"' % said
    return placed, expected


@pytest.mark.timeout(180)
def test_key_mode_overlaps_keys_and_keeps_each_key_in_order(kafka, receiver, bridges, uniq,
                                                            faults_summary):
    keys, per_key = 24, 8
    placed, expected = start_and_drain(kafka, receiver, bridges, uniq, 'key', 0.1, keys,
                                       per_key, max_in_flight=16)
    firsts, _ = check('key', receiver, 'h', expected)
    concurrent = receiver.max_active('h')
    faults_summary('ORDERING key: messages=%d keys=%d max_concurrent=%d'
                   % (len(placed), keys, concurrent))
    # 24 keys, each with a change ready at any time, and up to 16 in flight
    assert concurrent > 1, 'key mode never had two requests in flight at once'
    assert concurrent <= 16, 'max_in_flight 16 exceeded: %d at once' % concurrent
    # keys overlap: the offset order of the partition is not kept
    offsets = {m['meta']: m['offset'] for m in placed}
    assert [offsets[c] for c in firsts] != sorted(offsets[c] for c in firsts), \
        'key mode delivered the whole partition in offset order'


@pytest.mark.timeout(180)
def test_none_mode_delivers_everything(kafka, receiver, bridges, uniq, faults_summary):
    keys, per_key = 4, 25  # few keys, many changes: order within a key is not kept either
    placed, expected = start_and_drain(kafka, receiver, bridges, uniq, 'none', 0.1, keys,
                                       per_key, max_in_flight=8)
    reqs = receiver.delivered('h')
    got = collections.Counter(change_of(r) for r in reqs)
    assert set(got) == expected, 'none: lost %s' % sorted(expected - set(got))[:10]
    assert all(n == 1 for n in got.values()), 'none: duplicates %s' % [
        c for c, n in got.items() if n > 1][:10]
    concurrent = receiver.max_active('h')
    faults_summary('ORDERING none: messages=%d keys=%d max_concurrent=%d'
                   % (len(placed), keys, concurrent))
    assert 1 < concurrent <= 8, 'none mode: %d requests at once (max_in_flight 8)' % concurrent


@pytest.mark.timeout(180)
def test_partition_mode_is_one_at_a_time_in_offset_order(kafka, receiver, bridges, uniq,
                                                         faults_summary):
    keys, per_key = 10, 4
    placed, expected = start_and_drain(kafka, receiver, bridges, uniq, None, 0.05, keys,
                                       per_key)
    firsts, _ = check('partition', receiver, 'h', expected)
    offsets = {m['meta']: m['offset'] for m in placed}
    concurrent = receiver.max_active('h')
    faults_summary('ORDERING partition: messages=%d keys=%d max_concurrent=%d'
                   % (len(placed), keys, concurrent))
    assert [offsets[c] for c in firsts] == sorted(offsets.values()), \
        'partition mode: not in offset order'
    assert concurrent == 1, 'partition mode: %d requests at once on one partition' % concurrent


@pytest.mark.timeout(240)
def test_key_mode_sigterm_with_a_failing_key_resends_nothing(kafka, receiver, bridges, uniq,
                                                             faults_summary):
    """Key 3 fails (503) until after the restart: it holds the committed offset at its first
    change while the other keys are delivered beyond it, so at SIGTERM the hook's
    acknowledgements beyond the committed offset have a hole in every round. The restarted
    bridge must send the other keys nothing again."""
    keys, per_key = 12, 10
    topic, group, hooks, failing, placed, expected = one_failing_key(kafka, receiver, uniq, keys,
                                                                     per_key, delay=0.05)
    b = bridges('b', group, avro_topic(topic, TABLE), hooks,
                delivery={'commit_interval_ms': COMMIT_INTERVAL_MS, 'backoff_initial_ms': 200,
                          'backoff_max_ms': 400, 'probe_after_failures': 0})
    b.start()
    others = {c for c in expected if c[0] != FAILING}
    wait_until(lambda: b.assert_running() or
               others <= {change_of(r) for r in receiver.delivered('h')},
               120, 'every key but the failing one delivered')
    rc, _ = b.terminate(timeout=30)
    assert rc == 0, 'exit code %d after SIGTERM\n%s' % (rc, b.log_tail())
    committed, metadata = kafka.committed_progress(group, [topic])[(topic, 0)]
    first_failing = min(m['offset'] for m in placed if m['meta'][0] == FAILING)
    assert committed == first_failing, ('the failing key should hold the commit at offset %d, '
                                        'committed %s' % (first_failing, committed))
    acked = ackmeta.decode(metadata, committed).get(ackmeta.hook_id('h'), set())
    beyond = {m['offset'] for m in placed
              if m['offset'] >= committed and m['meta'][0] != FAILING}
    assert acked == beyond, ('the shutdown commit records %d of the %d deliveries beyond the '
                             'committed offset' % (len(acked & beyond), len(beyond)))
    failing['on'] = False
    b.start()
    drain_and_stop(kafka, b, receiver, group, topic, expected, 'the restart')
    check('key-sigterm', receiver, 'h', expected)  # no duplicate at all
    skipped = sum(int(n) for n in INHERITED.findall(b.log_text()))
    faults_summary('ORDERING key-sigterm: messages=%d acked_beyond_commit=%d not_resent=%d '
                   'duplicates=0' % (len(placed), len(acked), skipped))
    assert skipped == len(beyond), ('the restart reports %d deliveries not sent again, %d were '
                                    'recorded' % (skipped, len(beyond)))


@pytest.mark.timeout(240)
def test_key_mode_kill9_repeats_only_the_last_moments(kafka, receiver, bridges, uniq,
                                                      faults_summary):
    # about 40 deliveries/s (8 in flight, 0.2 s each): the kill comes some seconds in, so
    # "the last moments" are a part of what was delivered, not all of it
    keys, per_key, max_in_flight = 20, 20, 8
    topic = 'it.%s.%s' % (uniq, TABLE)
    kafka.create_topics([topic], partitions=1)
    group = 'g-' + uniq
    hooks = [hook(receiver, 'h', ordering='key', max_in_flight=max_in_flight)]
    receiver.set_behaviour('h', delay=0.2)
    placed = produce(kafka, topic, keys, per_key)
    expected = {m['meta'] for m in placed}
    # a restart after a crash waits for the dead member's session to expire
    b = bridges('b', group, avro_topic(topic, TABLE), hooks,
                properties={'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500},
                delivery={'commit_interval_ms': COMMIT_INTERVAL_MS})
    b.start()
    wait_until(lambda: b.assert_running() or len(receiver.delivered('h')) >= len(expected) // 2,
               120, 'half delivered')
    b.kill9()
    t_kill = time.time()
    before_kill = receiver.delivered('h')
    time.sleep(1.0)
    b.start()
    drain_and_stop(kafka, b, receiver, group, topic, expected, 'the restart')
    _, duplicates = check('key-kill9', receiver, 'h', expected, allow_duplicates=True)
    first_time = {}
    for r in sorted(receiver.delivered('h'), key=lambda r: r.seq):
        first_time.setdefault(change_of(r), r.time)
    stale = [c for c in duplicates if first_time[c] < t_kill - KILL_RECENT_S]
    assert not stale, ('kill -9: %d repeated change(s) had been delivered more than %.1f s '
                       'before the kill, e.g. %s' % (len(stale), KILL_RECENT_S, stale[:5]))
    recent = sum(1 for r in before_kill if r.time >= t_kill - KILL_RECENT_S)
    faults_summary('ORDERING key-kill9: messages=%d delivered_before_kill=%d '
                   'delivered_last_%.1fs=%d duplicates=%d'
                   % (len(placed), len(before_kill), KILL_RECENT_S, recent,
                      sum(duplicates.values())))
    assert sum(duplicates.values()) <= recent + max_in_flight, (
        'kill -9 repeated %d deliveries, more than the %d of the last %.1f s plus %d in flight'
        % (sum(duplicates.values()), recent, KILL_RECENT_S, max_in_flight))


@pytest.mark.timeout(180)
def test_key_mode_dead_receiver_is_probed_not_hammered(kafka, receiver, bridges, uniq,
                                                       faults_summary):
    """The receiver answers 503 for OUTAGE_S. Key mode would otherwise retry every key's
    delivery on its own backoff, up to max_in_flight at once; behind the hook's probe (three
    failures in a row) it sends one request at a time, none while the failed one waits for its
    retry. Afterwards everything arrives, each key in order, once."""
    outage_s, max_in_flight, backoff_max_s = 4.0, 16, 0.4
    keys, per_key = 40, 3
    topic = 'it.%s.%s' % (uniq, TABLE)
    kafka.create_topics([topic], partitions=1)
    group = 'g-' + uniq
    hooks = [hook(receiver, 'h', ordering='key', max_in_flight=max_in_flight)]
    placed = produce(kafka, topic, keys, per_key)
    expected = {m['meta'] for m in placed}
    b = bridges('b', group, avro_topic(topic, TABLE), hooks,
                delivery={'commit_interval_ms': COMMIT_INTERVAL_MS, 'backoff_initial_ms': 200,
                          'backoff_max_ms': int(backoff_max_s * 1000),
                          'probe_after_failures': 3})
    until = time.time() + outage_s + 3.0  # the bridge's start-up (about 3 s) included
    receiver.set_behaviour('h', status=503, until=until)
    b.start()
    drain_and_stop(kafka, b, receiver, group, topic, expected, 'the outage')
    check('key-probe', receiver, 'h', expected)
    failed = [r for r in receiver.snapshot('h') if not r.ok]
    assert failed, 'the outage was over before the bridge sent anything: nothing was tested'
    span = max(r.time for r in failed) - min(r.time for r in failed)
    # the first wave (up to max_in_flight at once, until three failures open the probe), then
    # about one request per backoff period (0 to backoff_max_s each, full jitter)
    bound = max_in_flight + 3 * int(span / (backoff_max_s / 2) + 1)
    faults_summary('ORDERING key-probe: messages=%d failed_attempts=%d over_s=%.1f bound=%d'
                   % (len(placed), len(failed), span, bound))
    assert len(failed) <= bound, ('%d failed requests in %.1f s: the dead receiver was '
                                  'hammered, not probed (bound %d)' % (len(failed), span, bound))


@pytest.mark.timeout(180)
def test_key_mode_failing_key_stays_within_the_partition_window(kafka, receiver, bridges, uniq,
                                                                 faults_summary):
    """A key that keeps failing holds the partition's done prefix; the other keys go on only
    until the partition holds delivery.partition_window messages not done, then the partition
    is not read further. When the key recovers, everything arrives, in order per key."""
    keys, per_key, window = 10, 20, 30
    topic, group, hooks, failing, placed, expected = one_failing_key(kafka, receiver, uniq, keys,
                                                                     per_key, delay=0.02)
    b = bridges('b', group, avro_topic(topic, TABLE), hooks,
                delivery={'commit_interval_ms': COMMIT_INTERVAL_MS, 'backoff_initial_ms': 200,
                          'backoff_max_ms': 400, 'probe_after_failures': 0,
                          'partition_window': window})
    b.start()
    first_failing = min(m['offset'] for m in placed if m['meta'][0] == FAILING)
    wait_until(lambda: b.assert_running() or len(receiver.delivered('h')) >= window - 1 - keys,
               60, 'the other keys delivered up to the window')
    time.sleep(3.0)  # time to run past the window, if it did not hold
    offsets = {m['meta']: m['offset'] for m in placed}
    got = {change_of(r) for r in receiver.delivered('h')}
    furthest = max(offsets[c] for c in got)
    faults_summary('ORDERING key-window: window=%d held_at=%d delivered_while_held=%d '
                   'furthest_offset=%d' % (window, first_failing, len(got), furthest))
    # the window counts messages from the first one not done: the failing key's first
    assert furthest < first_failing + window, (
        'offset %d delivered while offset %d was not done, with partition_window %d'
        % (furthest, first_failing, window))
    assert len(got) >= window - keys // 2, 'the other keys did not go on: %d delivered' % len(got)
    failing['on'] = False
    drain_and_stop(kafka, b, receiver, group, topic, expected, 'the key recovered')
    check('key-window', receiver, 'h', expected)
