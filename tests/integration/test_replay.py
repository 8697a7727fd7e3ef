"""`perscom-bridge replay` against a real broker: a hook that answered 400 for every message
had them all dead-lettered; once it is fixed, replay sends them again through the run loop's
render and sign path. Checked: every dead letter arrives once, signed, byte-identical to the
refused attempt (same body, Signature and request_id), in origin order per partition (the
dead-letter topic has several partitions, so that order is the replay's own doing); nothing
is removed from the dead-letter topic; the replay group commits to the end; an interrupted
replay (SIGINT, and kill -9) resumes without duplicates (kill -9: at most the record that was
in flight); --dry-run sends and commits nothing; filters; a hook still refusing gets its dead
letters dead-lettered again; a record topic's offset range.
"""
import collections
import re
import signal
import subprocess
import time

import pytest

from . import records
from .bridge import bridge_bin
from .records import wait_until

SECRET = 'replay-s3cret'
TABLE = 'events'
GROUP_LINE = re.compile(r'^# replay of .* group (\S+?)(:|$)', re.M)


def hook(receiver, name, events):
    secret = '%s-%s' % (SECRET, name)
    receiver.add_hook(name, secret)
    return {'name': name, 'url': receiver.url(name), 'method': 'POST', 'secret': secret,
            'events': list(events), 'timeout_ms': 3000}


class Backlog:
    """`count` created events on a 4-partition topic; hook `bad` answers 400 to all of them,
    hook `good` takes them. After it ran, the dead-letter topic (3 partitions) holds one dead
    letter per message for `bad`, and the bridge is stopped."""

    def __init__(self, kafka, receiver, bridges, uniq, count):
        self.kafka, self.receiver = kafka, receiver
        self.topic = 'it.%s.%s' % (uniq, TABLE)
        self.dlq = 'it.%s.dead-letter' % uniq
        kafka.create_topics([self.topic], partitions=4)
        kafka.create_topics([self.dlq], partitions=3)
        hooks = [hook(receiver, 'good', ['*']), hook(receiver, 'bad', ['event.*'])]
        receiver.set_behaviour('bad', status=400, body=b'{"message":"nope"}')
        self.bridge = bridges('b', 'g-' + uniq,
                              [{'name': self.topic, 'format': 'avro',
                                'schema': records.schema_path(TABLE)}],
                              hooks, extra={'dead_letter': {'topic': self.dlq}})
        self.config = self.bridge.config_path
        prod = records.Producer(kafka.bootstrap)
        for rid in range(1, count + 1):
            env = records.envelope(TABLE, 'created', rid)
            prod.send(self.topic, records.encode(TABLE, env), key=b'row-%d' % rid, meta=rid,
                      headers=[('trace_id', b'trace-%d' % rid)] if rid % 2 else None)
        self.placed = {m['meta']: m for m in prod.flush()}
        self.bridge.start()
        wait_until(lambda: self.bridge.assert_running() or
                   (len(receiver.delivered('good')) >= count and
                    kafka.fully_committed('g-' + uniq, [self.topic])),
                   90, 'the bridge to deliver to good and dead-letter bad')
        rc, _ = self.bridge.terminate(20)
        assert rc == 0
        self.refused = {r.record_id: r for r in receiver.snapshot('bad')}
        assert len(self.refused) == count
        assert len(self.dead_letters()) == count
        self.seen = len(receiver.snapshot())

    def dead_letters(self):
        """Every record of the dead-letter topic: [(partition, offset, headers)]."""
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
        ends = self.kafka.end_offsets([self.dlq])
        c = Consumer({'bootstrap.servers': self.kafka.bootstrap, 'group.id': 'it-dlq-reader',
                      'enable.auto.commit': False, 'log_level': 0})
        c.assign([TopicPartition(self.dlq, p, OFFSET_BEGINNING) for p in range(3)])
        got = []
        deadline = time.monotonic() + 30
        try:
            while len(got) < sum(ends.values()) and time.monotonic() < deadline:
                m = c.poll(0.5)
                if m is None or m.error():
                    continue
                got.append((m.partition(), m.offset(),
                            {k: v.decode() for k, v in m.headers() or []}))
        finally:
            c.close()
        return got

    def new_requests(self, hook=None):
        return [r for r in self.receiver.snapshot()[self.seen:] if hook is None or
                r.hook == hook]

    def replay(self, *args, timeout=120):
        return subprocess.run([bridge_bin(), 'replay', '--config', self.config] + list(args),
                              capture_output=True, timeout=timeout)

    def check_replayed(self, reqs, allow_one_duplicate=False):
        """Every dead letter arrived: signed, 2xx, identical to the refused attempt, in origin
        order per partition; duplicates (by record id) returned as a count."""
        problems = []
        ok = [r for r in reqs if r.ok]
        ids = collections.Counter(r.record_id for r in ok)
        if set(ids) != set(self.placed):
            problems.append('replayed %d distinct records of %d (missing e.g. %s)' % (
                len(ids), len(self.placed), sorted(set(self.placed) - set(ids))[:5]))
        dups = sum(n - 1 for n in ids.values())
        last = {}
        first_seen = set()
        for r in ok:
            rid = r.record_id
            refused = self.refused[rid]
            if not r.sig_ok:
                problems.append('record %d: signature does not verify' % rid)
            if r.body != refused.body or r.signature != refused.signature:
                problems.append('record %d: body or signature differs from the refused attempt'
                                % rid)
            if rid in first_seen:
                continue
            first_seen.add(rid)
            m = self.placed[rid]
            if m['partition'] in last and last[m['partition']] > m['offset']:
                problems.append('partition %d: offset %d replayed after %d' % (
                    m['partition'], m['offset'], last[m['partition']]))
            last[m['partition']] = m['offset']
        assert not problems, '%d problem(s):\n  %s' % (len(problems), '\n  '.join(problems[:20]))
        assert dups <= (1 if allow_one_duplicate else 0), '%d duplicate(s)' % dups
        return dups


def group_of(stdout):
    m = GROUP_LINE.search(stdout)
    assert m, stdout[:500]
    return m.group(1)


@pytest.mark.timeout(300)
def test_replay_after_the_hook_is_fixed(kafka, receiver, bridges, uniq):
    backlog = Backlog(kafka, receiver, bridges, uniq, 200)
    dl = backlog.dead_letters()
    # the dead letters say where the originals came from, with the payload's request id and
    # the producer's trace id, and they are spread over the dead-letter topic's partitions
    assert {d[0] for d in dl} == {0, 1, 2}
    refused_at = {(backlog.placed[rid]['partition'], backlog.placed[rid]['offset']): r
                  for rid, r in backlog.refused.items()}
    for _, _, h in dl:
        assert h['perscom.hook'] == 'bad' and h['perscom.reason'] == 'refused'
        payload = refused_at[(int(h['perscom.partition']), int(h['perscom.offset']))].payload()
        assert h['perscom.request_id'] == payload['request_id']
        assert h.get('perscom.trace_id') == payload['trace_id']
    assert sum(1 for _, _, h in dl if 'perscom.trace_id' in h) == 100

    receiver.set_behaviour('bad', status=204)
    t0 = time.monotonic()
    proc = backlog.replay()
    took = time.monotonic() - t0
    out = proc.stdout.decode()
    assert proc.returncode == 0, (out[-3000:], proc.stderr.decode()[-2000:])
    assert backlog.new_requests('good') == [], 'replay sent to the hook that had them'
    backlog.check_replayed(backlog.new_requests('bad'))
    assert len(backlog.new_requests('bad')) == 200
    assert 'delivered 200 record(s) (200 request(s)), failed again 0, not sent 0' in out, out
    print('REPLAY 200 dead letters over 3 partitions: %.1f s' % took)
    # nothing removed from the dead-letter topic; the replay group committed all of it
    assert len(backlog.dead_letters()) == 200
    group = group_of(out)
    ends = kafka.end_offsets([backlog.dlq])
    assert kafka.committed_offsets(group, [backlog.dlq]) == ends
    # the same command again: nothing left to send
    proc = backlog.replay()
    assert proc.returncode == 0, proc.stderr
    assert 'delivered 0 record(s)' in proc.stdout.decode()
    assert len(backlog.new_requests('bad')) == 200


@pytest.mark.timeout(300)
@pytest.mark.parametrize('how', ['sigint', 'kill9'])
def test_interrupted_replay_resumes_without_duplicates(kafka, receiver, bridges, uniq, how):
    backlog = Backlog(kafka, receiver, bridges, uniq, 120)
    receiver.set_behaviour('bad', status=204, delay=0.04)
    proc = subprocess.Popen([bridge_bin(), 'replay', '--config', backlog.config],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: len(backlog.new_requests('bad')) >= 40, 60,
                   'the replay to be well under way')
        proc.send_signal(signal.SIGINT if how == 'sigint' else signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = out.decode()
    sent_first = len(backlog.new_requests('bad'))
    assert sent_first < 120, 'the replay finished before it was interrupted'
    if how == 'sigint':
        assert proc.returncode == 5, (out[-2000:], err.decode()[-2000:])
        assert 'stopped: interrupted; run the same command again to resume' in out
    else:
        assert proc.returncode == -signal.SIGKILL
    proc2 = backlog.replay()
    out2 = proc2.stdout.decode()
    assert proc2.returncode == 0, (out2[-3000:], proc2.stderr.decode()[-2000:])
    assert 'resuming an interrupted replay' in out2
    dups = backlog.check_replayed(backlog.new_requests('bad'), allow_one_duplicate=how == 'kill9')
    print('REPLAY interrupted (%s) after %d of 120, resumed: %d duplicate(s)'
          % (how, sent_first, dups))
    if how == 'sigint':
        # what the first run finished is either behind the committed offsets (not read again)
        # or read and known done from the progress note
        m = re.search(r'read (\d+), .*done by an earlier run (\d+)', out2)
        assert m, out2[-1500:]
        assert (120 - int(m.group(1))) + int(m.group(2)) == sent_first, out2[-1500:]


@pytest.mark.timeout(300)
def test_dry_run_filters_and_failures(kafka, receiver, bridges, uniq):
    backlog = Backlog(kafka, receiver, bridges, uniq, 60)
    receiver.set_behaviour('bad', status=204)

    # --dry-run lists every request and sends and commits nothing
    proc = backlog.replay('--dry-run')
    out = proc.stdout.decode()
    assert proc.returncode == 0, (out[-2000:], proc.stderr.decode())
    would = [l for l in out.splitlines() if l.startswith('would send  ')]
    assert len(would) == 60 and all(' -> bad ' in l for l in would)
    assert 'would send 60 record(s) (60 request(s))' in out
    assert backlog.new_requests() == []
    assert kafka.committed_offsets(group_of(out), [backlog.dlq]) == {
        (backlog.dlq, p): None for p in range(3)}

    # filters: one origin partition; a reason none has; another hook
    part = [m for m in backlog.placed.values() if m['partition'] == 2]
    proc = backlog.replay('--dry-run', '--origin-partition', '2')
    out = proc.stdout.decode()
    assert proc.returncode == 0
    lines = [l for l in out.splitlines() if l.startswith('would send  ')]
    assert len(lines) == len(part) > 0
    offsets = [int(re.search(r' \[2\] @(\d+) ', l).group(1)) for l in lines]
    assert offsets == sorted(m['offset'] for m in part)
    for args in (['--reason', 'undecodable'], ['--hook', 'good'], ['--until', '2000-01-01'],
                 ['--event', 'user.*']):
        proc = backlog.replay('--dry-run', *args)
        assert proc.returncode == 0, (args, proc.stderr)
        assert 'would send 0 record(s)' in proc.stdout.decode(), (args, proc.stdout)
    proc = backlog.replay('--dry-run', '--since', '1h', '--event', 'event.created')
    assert 'would send 60 record(s)' in proc.stdout.decode()
    assert backlog.new_requests() == []

    # usage errors
    for args, text in ((['--hook', 'nope'], 'no hook named nope'),
                       (['--reason', 'lost'], '--reason lost'),
                       (['--since', 'yesterday'], "'yesterday' is not a time"),
                       (['--topic', backlog.topic], '--topic wants --partition'),
                       (['--topic', backlog.topic, '--partition', '0', '--reason', 'refused'],
                        'filter dead letters')):
        proc = backlog.replay(*args)
        assert proc.returncode == 2, (args, proc)
        assert text in proc.stderr.decode(), (args, proc.stderr)

    # a dead-letter topic that does not exist
    proc = backlog.replay('--dead-letter-topic', backlog.dlq + '.none')
    assert proc.returncode == 1, proc
    assert 'topic %s.none: ' % backlog.dlq in proc.stderr.decode(), proc.stderr

    # still refusing: each fails again, is dead-lettered again (listed), exit 4
    receiver.set_behaviour('bad', status=422, body=b'still no')
    proc = backlog.replay('--origin-partition', '1')
    out = proc.stdout.decode()
    p1 = [m for m in backlog.placed.values() if m['partition'] == 1]
    assert proc.returncode == 4, (out[-2000:], proc.stderr.decode())
    assert 'failed again %d' % len(p1) in out
    lines = out.splitlines()
    assert sum(1 for l in lines if l.startswith('failed      event.created')) == len(p1)
    # listed again in the summary
    listed = lines[lines.index('listed:'):]
    assert sum(1 for l in listed if l.startswith('  failed      event.created')) == len(p1)
    dl = backlog.dead_letters()
    assert len(dl) == 60 + len(p1), 'the failures are kept, nothing is removed'
    again = [h for _, off, h in dl if h.get('perscom.status') == '422']
    assert len(again) == len(p1)
    assert {int(h['perscom.offset']) for h in again} == {m['offset'] for m in p1}
    assert all(h['perscom.hook'] == 'bad' and h['perscom.reason'] == 'refused' and
               h['perscom.request_id'] for h in again)
    assert len(backlog.new_requests('bad')) == len(p1)

    # a record topic's range: every subscribed hook gets those records, in offset order
    receiver.set_behaviour('bad', status=204)
    before = len(receiver.snapshot())
    p0 = sorted((m for m in backlog.placed.values() if m['partition'] == 0),
                key=lambda m: m['offset'])
    lo, hi = p0[1]['offset'], p0[-2]['offset']
    proc = backlog.replay('--topic', backlog.topic, '--partition', '0', '--from-offset',
                          str(lo), '--to-offset', str(hi))
    assert proc.returncode == 0, (proc.stdout.decode()[-2000:], proc.stderr.decode())
    got = receiver.snapshot()[before:]
    want = [m['meta'] for m in p0[1:-1]]
    for name in ('good', 'bad'):
        reqs = [r for r in got if r.hook == name]
        assert [r.record_id for r in reqs] == want, name
        assert all(r.sig_ok and r.ok for r in reqs)


@pytest.mark.timeout(300)
def test_without_a_dead_letter_topic_a_failure_stops_the_replay(kafka, receiver, bridges, uniq,
                                                                tmp_path):
    import yaml
    backlog = Backlog(kafka, receiver, bridges, uniq, 40)
    with open(backlog.config) as f:
        conf = yaml.safe_load(f)
    del conf['dead_letter']
    config = tmp_path / 'no-dlq.yaml'
    config.write_text(yaml.safe_dump(conf))
    p3 = sorted((m for m in backlog.placed.values() if m['partition'] == 3),
                key=lambda m: m['offset'])
    assert len(p3) >= 4
    stuck = p3[2]
    args = [bridge_bin(), 'replay', '--config', str(config), '--topic', backlog.topic,
            '--partition', '3', '--hook', 'bad']
    # the hook takes two, then answers 503 to everything: the third record is retried
    # (--attempts 2) and, with nowhere to keep it, the replay stops there without passing it
    receiver.set_behaviour('bad', status=503, ok_first=len(receiver.delivered('bad')) + 2)
    proc = subprocess.run(args + ['--attempts', '2'], capture_output=True, timeout=120)
    out = proc.stdout.decode()
    assert proc.returncode == 4, (out[-2000:], proc.stderr.decode())
    assert 'there is no dead_letter.topic to keep it' in out
    assert 'run the same command again to resume' in out
    failed = [r for r in backlog.new_requests('bad') if not r.ok]
    assert [r.record_id for r in failed] == [stuck['meta']] * 2
    # fixed: the same command resumes at that record
    receiver.set_behaviour('bad', status=204)
    proc = subprocess.run(args, capture_output=True, timeout=120)
    assert proc.returncode == 0, (proc.stdout.decode()[-2000:], proc.stderr.decode())
    assert 'resuming an interrupted replay' in proc.stdout.decode()
    got = [r.record_id for r in backlog.new_requests('bad') if r.ok]
    assert got == [m['meta'] for m in p3]


@pytest.mark.timeout(300)
def test_apicurio_header_framed_dead_letters_replay(kafka, registry, receiver, bridges, uniq):
    """Values framed by Apicurio's headers (the whole value is Avro; the schema's id is in the
    header apicurio.value.contentId): their dead letters carry that header on, so replay
    decodes them again and sends the same requests."""
    import struct
    topic = 'it.%s.%s' % (uniq, TABLE)
    dlq = 'it.%s.dead-letter' % uniq
    kafka.create_topics([topic], partitions=1)
    kafka.create_topics([dlq], partitions=1)
    content_id = registry.register(records.schema_text(TABLE))
    header = [('apicurio.value.contentId', struct.pack('>q', content_id))]
    receiver.set_behaviour('bad', status=400, body=b'{"message":"nope"}')
    b = bridges('b', 'g-' + uniq, [{'name': topic, 'format': 'confluent'}],
                [hook(receiver, 'bad', ['*'])], registry_url=registry.url,
                extra={'dead_letter': {'topic': dlq}})
    prod = records.Producer(kafka.bootstrap)
    for rid in range(1, 11):
        prod.send(topic, records.encode(TABLE, records.envelope(TABLE, 'created', rid)),
                  key=b'row-%d' % rid, meta=rid, headers=header)
    prod.flush()
    b.start()
    wait_until(lambda: b.assert_running() or
               (len(receiver.snapshot('bad')) >= 10 and
                kafka.fully_committed('g-' + uniq, [topic])), 90, 'ten dead letters')
    assert b.terminate(20)[0] == 0
    refused = {r.record_id: r for r in receiver.snapshot('bad')}
    assert sorted(refused) == list(range(1, 11))

    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
    c = Consumer({'bootstrap.servers': kafka.bootstrap, 'group.id': 'it-dlq-' + uniq,
                  'enable.auto.commit': False, 'log_level': 0})
    c.assign([TopicPartition(dlq, 0, OFFSET_BEGINNING)])
    dead = []
    deadline = time.monotonic() + 30
    while len(dead) < 10 and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            dead.append(dict(m.headers() or []))
    c.close()
    assert len(dead) == 10
    for h in dead:
        assert h.get('apicurio.value.contentId') == struct.pack('>q', content_id), h.keys()
        assert h['perscom.reason'] == b'refused'

    receiver.set_behaviour('bad', status=204)
    seen = len(receiver.snapshot('bad'))
    proc = subprocess.run([bridge_bin(), 'replay', '--config', b.config_path],
                          capture_output=True, timeout=120)
    out = proc.stdout.decode()
    assert proc.returncode == 0, (out[-3000:], proc.stderr.decode()[-2000:])
    again = [r for r in receiver.snapshot('bad')[seen:] if r.ok]
    assert sorted(r.record_id for r in again) == list(range(1, 11))
    for r in again:
        assert r.sig_ok and r.body == refused[r.record_id].body
