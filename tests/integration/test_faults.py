"""Fault injection against a real Apache Kafka broker and real processes (issue 3, "Prove it").

Every scenario produces `created`/`updated` changes of rows with unique ids to its own topic; the
producer reports each message's partition and offset, so every partition has a known sequence.
The receiver records every request (failed attempts too). Each scenario then checks, per hook:

- nothing lost: every message the hook subscribes to (and that is not dead-lettered for it)
  arrived with a 2xx answer;
- order: the hook's first 2xx deliveries of each partition come in offset order;
- identity: every attempt of one message to one hook (retries and duplicates) carries the same
  bytes: method, path and query, body and `Signature`;
- duplicates (2xx deliveries beyond the first) are only what a fault can explain (below);
- while it ran, the group's committed offsets (sampled every 0.3 s by a reader that does not join
  the group) never passed a message not yet delivered to every hook that must get it, never went
  backwards, and no message was delivered again after the committed offset had passed it.

The duplicate bound. With one request in flight per lane (hook x partition), a new owner of a
partition (a restarted bridge, or another bridge after a rebalance) starts at the committed
offset and skips, per hook, what the commit's metadata records that hook had acknowledged
(ackmeta.py), so what it can repeat is what the hooks had received at or beyond that offset
after the last successful commit: at most #hooks x #partitions requests in flight plus, per
lane, what was delivered since that commit (commits run every commit_interval_ms). The tests
assert that per message: a delivery of message m to hook h may repeat at most once per fault
event whose owner change happened after h received m, whose committed offset (read right after
the crash, or the last sample before a planned change) was at or below m's offset, and whose
committed metadata did not record m for h; for a kill -9, only if h received m less than
KILL_RECENT_S (a commit interval plus 1 s) before the kill. For kill -9 they also assert that
the uncommitted part is bounded by time: a prefix every hook had received more than STALE_S
before the crash was committed. Scenarios without an owner change, and clean ones (SIGTERM,
rebalances that lost no assignment), allow no duplicates at all.

Each scenario ends with one line `FAULTS <name>: sent=N delivered=N duplicates=N
dead_lettered=N drain_s=X.X ...` (sent: messages produced, poison included; delivered: distinct
(hook, message) pairs delivered; duplicates: extra 2xx deliveries; drain_s: from the end of the
last fault until the last first delivery), collected in <workdir>/faults-summary.txt and repeated
in pytest's terminal summary. README.md describes each scenario.
"""
import bisect
import collections
import json
import os
import random
import re
import signal
import struct
import threading
import time

import pytest

from . import ackmeta, records
from .bridge import Bridge, make_config
from .kafka_broker import Broker, free_port
from .receiver import Receiver
from .records import wait_until
from .test_admin import get, metric

SECRET = 'faults-s3cret-\u00e9'
COMMIT_INTERVAL_MS = 500
STALE_S = 5.0          # done by every hook this long before a crash => must have been committed
# kill -9 repeats only what was delivered within a commit interval (plus the commit's round
# trip and a loaded machine's scheduling) before the kill
KILL_RECENT_S = COMMIT_INTERVAL_MS / 1000.0 + 1.0
SAMPLE_INTERVAL_S = 0.3
ISO_MS = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')
SEED = int(os.environ.get('FAULTS_SEED') or time.time())


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def hook(receiver, name, events=('*',), url=None, timeout_ms=3000, **extra):
    secret = '%s-%s' % (SECRET, name)
    receiver.add_hook(name, secret)
    h = {'name': name, 'url': url or receiver.url(name), 'method': 'POST', 'secret': secret,
         'events': list(events), 'timeout_ms': timeout_ms}
    h.update(extra)
    return h


LOG_TIME = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z ')


def log_times(text, word):
    """time.time() values of the bridge log lines containing `word`."""
    import datetime
    out = []
    for line in text.splitlines():
        m = LOG_TIME.match(line)
        if m and word in line:
            t = datetime.datetime.strptime(m.group(1), '%Y-%m-%dT%H:%M:%S.%f')
            out.append(t.replace(tzinfo=datetime.timezone.utc).timestamp())
    return out


def avro_topic(topic, table):
    return [{'name': topic, 'format': 'avro', 'schema': records.schema_path(table)}]


class Load:
    """Produces changes of rows first_id, first_id+1, ... to one topic from a thread: `batch`
    messages every `pause` seconds until stop() (or `total` messages). Every third row is an
    update (event <resource>.updated), the rest creates. result() flushes and returns
    {record id: producer report (topic, partition, offset, key, value, meta)}."""

    def __init__(self, bootstrap, topic, table, batch=20, pause=0.2, total=None, first_id=1,
                 schema_id=None):
        self.prod = records.Producer(bootstrap)
        self.topic, self.table = topic, table
        self.batch, self.pause, self.total = batch, pause, total
        self.next_id = first_id
        self.schema_id = schema_id
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True, name='load')
        self.error = None

    def action(self, rid):
        return 'updated' if rid % 3 == 0 else 'created'

    def send_one(self):
        rid = self.next_id
        self.next_id += 1
        env = records.envelope(self.table, self.action(rid), rid)
        self.prod.send(self.topic, records.encode(self.table, env, self.schema_id),
                       key=b'row-%d' % rid, meta=rid)

    def _run(self):
        try:
            while not self.stopped.is_set():
                with self.lock:
                    for _ in range(self.batch):
                        if self.total is not None and self.next_id > self.total:
                            self.stopped.set()
                            break
                        self.send_one()
                self.stopped.wait(self.pause)
        except Exception as e:  # reported by result()
            self.error = e

    def start(self):
        self.thread.start()
        return self

    def produced(self):
        return self.next_id - 1

    def stop(self):
        self.stopped.set()
        self.thread.join(30)
        assert not self.thread.is_alive(), 'the load producer did not stop'

    def result(self, timeout=120):
        """Stops producing (a load with a total first finishes it), flushes, returns what was
        produced."""
        if self.total is not None:
            self.thread.join(timeout)
        self.stop()
        if self.error:
            raise self.error
        sent = self.prod.flush(timeout)
        return {m['meta']: m for m in sent}


class CommitSampler:
    """Reads the group's committed offsets every SAMPLE_INTERVAL_S without joining the group.
    samples: [(time.time() after the read returned, {(topic, partition): offset or 0})];
    progress: the same times with {(topic, partition): (offset or None, metadata)}."""

    def __init__(self, bootstrap, group, topics, partitions):
        self.reader = ackmeta.CommittedReader(bootstrap, group)
        self.tps = [(t, p) for t in topics for p in range(partitions)]
        self.samples = []
        self.progress = []
        self.errors = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name='commit-sampler')

    def _run(self):
        while not self.stopped.is_set():
            try:
                got = self.reader.read(self.tps, timeout_ms=5000)
                t = time.time()
                self.samples.append((t, {tp: max(c or 0, 0) for tp, (c, _) in got.items()}))
                self.progress.append((t, got))
            except Exception:  # broker down or coordinator moving: no sample this time
                self.errors += 1
            self.stopped.wait(SAMPLE_INTERVAL_S)

    def start(self):
        self.thread.start()
        return self

    def latest(self):
        """The last sample taken ({} before the first)."""
        return dict(self.samples[-1][1]) if self.samples else {}

    def stop(self):
        self.stopped.set()
        self.thread.join(15)
        self.reader.close()


def acked_by_hook(progress, hooks):
    """{(topic, p): {hook name: offsets}} the committed metadata records (ackmeta.py)."""
    ids = {ackmeta.hook_id(h['name']): h['name'] for h in hooks}
    out = {}
    for tp, (offset, metadata) in progress.items():
        if offset is None:
            continue
        out[tp] = {ids[i]: offs for i, offs in ackmeta.decode(metadata, offset).items()
                   if i in ids}
    return out


def request_key(r):
    """What must be identical across attempts of one message to one hook."""
    return (r.method, r.path, r.query, r.body, r.signature)


def analyse(name, placed, must, reqs, samples=(), events=()):
    """Checks one scenario's deliveries (see the module docstring); raises AssertionError
    listing every violation found. Returns counts for the summary line.

    placed: {message key: producer report}; keys are record ids for rows, anything else for
      messages no hook gets (poison);
    must: {hook: set of record ids that hook must receive};
    reqs: {hook: [receiver Request]} every request the hook's receiver recorded;
    samples: CommitSampler.samples;
    events: [{'name', 't_cut', 'committed': {(topic, p): offset}, optionally 'acked':
      {(topic, p): {hook: offsets the commit's metadata records for it}}, and for a kill -9
      also 't_start' (when the killed process had started), 't_kill', 'committed_before' and
      'recent_s' (only deliveries made that long before the kill may repeat)}]."""
    failures = []
    where = {}                      # rid -> ((topic, partition), offset)
    parts = collections.defaultdict(list)  # (topic, partition) -> [(offset, key)]
    for key, m in placed.items():
        tp = (m['topic'], m['partition'])
        where[key] = (tp, m['offset'])
        parts[tp].append((m['offset'], key))
    for tp in parts:
        parts[tp].sort()

    oks = {}             # (hook, rid) -> [receiver times of the 2xx deliveries, in order]
    firsts = {}          # hook -> [rid in order of first 2xx delivery]
    delivered = duplicates = 0
    for h, rl in reqs.items():
        attempts = collections.defaultdict(list)
        firsts[h] = []
        bad_sig = [r for r in rl if not r.sig_ok]
        if bad_sig:
            failures.append('hook %s: %d request(s) with a bad Signature' % (h, len(bad_sig)))
        for r in sorted(rl, key=lambda r: r.seq):
            try:
                rid = r.record_id
            except Exception as e:
                failures.append('hook %s: unparsable request %r: %s' % (h, r.body[:80], e))
                continue
            attempts[rid].append(r)
            if r.ok:
                if (h, rid) not in oks:
                    oks[(h, rid)] = []
                    firsts[h].append(rid)
                oks[(h, rid)].append(r.time)
        extra = set(attempts) - must[h]
        if extra:
            failures.append('hook %s: %d request(s) for messages it must not get (e.g. %s)'
                            % (h, len(extra), sorted(extra)[:5]))
        missing = must[h] - set(firsts[h])
        if missing:
            failures.append('hook %s: LOST %d of %d message(s), e.g. record ids %s'
                            % (h, len(missing), len(must[h]), sorted(missing)[:10]))
        for rid, rs in attempts.items():
            if len({request_key(r) for r in rs}) != 1:
                failures.append('hook %s, record %d: %d attempts that are not byte-identical'
                                % (h, rid, len(rs)))
        delivered += len(firsts[h])
        duplicates += sum(len(t) - 1 for (hh, _), t in oks.items() if hh == h)
        # order of first deliveries per partition
        for tp, offs in parts.items():
            expect = [k for _, k in offs if k in must[h]]
            got = [rid for rid in firsts[h] if rid in where and where[rid][0] == tp]
            if got != expect[:len(got)] or (not missing and got != expect):
                i = next((i for i, (a, b) in enumerate(zip(got, expect)) if a != b),
                         min(len(got), len(expect)))
                failures.append('hook %s, partition %s: first deliveries out of offset order '
                                'at position %d: got %s, expected %s'
                                % (h, tp[1], i, got[i:i + 5], expect[i:i + 5]))

    # duplicates must be explained by an owner change after the first delivery, at or
    # beyond the committed offset of that change, not recorded as acknowledged by that hook in
    # the commit's metadata, and (kill -9) delivered in the last moments before the kill
    def explains(ev, h, tp, off, times):
        if times[0] >= ev['t_cut'] or off < (ev['committed'].get(tp) or 0):
            return False
        if off in ev.get('acked', {}).get(tp, {}).get(h, ()):
            return False
        if 'recent_s' in ev:
            # a request sent just before the kill may reach the receiver's thread just after
            return any(ev['t_kill'] - ev['recent_s'] <= t < ev['t_cut'] for t in times)
        return True

    bound = 0
    for (h, rid), times in oks.items():
        if rid not in where:
            continue
        tp, off = where[rid]
        allowed = sum(1 for ev in events if explains(ev, h, tp, off, times))
        bound += allowed
        if len(times) - 1 > allowed:
            failures.append('hook %s, record %d (partition %d offset %d): delivered %d times, '
                            'only %d redelivery(ies) explained by faults (%s)'
                            % (h, rid, tp[1], off, len(times), allowed,
                               [ev['name'] for ev in events]) )

    # committed offsets against the receiver's record
    inf = float('inf')

    def done_time(key):
        hooks = [h for h in must if key in must[h]]
        ts = [oks[(h, key)][0] if (h, key) in oks else inf for h in hooks]
        return max(ts) if ts else 0.0
    prefix_max = {}
    for tp, offs in parts.items():
        acc, pm = 0.0, []
        for _, k in offs:
            acc = max(acc, done_time(k))
            pm.append(acc)
        prefix_max[tp] = ([o for o, _ in offs], pm)
    last = {}
    past = []
    samples = sorted(samples, key=lambda sample: sample[0])
    for t, committed in samples:
        for tp, c in committed.items():
            if c < last.get(tp, 0):
                failures.append('committed offset of partition %d went BACKWARDS from %d to %d'
                                % (tp[1], last[tp], c))
            last[tp] = max(c, last.get(tp, 0))
            if tp not in prefix_max or not c:
                continue
            offs, pm = prefix_max[tp]
            n = bisect.bisect_left(offs, c)
            if c > (offs[-1] + 1 if offs else 0) or (n and pm[n - 1] > t):
                past.append((tp[1], c, t))
    if past:
        failures.append('committed offsets PASSED undelivered messages (partition, committed, '
                        'time): %s' % past[:5])
    for (h, rid), times in oks.items():
        if rid not in where:
            continue
        tp, off = where[rid]
        for t2 in times[1:]:
            behind = [c[tp] for t, c in samples if t < t2 and c.get(tp, 0) > off]
            if behind:
                failures.append('hook %s, record %d (partition %d offset %d) delivered again '
                                'after the group had committed offset %d' % (h, rid, tp[1],
                                                                             off, behind[0]))
                break

    # kill -9: a prefix done by every hook well before the crash was committed
    for ev in events:
        if 't_kill' not in ev:
            continue
        cutoff = ev['t_kill'] - STALE_S
        for tp, offs in parts.items():
            start = ev['committed_before'].get(tp) or 0
            required = start
            for off, key in offs:
                if off < start:
                    continue
                hooks = [h for h in must if key in must[h]]
                ts = []
                for h in hooks:
                    got = [t for t in oks.get((h, key), []) if ev['t_start'] <= t < ev['t_kill']]
                    ts.append(got[0] if got else inf)
                if max(ts, default=0.0) > cutoff:
                    break
                required = off + 1
            if (ev['committed'].get(tp) or 0) < required:
                failures.append('%s: partition %d committed %d at the crash, but every hook '
                                'had received offsets up to %d more than %.0f s before'
                                % (ev['name'], tp[1], ev['committed'].get(tp) or 0,
                                   required - 1, STALE_S))

    assert not failures, '%s: %d violation(s):\n  %s' % (name, len(failures),
                                                       '\n  '.join(failures[:40]))
    last_first = max((t[0] for t in oks.values()), default=0.0)
    return {'delivered': delivered, 'duplicates': duplicates, 'bound': bound,
            'last_first': last_first}


def summary(add, name, sent, stats, dead_lettered=0, drain_s=None, **extra):
    line = 'FAULTS %s: sent=%d delivered=%d duplicates=%d dead_lettered=%d drain_s=%s' % (
        name, sent, stats['delivered'], stats['duplicates'], dead_lettered,
        'n/a' if drain_s is None else '%.1f' % max(drain_s, 0.0))
    for k, v in extra.items():
        line += ' %s=%s' % (k, v)
    add(line)


def wait_all_delivered(bridges_running, receivers_by_hook, must, timeout, what):
    def done():
        for b in bridges_running:
            b.assert_running()
        return all(must[h] <= {r.record_id for r in rec.delivered(h)}
                   for h, rec in receivers_by_hook.items())
    wait_until(done, timeout, what, interval=0.5)


def drain_commit_and_stop(b, broker, receivers_by_hook, must, group, topic, timeout, what):
    """After a broker fault: every message of must delivered within timeout (what: the wait's
    name), the group committed to the end of topic, and SIGTERM ends b with exit code 0."""
    wait_all_delivered([b], receivers_by_hook, must, timeout, what)
    wait_until(lambda: broker.fully_committed(group, [topic]), 60, 'group fully committed')
    rc, _ = b.terminate(timeout=30)
    assert rc == 0, 'exit code %d after SIGTERM\n%s' % (rc, b.log_tail())


def print_log_tails(b, broker):
    """On a failure: the tail of the bridge's log (when it was made) and of the broker's."""
    if b is not None:
        print(b.log_tail(150))
    print(broker.log_tail(40))


def dead_letters(bootstrap, topic, expect, timeout=60, settle=3.0):
    """Every record of the dead-letter topic (1 partition): [(key, value, {header: text})].
    Reads until `expect` records arrived, then `settle` seconds more for any extra."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'it-dlq-reader',
                  'enable.auto.commit': False, 'log_level': 0})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    got = []
    deadline = time.monotonic() + timeout
    settle_until = None
    try:
        while True:
            now = time.monotonic()
            if len(got) >= expect and settle_until is None:
                settle_until = now + settle
            if (settle_until and now > settle_until) or now > deadline:
                break
            m = c.poll(0.5)
            if m is None or m.error():
                continue
            hdrs = {}
            for k, v in m.headers() or []:
                hdrs[k] = v.decode('utf-8') if v is not None else None
            got.append((m.key(), m.value(), hdrs, m.timestamp()[1] / 1000.0))
    finally:
        c.close()
    return got


def check_dead_letter_headers(rec, placed_by_pos, topic):
    """Common header checks; returns the placed message it refers to (or a failure text)."""
    key, value, h, _ = rec
    for name in ('perscom.topic', 'perscom.partition', 'perscom.offset', 'perscom.error',
                 'perscom.attempts', 'perscom.reason'):
        if name not in h:
            return None, 'missing header %s in %s' % (name, sorted(h))
    if h['perscom.topic'] != topic:
        return None, 'perscom.topic %r' % h['perscom.topic']
    pos = (int(h['perscom.partition']), int(h['perscom.offset']))
    m = placed_by_pos.get(pos)
    if m is None:
        return None, 'refers to partition %d offset %d, not a message of this test' % pos
    if value != m['value']:
        return None, 'value differs from the original at partition %d offset %d' % pos
    if key != m['key']:
        return None, 'key %r differs from the original %r' % (key, m['key'])
    if not h['perscom.error']:
        return None, 'empty perscom.error'
    return m, None


# --------------------------------------------------------------------------------------------
# 1. kill -9 five times under load
# --------------------------------------------------------------------------------------------

@pytest.mark.timeout(240)
def test_kill9_five_times_under_load(kafka, receiver, bridges, uniq, faults_summary):
    rng = random.Random(SEED)
    print('FAULTS_SEED=%d' % SEED)
    table = 'records_awards'
    topic = 'it.%s.%s' % (uniq, table)
    partitions = 8
    kafka.create_topics([topic], partitions=partitions)
    group = 'g-' + uniq
    hooks = [hook(receiver, 'fast', ['*']), hook(receiver, 'slow', ['awardrecord.created'])]
    receiver.set_behaviour('fast', delay=0.002)
    receiver.set_behaviour('slow', delay=0.01)
    props = {'session.timeout.ms': 6000, 'heartbeat.interval.ms': 1000}
    b = bridges('b', group, avro_topic(topic, table), hooks, properties=props,
                delivery={'commit_interval_ms': COMMIT_INTERVAL_MS},
                env={'POD_NAME': 'faults-kill9'})
    sampler = CommitSampler(kafka.bootstrap, group, [topic], partitions).start()
    load = Load(kafka.bootstrap, topic, table, batch=25, pause=0.2).start()
    events = []
    try:
        b.start()
        t_start = time.time()
        before = {}
        for k in range(5):
            floor = len(receiver.delivered())
            wait_until(lambda: b.assert_running() or len(receiver.delivered()) >= floor + 40,
                       60, 'deliveries under way before kill %d' % (k + 1))
            time.sleep(rng.uniform(0.2, 2.5))
            b.kill9()
            t_kill = time.time()
            progress = kafka.committed_progress(group, [topic])
            committed = {tp: c or 0 for tp, (c, _) in progress.items()}
            time.sleep(rng.uniform(0.5, 1.5))
            b.start()
            t_restart = time.time()
            events.append({'name': 'kill %d' % (k + 1), 't_cut': t_restart, 't_kill': t_kill,
                           't_start': t_start, 'committed': committed,
                           'acked': acked_by_hook(progress, hooks),
                           'recent_s': KILL_RECENT_S, 'committed_before': before})
            t_start, before = t_restart, committed
        floor = len(receiver.delivered())
        wait_until(lambda: b.assert_running() or len(receiver.delivered()) >= floor + 40, 60,
                   'deliveries under way after the last restart')
        placed = load.result()
        must = {'fast': set(placed),
                'slow': {rid for rid in placed if load.action(rid) == 'created'}}
        wait_all_delivered([b], {'fast': receiver, 'slow': receiver}, must, 120,
                           'every message delivered after five kills')
        t_drained = time.time()
        wait_until(lambda: kafka.fully_committed(group, [topic]), 30, 'group fully committed')
        rc, _ = b.terminate(timeout=20)
        assert rc == 0, 'exit code %d after SIGTERM\n%s' % (rc, b.log_tail())
    finally:
        load.stopped.set()
        sampler.stop()
    stats = analyse('kill9', placed, must, {h: receiver.snapshot(h) for h in must},
                    sampler.samples, events)
    summary(faults_summary, 'kill9', len(placed), stats,
            drain_s=stats['last_first'] - events[-1]['t_cut'], dup_bound=stats['bound'],
            kills=len(events), lanes=len(hooks) * partitions, seed=SEED)
    assert t_drained


# --------------------------------------------------------------------------------------------
# 2. hooks that refuse connections, answer 503 with Retry-After, hang past their timeout
# --------------------------------------------------------------------------------------------

@pytest.mark.timeout(180)
def test_refusing_retry_after_and_hanging_hooks(kafka, receiver, bridges, uniq, faults_summary):
    table = 'records_qualifications'
    topic = 'it.%s.%s' % (uniq, table)
    partitions = 4
    kafka.create_topics([topic], partitions=partitions)
    group = 'g-' + uniq
    refuse_port = free_port()   # nobody listens here until the outage ends
    refuse_s, fault_s, hang_s, retry_after = 30.0, 15.0, 4.0, 2
    hooks = [hook(receiver, 'ok', ['*']),
             hook(receiver, 'refuse', ['*'],
                  url='http://127.0.0.1:%d/refuse' % refuse_port),
             hook(receiver, 'ra', ['*']),
             hook(receiver, 'hang', ['*'], timeout_ms=500)]
    t0 = time.time()
    receiver.set_behaviour('ra', status=503, headers={'Retry-After': str(retry_after)},
                           body=b'{"error":"busy"}', until=t0 + fault_s)
    receiver.set_behaviour('hang', status=503, delay=hang_s, until=t0 + fault_s)
    b = bridges('b', group, avro_topic(topic, table), hooks,
                delivery={'commit_interval_ms': COMMIT_INTERVAL_MS})
    sampler = CommitSampler(kafka.bootstrap, group, [topic], partitions).start()
    load = Load(kafka.bootstrap, topic, table, batch=50, pause=0.1, total=200).start()
    late = None
    try:
        b.start()
        time.sleep(8)
        load2 = Load(kafka.bootstrap, topic, table, batch=50, pause=0.1, total=300,
                     first_id=201).start()
        placed = load.result()
        placed.update(load2.result())
        must = {h['name']: set(placed) for h in hooks}
        # the healthy hook is not held back by the failing ones
        wait_all_delivered([b], {'ok': receiver}, must, 30,
                           'the healthy hook to get everything while the others fail')
        ok_done = time.time()
        assert ok_done < t0 + refuse_s, 'the healthy hook finished only after the outage'
        time.sleep(max(0.0, t0 + refuse_s - time.time()))
        late = Receiver(port=refuse_port)
        late.add_hook('refuse', '%s-refuse' % SECRET)
        late.start()
        t_open = time.time()
        wait_all_delivered([b], {'ok': receiver, 'ra': receiver, 'hang': receiver,
                                 'refuse': late}, must, 60, 'every hook to get everything')
        wait_until(lambda: kafka.fully_committed(group, [topic]), 30, 'group fully committed')
    finally:
        load.stopped.set()
        sampler.stop()
        if late:
            late.stop()
    reqs = {'ok': receiver.snapshot('ok'), 'ra': receiver.snapshot('ra'),
            'hang': receiver.snapshot('hang'), 'refuse': late.snapshot('refuse')}
    stats = analyse('hook-outages', placed, must, reqs, sampler.samples)

    # Every check below is made; the failures are reported together.
    problems = []
    # Retry-After: the next attempt of a message answered 503 + Retry-After comes no sooner
    by_rid = collections.defaultdict(list)
    for r in sorted(reqs['ra'], key=lambda r: r.seq):
        by_rid[r.record_id].append(r)
    gaps = [b2.time - a.time for rs in by_rid.values() for a, b2 in zip(rs, rs[1:])
            if a.status == 503]
    too_soon = [g for g in gaps if g < retry_after - 0.05]
    if not gaps:
        problems.append('no retried 503 at the Retry-After hook')
    elif too_soon:
        problems.append('Retry-After: %d not honoured: %d of %d retries came sooner (%s s)'
                        % (retry_after, len(too_soon), len(gaps),
                           ', '.join('%.2f' % g for g in sorted(too_soon)[:8])))
    # the hanging hook: attempts abandoned at timeout_ms and retried while the receiver was
    # still holding the previous one
    by_rid = collections.defaultdict(list)
    for r in sorted(reqs['hang'], key=lambda r: r.time):
        by_rid[r.record_id].append(r)
    hang_gaps = sorted(b2.time - a.time for rs in by_rid.values() for a, b2 in zip(rs, rs[1:]))
    if not hang_gaps or hang_gaps[0] >= hang_s - 1:
        problems.append('timeout_ms 500 not enforced: the shortest gap between attempts of one '
                        'message to the hanging hook is %s s (it holds each request %.0f s)'
                        % (hang_gaps[:1], hang_s))
    last_ok = {}
    for h in reqs:
        times = [r.time for r in reqs[h] if r.ok]
        last_ok[h] = max(times) if times else 0
    drains = {'refuse': last_ok['refuse'] - t_open, 'ra': last_ok['ra'] - (t0 + fault_s),
              'hang': last_ok['hang'] - (t0 + fault_s)}
    attempts = {h: sum(1 for r in reqs[h] if not r.ok) for h in reqs}
    for h, name in (('refuse', 'refused-30s'), ('ra', 'retry-after-503'),
                    ('hang', 'hang-past-timeout')):
        one = analyse(name, placed, {h: must[h]}, {h: reqs[h]})
        extra = {'failed_attempts': attempts[h]}
        if h == 'ra' and gaps:
            extra['min_gap_s'] = '%.2f' % min(gaps)
        if h == 'hang' and hang_gaps:
            extra['min_gap_s'] = '%.2f' % hang_gaps[0]
        summary(faults_summary, name, len(placed), one, drain_s=drains[h], **extra)
    if stats['duplicates']:
        problems.append('%d duplicate deliveries without any crash' % stats['duplicates'])
    for h, d in drains.items():
        if d >= 20:
            problems.append('hook %s took %.1f s to drain after its fault ended' % (h, d))
    assert not problems, 'hook outages: %d problem(s):\n  %s' % (len(problems),
                                                               '\n  '.join(problems))


# --------------------------------------------------------------------------------------------
# 3. two hooks, one answering 400 forever: its deliveries go to the dead-letter topic
# --------------------------------------------------------------------------------------------

@pytest.mark.timeout(180)
def test_refused_deliveries_go_to_the_dead_letter_topic(kafka, receiver, bridges, uniq,
                                                         faults_summary):
    table = 'events'
    topic = 'it.%s.%s' % (uniq, table)
    dlq = 'it.%s.dead-letter' % uniq
    partitions = 4
    kafka.create_topics([topic], partitions=partitions)
    kafka.create_topics([dlq], partitions=1)
    group = 'g-' + uniq
    hooks = [hook(receiver, 'good', ['*']), hook(receiver, 'bad', ['event.created'])]
    receiver.set_behaviour('bad', status=400, body=b'{"message":"nope"}')
    b = bridges('b', group, avro_topic(topic, table), hooks,
                delivery={'commit_interval_ms': COMMIT_INTERVAL_MS},
                extra={'dead_letter': {'topic': dlq}})
    sampler = CommitSampler(kafka.bootstrap, group, [topic], partitions).start()
    load = Load(kafka.bootstrap, topic, table, batch=30, pause=0.1, total=300)
    try:
        b.start()
        load.start()
        placed = load.result()
        t_produced = time.time()
        to_bad = {rid for rid in placed if load.action(rid) == 'created'}
        must = {'good': set(placed), 'bad': set()}
        wait_all_delivered([b], {'good': receiver}, must, 60, 'the good hook to get everything')
        dl = dead_letters(kafka.bootstrap, dlq, len(to_bad))
        wait_until(lambda: b.assert_running() or kafka.fully_committed(group, [topic]), 30,
                   'group fully committed (dead-lettered counts as done)')
    finally:
        load.stopped.set()
        sampler.stop()
    stats = analyse('dead-letter-400', placed, must,
                    {'good': receiver.snapshot('good'), 'bad': []}, sampler.samples)
    by_pos = {(m['partition'], m['offset']): m for m in placed.values()}
    failures = []
    seen = collections.Counter()
    bad_attempts = collections.Counter(r.record_id for r in receiver.snapshot('bad'))
    for rec in dl:
        m, why = check_dead_letter_headers(rec, by_pos, topic)
        if why:
            failures.append(why)
            continue
        h = rec[2]
        rid = m['meta']
        seen[rid] += 1
        want = {'perscom.hook': 'bad', 'perscom.status': '400', 'perscom.reason': 'refused',
                'perscom.event': 'event.created'}
        for k, v in want.items():
            if h.get(k) != v:
                failures.append('record %d: %s=%r, want %r' % (rid, k, h.get(k), v))
        if '400' not in h['perscom.error']:
            failures.append('record %d: perscom.error %r does not mention 400'
                            % (rid, h['perscom.error']))
        if h['perscom.attempts'] != str(bad_attempts[rid]):
            failures.append('record %d: perscom.attempts %s, the hook saw %d attempt(s)'
                            % (rid, h['perscom.attempts'], bad_attempts[rid]))
        for k in ('perscom.first_attempt', 'perscom.last_attempt'):
            if not ISO_MS.match(h.get(k) or ''):
                failures.append('record %d: %s=%r is not ISO-8601 UTC with ms'
                                % (rid, k, h.get(k)))
    if set(seen) != to_bad:
        failures.append('dead-letter topic holds %d distinct messages, expected the %d the '
                        '400 hook refused (missing e.g. %s, extra e.g. %s)'
                        % (len(seen), len(to_bad), sorted(to_bad - set(seen))[:5],
                           sorted(set(seen) - to_bad)[:5]))
    dup_dl = {rid: n for rid, n in seen.items() if n > 1}
    if dup_dl:
        failures.append('dead-lettered more than once: %s' % sorted(dup_dl.items())[:5])
    log = b.log_text()
    if log.count('dead-lettered') < len(to_bad):
        failures.append('the log has %d "dead-lettered" lines for %d dead-lettered messages'
                        % (log.count('dead-lettered'), len(to_bad)))
    assert not failures, 'dead-letter topic: %d problem(s):\n  %s' % (
        len(failures), '\n  '.join(failures[:30]))
    last = max([stats['last_first']] + [r[3] for r in dl])
    summary(faults_summary, 'dead-letter-400', len(placed), stats, dead_lettered=len(dl),
            drain_s=last - t_produced)
    assert stats['duplicates'] == 0


# --------------------------------------------------------------------------------------------
# 4. the broker restarted mid-stream (its own broker: the shared one stays up)
# --------------------------------------------------------------------------------------------

@pytest.mark.timeout(300)
def test_broker_restart_mid_stream(workdir, receiver, uniq, faults_summary, request):
    broker = Broker(os.path.join(workdir, 'kafka-restart'), num_partitions=4)
    try:
        broker.start()
    except Exception as e:  # fail loudly, never skip
        pytest.fail('the second Kafka broker did not start: %s' % e, pytrace=False)
    table = 'records_assignments'
    topic = 'it.%s.%s' % (uniq, table)
    partitions = 4
    group = 'g-' + uniq
    b = None
    load = sampler = None
    try:
        broker.create_topics([topic], partitions=partitions)
        hooks = [hook(receiver, 'a', ['*']), hook(receiver, 'b', ['assignmentrecord.*'])]
        receiver.set_behaviour('a', delay=0.003)
        receiver.set_behaviour('b', delay=0.01)
        conf = make_config(broker.bootstrap, group, avro_topic(topic, table), hooks,
                           delivery={'commit_interval_ms': COMMIT_INTERVAL_MS},
                           properties={'session.timeout.ms': 10000,
                                       'heartbeat.interval.ms': 1000})
        b = Bridge(os.path.join(workdir, request.node.name, 'b'), conf)
        sampler = CommitSampler(broker.bootstrap, group, [topic], partitions).start()
        load = Load(broker.bootstrap, topic, table, batch=20, pause=0.2).start()
        b.start()
        wait_until(lambda: b.assert_running() or len(receiver.delivered()) >= 200, 60,
                   'deliveries under way')
        # stop the broker only once every partition has a commit, so that a lost membership
        # resumes from there and not from the beginning
        wait_until(lambda: len(sampler.latest()) == partitions and
                   all(c > 0 for c in sampler.latest().values()), 30,
                   'a committed offset on every partition')
        before = sampler.latest()
        t_stop = time.time()
        down_s, up_s = broker.restart(down_s=3.0)
        t_up = time.time()
        floor = len(receiver.delivered())
        wait_until(lambda: b.assert_running() or len(receiver.delivered()) >= floor + 100, 90,
                   'deliveries after the broker came back')
        time.sleep(3)
        placed = load.result(timeout=180)
        must = {'a': set(placed), 'b': set(placed)}
        drain_commit_and_stop(b, broker, {'a': receiver, 'b': receiver}, must, group, topic, 90,
                              'every message delivered after the broker restart')
    except BaseException:
        print_log_tails(b, broker)
        raise
    finally:
        if load:
            load.stopped.set()
        if sampler:
            sampler.stop()
        if b is not None:
            b.stop()
        broker.stop()
    # A broker restart may cost the bridge its group membership (session timeout: the
    # partitions are lost, and assigned again from the committed offset): then one owner
    # change, at or after the last commit seen before the broker stopped, complete when the
    # bridge logs its new assignment. Without a new assignment no duplicate is allowed.
    reassigned = [t for t in log_times(b.log_text(), 'consumer: assigned') if t > t_stop]
    events = [{'name': 'broker restart', 't_cut': reassigned[-1] + 1.0, 'committed': before}
              ] if reassigned else []
    stats = analyse('broker-restart', placed, must, {h: receiver.snapshot(h) for h in must},
                    sampler.samples, events)
    summary(faults_summary, 'broker-restart', len(placed), stats, drain_s=stats['last_first']
            - t_up, dup_bound=stats['bound'], broker_down_s='%.1f' % (t_up - t_stop),
            lost_assignment='yes' if '(lost)' in b.log_text() else 'no')


# --------------------------------------------------------------------------------------------
# 5. three bridges joining and leaving one group under load (1 -> 3 -> 1)
# --------------------------------------------------------------------------------------------

def _assigned(bridge):
    """The partitions a bridge holds now, from its /metrics (partitions_assigned; 0 when it is
    not running). Not from its "assigned N partition(s)" log lines: under cooperative-sticky
    those count only the partitions each rebalance adds."""
    if not bridge.running():
        return 0
    status, text = get(bridge.admin_port, '/metrics')
    return int(metric(text, 'perscom_bridge_partitions_assigned')) if status == 200 else 0


@pytest.mark.timeout(240)
@pytest.mark.parametrize('strategy', ['default', 'cooperative-sticky'])
def test_three_bridges_join_and_leave_under_load(kafka, receiver, bridges, uniq,
                                                 faults_summary, strategy):
    table = 'records_combat'
    topic = 'it.%s.%s' % (uniq, table)
    partitions = 8
    kafka.create_topics([topic], partitions=partitions)
    group = 'g-' + uniq
    # three hooks at different speeds: the slow one is behind the others at every handover
    hooks = [hook(receiver, 'h1', ['*']), hook(receiver, 'h2', ['combatrecord.*']),
             hook(receiver, 'slow', ['combatrecord.created'])]
    receiver.set_behaviour('h1', delay=0.003)
    receiver.set_behaviour('h2', delay=0.01)
    receiver.set_behaviour('slow', delay=0.15)
    props = {'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500}
    if strategy != 'default':
        props['partition.assignment.strategy'] = strategy

    def make(name):
        port = free_port()
        x = bridges(name, group, avro_topic(topic, table), hooks, properties=props,
                    delivery={'commit_interval_ms': COMMIT_INTERVAL_MS},
                    extra={'admin': {'listen': '127.0.0.1:%d' % port}})
        x.admin_port = port
        return x
    a, b, c = make('a'), make('b'), make('c')
    sampler = CommitSampler(kafka.bootstrap, group, [topic], partitions).start()
    load = Load(kafka.bootstrap, topic, table, batch=20, pause=0.2).start()
    events = []
    try:
        a.start()
        wait_until(lambda: a.assert_running() or len(receiver.delivered()) >= 100, 60,
                   'bridge a delivering')
        before = sampler.latest()
        b.start()
        c.start()
        t_join = time.time()
        wait_until(lambda: all(x.assert_running() or _assigned(x) > 0 for x in (a, b, c)) and
                   sum(_assigned(x) for x in (a, b, c)) == partitions,
                   60, 'all three bridges to share the partitions (1 -> 3)')
        t_shared = time.time()
        floor = len(receiver.delivered())
        wait_until(lambda: len(receiver.delivered()) >= floor + 100, 60,
                   'deliveries with three bridges')
        events.append({'name': '1->3', 't_cut': time.time() + 1, 'committed': before})
        time.sleep(2)
        before = sampler.latest()
        t_leave = time.time()
        for x in (b, c):
            x.proc.send_signal(signal.SIGTERM)
        for x in (b, c):
            rc = x.proc.wait(timeout=20)
            assert rc == 0, 'bridge exit code %d after SIGTERM\n%s' % (rc, x.log_tail())
        wait_until(lambda: a.assert_running() or _assigned(a) == partitions, 60,
                   'bridge a to own every partition again (3 -> 1)')
        t_alone = time.time()
        floor = len(receiver.delivered())
        wait_until(lambda: len(receiver.delivered()) >= floor + 100, 60,
                   'deliveries with one bridge again')
        events.append({'name': '3->1', 't_cut': time.time() + 1, 'committed': before})
        placed = load.result()
        must = {'h1': set(placed), 'h2': set(placed),
                'slow': {rid for rid in placed if load.action(rid) == 'created'}}
        wait_all_delivered([a], {'h1': receiver, 'h2': receiver, 'slow': receiver}, must, 120,
                           'every message delivered')
        wait_until(lambda: kafka.fully_committed(group, [topic]), 30, 'group fully committed')
        rc, _ = a.terminate(timeout=20)
        assert rc == 0, 'bridge a exit code %d\n%s' % (rc, a.log_tail())
    finally:
        load.stopped.set()
        sampler.stop()
    # Clean handovers (eager revokes that commit each hook's progress) resend nothing; only an
    # assignment lost on the way (no commit) may repeat what its owner had delivered.
    lost = [x.log_path for x in (a, b, c) if '(lost)' in x.log_text()]
    stats = analyse('join-leave', placed, must, {h: receiver.snapshot(h) for h in must},
                    sampler.samples, events if lost else [])
    print('join-leave %s: 1 -> 3 settled in %.1f s, 3 -> 1 in %.1f s, lost assignments: %d' %
          (strategy, t_shared - t_join, t_alone - t_leave, len(lost)))
    summary(faults_summary, 'join-leave-1-3-1-' + strategy, len(placed), stats,
            drain_s=stats['last_first'] - t_alone, dup_bound=stats['bound'],
            join_s='%.1f' % (t_shared - t_join), handover_s='%.1f' % (t_alone - t_leave),
            lost_assignments=len(lost))


# --------------------------------------------------------------------------------------------
# 6. poison messages interleaved
# --------------------------------------------------------------------------------------------

POISON_KINDS = ('random', 'magic', 'schema', 'truncated', 'huge-schema', 'many-values')
# issue 13: a registered schema whose value avro-c would build in 2 GB, and a message of more
# Avro values than limits.max_elements (set to POISON_MAX_ELEMENTS below)
POISON_MAX_ELEMENTS = 1000
HUGE_SCHEMA = json.dumps({
    'type': 'record', 'name': 'Envelope', 'namespace': 'perscom.records_service',
    'fields': [{'name': 'op', 'type': 'string'},
               {'name': 'f', 'type': {'type': 'fixed', 'name': 'F', 'size': 2000000000}}]})
BOOLS_SCHEMA = json.dumps({
    'type': 'record', 'name': 'Envelope', 'namespace': 'perscom.records_service',
    'fields': [{'name': 'before', 'type': ['null', {
        'type': 'record', 'name': 'Value', 'fields': [
            {'name': 'id', 'type': 'long'},
            {'name': 'flags', 'type': {'type': 'array', 'items': 'boolean'}}]}]},
        {'name': 'after', 'type': ['null', 'Value']}, {'name': 'op', 'type': 'string'},
        {'name': 'ts_ms', 'type': 'long'}]})


def _zigzag(n):
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        low, n = n & 0x7f, n >> 7
        if not n:
            out.append(low)
            return bytes(out)
        out.append(low | 0x80)


def bools_message(schema_id, count):
    """A created row of BOOLS_SCHEMA with count booleans, Confluent-framed."""
    return (struct.pack('>bI', 0, schema_id) + b'\x00\x02' + _zigzag(7) + _zigzag(count) +
            b'\x01' * count + b'\x00' + _zigzag(1) + b'c' + _zigzag(1777629600123))


@pytest.mark.timeout(180)
def test_poison_messages_are_dead_lettered_with_their_reason(kafka, registry, receiver, bridges,
                                                             uniq, faults_summary):
    rng = random.Random(SEED)
    table = 'records_service'
    topic = 'it.%s.%s' % (uniq, table)
    dlq = 'it.%s.dead-letter' % uniq
    partitions = 4
    kafka.create_topics([topic], partitions=partitions)
    kafka.create_topics([dlq], partitions=1)
    sid = registry.register(records.schema_text(table))
    huge_id = registry.register(HUGE_SCHEMA)
    bools_id = registry.register(BOOLS_SCHEMA)
    unknown_id = 4242
    assert unknown_id not in registry.schemas
    group = 'g-' + uniq
    hooks = [hook(receiver, 'h1', ['*']), hook(receiver, 'h2', ['servicerecord.created'])]
    prod = records.Producer(kafka.bootstrap)
    n_good, every = 200, 10
    poison = 0
    for rid in range(1, n_good + 1):
        action = 'updated' if rid % 3 == 0 else 'created'
        good = records.encode(table, records.envelope(table, action, rid), sid)
        prod.send(topic, good, key=b'row-%d' % rid, meta=rid)
        if rid % every == 0:
            kind = POISON_KINDS[poison % len(POISON_KINDS)]
            if kind == 'random':   # valid framing, then garbage (an impossible union index)
                value = struct.pack('>bI', 0, sid) + b'\xff' + rng.randbytes(40)
            elif kind == 'magic':
                value = b'\x07' + good[1:]
            elif kind == 'schema':
                value = struct.pack('>bI', 0, unknown_id) + good[5:]
            elif kind == 'huge-schema':
                value = struct.pack('>bI', 0, huge_id) + good[5:]
            elif kind == 'many-values':
                value = bools_message(bools_id, 2 * POISON_MAX_ELEMENTS)
            else:
                value = good[:len(good) // 2]
            prod.send(topic, value, key=b'poison-%d' % poison, meta=('poison', kind, poison))
            poison += 1
    sent = prod.flush()
    t_produced = time.time()
    placed = {m['meta']: m for m in sent}
    good_ids = {k for k in placed if not isinstance(k, tuple)}
    poisoned = {k: m for k, m in placed.items() if isinstance(k, tuple)}
    must = {'h1': set(good_ids), 'h2': {r for r in good_ids if r % 3 != 0}}
    b = bridges('b', group, [{'name': topic, 'format': 'confluent'}], hooks,
                registry_url=registry.url, delivery={'commit_interval_ms': COMMIT_INTERVAL_MS},
                extra={'dead_letter': {'topic': dlq},
                       'limits': {'max_elements': POISON_MAX_ELEMENTS}})
    sampler = CommitSampler(kafka.bootstrap, group, [topic], partitions).start()
    try:
        b.start()
        wait_all_delivered([b], {'h1': receiver, 'h2': receiver}, must, 60,
                           'every good message delivered around the poison')
        dl = dead_letters(kafka.bootstrap, dlq, len(poisoned))
        wait_until(lambda: b.assert_running() or kafka.fully_committed(group, [topic]), 30,
                   'group fully committed (poison dead-lettered counts as done)')
    finally:
        sampler.stop()
    stats = analyse('poison', placed, must, {h: receiver.snapshot(h) for h in must},
                    sampler.samples)
    by_pos = {(m['partition'], m['offset']): m for m in placed.values()}
    failures = []
    seen = collections.Counter()
    errors = {}
    for rec in dl:
        m, why = check_dead_letter_headers(rec, by_pos, topic)
        if why:
            failures.append(why)
            continue
        h = rec[2]
        meta = m['meta']
        if not isinstance(meta, tuple):
            failures.append('good record %s was dead-lettered: %s' % (meta, h))
            continue
        seen[meta] += 1
        kind = meta[1]
        err = h['perscom.error']
        errors[kind] = err
        if h['perscom.reason'] != 'undecodable':
            failures.append('%s: perscom.reason=%r' % (kind, h['perscom.reason']))
        if h['perscom.attempts'] != '0':
            failures.append('%s: perscom.attempts=%r, want 0' % (kind, h['perscom.attempts']))
        for absent in ('perscom.hook', 'perscom.status', 'perscom.first_attempt'):
            if absent in h:
                failures.append('%s: header %s present (%r)' % (kind, absent, h[absent]))
        low = err.lower()
        mention = {'magic': 'magic' in low, 'schema': str(unknown_id) in low,
                   'truncated': any(w in low for w in ('avro', 'truncat', 'short', 'end')),
                   'random': bool(low),
                   'huge-schema': 'schema over a limit: fixed f: 2000000000 bytes' in low,
                   'many-values': 'more than %d values (limits.max_elements)'
                                  % POISON_MAX_ELEMENTS in low}[kind]
        if not mention:
            failures.append('%s: perscom.error %r does not say why' % (kind, err))
    if set(seen) != set(poisoned):
        failures.append('dead-letter topic holds %d of the %d poison messages (missing %s)'
                        % (len(seen), len(poisoned), sorted(set(poisoned) - set(seen))[:6]))
    if any(n > 1 for n in seen.values()):
        failures.append('poison dead-lettered more than once: %s'
                        % [k for k, n in seen.items() if n > 1][:5])
    # a schema that cannot be used is fetched once, not once per message
    huge_lookups = [p for p in registry.lookups if p.rstrip('/').endswith('/%d' % huge_id)]
    if len(huge_lookups) != 1:
        failures.append('the over-limit schema id %d was fetched %d times, want once'
                        % (huge_id, len(huge_lookups)))
    if b.log_text().count('dead-lettered') < len(poisoned):
        failures.append('the log has %d "dead-lettered" lines for %d poison messages'
                        % (b.log_text().count('dead-lettered'), len(poisoned)))
    print('poison errors: %s' % errors)
    assert not failures, 'poison: %d problem(s):\n  %s' % (len(failures),
                                                            '\n  '.join(failures[:30]))
    last = max([stats['last_first']] + [r[3] for r in dl])
    summary(faults_summary, 'poison', len(placed), stats, dead_lettered=len(dl),
            drain_s=last - t_produced)
    assert stats['duplicates'] == 0


# --------------------------------------------------------------------------------------------
# 7. a dead hook with a backlog of 1,000,000 messages: memory stays bounded
# --------------------------------------------------------------------------------------------

BACKLOG = int(os.environ.get('FAULTS_BACKLOG', '1000000'))
BACKLOG_COMPRESSION = os.environ.get('FAULTS_BACKLOG_COMPRESSION', 'lz4')
# for measurements: extra librdkafka properties and delivery keys of the bridge, as JSON
BACKLOG_PROPERTIES = json.loads(os.environ.get('FAULTS_BACKLOG_PROPERTIES') or '{}')
BACKLOG_DELIVERY = json.loads(os.environ.get('FAULTS_BACKLOG_DELIVERY') or '{}')
# Measured 70 MiB with the default 256 KiB fetches (173 MiB with librdkafka's 1 MiB fetches,
# which lz4 inflates to ~13 MiB per partition); the bound leaves room for a busy machine.
RSS_BOUND_MIB = 100


def produce_backlog(bootstrap, topic, table, n, partitions):
    from confluent_kafka import Producer
    values = [records.encode(table, records.envelope(table, 'created', i + 1))
              for i in range(1000)]
    p = Producer({'bootstrap.servers': bootstrap, 'linger.ms': 50,
                  'batch.num.messages': 10000, 'batch.size': 1000000,
                  'queue.buffering.max.messages': 500000,
                  'queue.buffering.max.kbytes': 1048576, 'compression.type': BACKLOG_COMPRESSION,
                  'acks': 1, 'log_level': 3})
    produce = p.produce
    for i in range(n):
        while True:
            try:
                produce(topic, values[i % 1000], partition=i % partitions)
                break
            except BufferError:
                p.poll(0.05)
        if i % 20000 == 0:
            p.poll(0)
    left = p.flush(120)
    assert left == 0, '%d backlog messages not produced' % left
    return sum(len(v) for v in values) / len(values)


@pytest.mark.timeout(300)
def test_dead_hook_with_a_million_message_backlog_stays_bounded(kafka, receiver, bridges, uniq,
                                                                faults_summary):
    table = 'records_ranks'
    topic = 'it.%s.%s' % (uniq, table)
    partitions = 8
    kafka.create_topics([topic], partitions=partitions)
    group = 'g-' + uniq
    t0 = time.monotonic()
    avg = produce_backlog(kafka.bootstrap, topic, table, BACKLOG, partitions)
    produce_s = time.monotonic() - t0
    ends = kafka.end_offsets([topic])
    assert sum(ends.values()) == BACKLOG, ends
    receiver.set_behaviour('dead', status=503, body=b'{"error":"down"}')
    b = bridges('b', group, avro_topic(topic, table), [hook(receiver, 'dead', ['*'])],
                delivery=dict({'commit_interval_ms': COMMIT_INTERVAL_MS}, **BACKLOG_DELIVERY),
                properties=BACKLOG_PROPERTIES, log_level='info')
    b.start()
    # Read VmHWM until it has not grown for `still` seconds (the windows are full and
    # librdkafka's prefetch is at its bound), at least `least` seconds, at most `most`.
    least, still, most = 25.0, 12.0, 90.0
    started = time.monotonic()
    hwm, changed = 0, started
    trace = []
    while True:
        b.assert_running()
        now = time.monotonic()
        cur = b.proc_status('VmHWM') or 0
        if cur > hwm:
            hwm, changed = cur, now
        trace.append((round(now - started, 1), cur))
        if now - started >= most or (now - started >= least and now - changed >= still):
            break
        time.sleep(0.5)
    rss = b.proc_status('VmRSS') or 0
    settled_s = changed - started
    committed = kafka.committed_offsets(group, [topic])
    assert all(not c for c in committed.values()), (
        'committed offsets moved although the hook never answered 2xx: %s' % committed)
    got = receiver.snapshot('dead')
    assert got and not any(r.ok for r in got)
    rc, took = b.terminate(timeout=30)
    assert rc == 0, 'exit code %d after SIGTERM\n%s' % (rc, b.log_tail())
    committed = kafka.committed_offsets(group, [topic])
    assert all(not c for c in committed.values()), (
        'committed offsets moved at shutdown although nothing was delivered: %s' % committed)
    hwm_mib = hwm / 1024.0
    print('VmHWM trace (s, KiB): %s' % trace[::4])
    summary(faults_summary, 'backlog-1M-dead-hook', BACKLOG,
            {'delivered': 0, 'duplicates': 0}, drain_s=None,
            peak_rss_mib='%.1f' % hwm_mib, rss_end_mib='%.1f' % (rss / 1024.0),
            bound_mib=RSS_BOUND_MIB, hwm_settled_s='%.1f' % settled_s,
            produce_s='%.1f' % produce_s, value_bytes='%.0f' % avg,
            compression=BACKLOG_COMPRESSION, attempts=len(got),
            **({'properties': json.dumps(BACKLOG_PROPERTIES, separators=(',', ':'))}
               if BACKLOG_PROPERTIES else {}),
            **({'delivery': json.dumps(BACKLOG_DELIVERY, separators=(',', ':'))}
               if BACKLOG_DELIVERY else {}))
    assert hwm_mib < RSS_BOUND_MIB, ('peak RSS %.1f MiB with a dead hook and a backlog of %d '
                                     '(bound %d MiB)' % (hwm_mib, BACKLOG, RSS_BOUND_MIB))


# --------------------------------------------------------------------------------------------
# the checker itself: every kind of violation is caught (no broker needed)
# --------------------------------------------------------------------------------------------

def _fake_run(mutate):
    """Two partitions x 3 messages, one hook; returns analyse()'s AssertionError text or None
    after mutate(reqs, samples, events) changed the clean run."""
    from .receiver import Request
    import hashlib
    import hmac
    placed, reqs, seq = {}, [], 0
    for rid in range(1, 7):
        p, off = rid % 2, (rid - 1) // 2
        placed[rid] = {'topic': 't', 'partition': p, 'offset': off, 'key': None, 'value': b''}
    for rid in (1, 2, 3, 4, 5, 6):
        body = json.dumps({'event': 'user.created', 'data': {'id': rid}}).encode()
        sig = hmac.new(b'k', body, hashlib.sha256).hexdigest()
        seq += 1
        reqs.append(Request(path='/h', method='POST', query='', headers={'signature': sig},
                            body=body, time=100.0 + seq, status=204, sig_ok=True, hook='h',
                            seq=seq))
    samples = [(110.0, {('t', 0): 3, ('t', 1): 3})]
    events = []
    mutate(reqs, samples, events, Request)
    try:
        analyse('self-test', placed, {'h': set(placed)}, {'h': reqs}, samples, events)
    except AssertionError as e:
        return str(e)
    return None


def _dup(reqs, i, t, body=None, Request=None):
    r = reqs[i]
    return Request(path=r.path, method=r.method, query=r.query, headers=dict(r.headers),
                   body=body if body is not None else r.body, time=t, status=204,
                   sig_ok=True, hook='h', seq=100 + len(reqs))


@pytest.mark.parametrize('case, mutate, expect', [
    ('clean', lambda reqs, s, e, R: None, None),
    ('lost', lambda reqs, s, e, R: reqs.pop(3), 'LOST 1'),
    ('failed only', lambda reqs, s, e, R: setattr(reqs[3], 'status', 503), 'LOST 1'),
    ('order', lambda reqs, s, e, R: reqs.__setitem__(slice(0, 3, 2), [reqs[2], reqs[0]])
     or [setattr(r, 'seq', i) for i, r in enumerate(reqs)], 'out of offset order'),
    ('unexplained duplicate', lambda reqs, s, e, R: reqs.append(_dup(reqs, 0, 109.0,
                                                                        Request=R)),
     'only 0 redelivery'),
    ('explained duplicate', lambda reqs, s, e, R: (reqs.append(_dup(reqs, 0, 109.0,
                                                                      Request=R)),
                                                   e.append({'name': 'kill', 't_cut': 108.5,
                                                             'committed': {}})), None),
    ('duplicate recorded in the commit', lambda reqs, s, e, R: (
        reqs.append(_dup(reqs, 0, 109.0, Request=R)),
        e.append({'name': 'kill', 't_cut': 108.5, 'committed': {},
                  'acked': {('t', 1): {'h': {0}}}})), 'only 0 redelivery'),
    ('duplicate older than the last commit interval', lambda reqs, s, e, R: (
        reqs.append(_dup(reqs, 5, 109.0, Request=R)),
        e.append({'name': 'kill', 't_cut': 108.5, 't_kill': 108.0, 'recent_s': 1.0,
                  't_start': 0.0, 'committed': {('t', 0): 0, ('t', 1): 1},
                  'committed_before': {}})), 'only 0 redelivery'),
    ('recent duplicate explained', lambda reqs, s, e, R: (
        reqs.append(_dup(reqs, 5, 109.0, Request=R)),
        e.append({'name': 'kill', 't_cut': 108.5, 't_kill': 106.5, 'recent_s': 1.0,
                  't_start': 0.0, 'committed': {('t', 0): 0, ('t', 1): 1},
                  'committed_before': {}})), None),
    ('duplicate behind the commit', lambda reqs, s, e, R: (
        reqs.append(_dup(reqs, 0, 111.0, Request=R)),
        e.append({'name': 'kill', 't_cut': 108.5, 'committed': {}})), 'delivered again'),
    ('duplicate differs', lambda reqs, s, e, R: (
        reqs.append(_dup(reqs, 0, 109.0, body=b'{"event":"user.created","data":{"id":1},'
                                              b'"x":1}', Request=R)),
        e.append({'name': 'kill', 't_cut': 108.5, 'committed': {}})), 'not byte-identical'),
    ('bad signature', lambda reqs, s, e, R: setattr(reqs[0], 'sig_ok', False), 'bad Signature'),
    ('commit past undelivered', lambda reqs, s, e, R: s.append((102.5, {('t', 1): 2})),
     'PASSED undelivered'),
    ('commit backwards', lambda reqs, s, e, R: s.append((111.0, {('t', 0): 1})),
     'BACKWARDS'),
    ('stale uncommitted prefix', lambda reqs, s, e, R: e.append(
        {'name': 'kill 1', 't_cut': 200.0, 't_kill': 199.0, 't_start': 0.0,
         'committed': {('t', 0): 1, ('t', 1): 3}, 'committed_before': {}}),
     'more than 5 s before'),
])
def test_analyse_catches_violations(case, mutate, expect):
    got = _fake_run(mutate)
    if expect is None:
        assert got is None, got
    else:
        assert got is not None and expect in got, (case, got)
