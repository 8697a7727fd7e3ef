"""The dead-letter producer refused by the brokers (issue 14, part 2), against a real broker.

The cause is the broker's own: a KRaft broker of its own with an authorizer, and ACLs that
take from the bridge's principal both `IdempotentWrite` on the cluster and `Write` on every
topic. An idempotent producer asks a broker for a producer id (InitProducerId) when it starts;
Kafka refuses it with CLUSTER_AUTHORIZATION_FAILED, and librdkafka 2.0.2 makes that a fatal
error of the producer (`rd_kafka_idemp_check_error`). So while the ACLs are in place every
producer the bridge starts is fatal within milliseconds: the persistent cause that used to
stop the bridge at its second failure within 5 s.

The test clients and the bridge share the PLAINTEXT principal User:ANONYMOUS, so the test
produces its messages before the ACLs go in; reading and group membership stay allowed (the
ACLs allow everything else to User:*, since a resource with any ACL is no longer covered by
`allow.everyone.if.no.acl.found`).

Scenarios (each ends with a `FAULTS <name>: ...` line, as in test_faults.py):

- `dlproducer-refused-30s`: the ACLs are in place when the bridge starts and stay 30 s after
  its producer's first fatal error, then they are deleted. The bridge keeps running and
  delivering to its healthy hook; the refused hook's dead letters wait; /readyz answers 503
  with the producer's status and the broker's reason for the whole fault, /metrics shows
  deadletter_producer_up 0 and the restarts (at once, 5 s, 15 s, 35 s after the first failure:
  four, the fourth after the ACLs went); afterwards every dead letter lands once, later than
  the recovery, /readyz is 200, and the group commits everything. Offsets never passed a
  message whose dead letter had not landed.
- `dlproducer-exit-time`: the same refusal with dead_letter.producer_failure_exit_ms 8000: the
  bridge exits 1 about 8 s after the first failure, with nothing committed past a message whose
  dead letter did not land; once the ACLs are gone, a new run dead-letters them all.
"""
import os
import threading
import time

import pytest

from .bridge import Bridge, make_config
from .kafka_broker import Broker, free_port
from .records import wait_until
from .test_admin import get, metric
from .test_faults import (COMMIT_INTERVAL_MS, CommitSampler, Load, analyse, avro_topic,
                          check_dead_letter_headers, dead_letters, hook, log_times, summary)

AUTHORIZER = {
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found': 'true',
}
PRINCIPAL = 'User:ANONYMOUS'  # PLAINTEXT: the bridge, and the test's own clients too
FAULT_S = 30.0
REFUSED = 'Cluster authorization failed'


@pytest.fixture(scope='module')
def acl_kafka(workdir):
    broker = Broker(os.path.join(workdir, 'kafka-acl'), num_partitions=4, extra_props=AUTHORIZER)
    try:
        broker.start()
    except Exception as e:  # fail loudly, never skip
        pytest.fail('the Kafka broker with an authorizer did not start: %s' % e, pytrace=False)
    yield broker
    broker.stop()


def refuse_producer_ids(broker):
    """ACLs that make the brokers refuse PRINCIPAL a producer id (InitProducerId without a
    transactional id needs IdempotentWrite on the cluster or Write on some topic), everything
    else allowed to everyone. Returns once a fresh idempotent producer is refused (fatal)."""
    from confluent_kafka import KafkaException, Producer
    from confluent_kafka.admin import (AclBinding, AclOperation, AclPermissionType,
                                       ResourcePatternType, ResourceType)
    lit, allow, deny = ResourcePatternType.LITERAL, AclPermissionType.ALLOW, AclPermissionType.DENY
    broker.create_acls([
        AclBinding(ResourceType.BROKER, 'kafka-cluster', lit, 'User:*', '*', AclOperation.ALL,
                   allow),
        AclBinding(ResourceType.BROKER, 'kafka-cluster', lit, PRINCIPAL, '*',
                   AclOperation.IDEMPOTENT_WRITE, deny),
        AclBinding(ResourceType.TOPIC, '*', lit, 'User:*', '*', AclOperation.ALL, allow),
        AclBinding(ResourceType.TOPIC, '*', lit, PRINCIPAL, '*', AclOperation.WRITE, deny),
    ])
    # The broker applies the ACLs from its metadata log a moment after create_acls returns: a
    # producer that got its id just before is not refused, so try fresh ones until one is.
    deadline = time.monotonic() + 30
    fatal = []
    while not fatal and time.monotonic() < deadline:
        p = Producer({'bootstrap.servers': broker.bootstrap, 'enable.idempotence': True,
                      'log_level': 0,
                      'error_cb': lambda e: fatal.append(e) if e.fatal() else None})
        tried = time.monotonic()
        while not fatal and time.monotonic() < tried + 2:
            try:
                p.poll(0.2)
            except KafkaException as e:  # poll raises the fatal error itself
                fatal.append(e.args[0])
        del p
    assert fatal and REFUSED in str(fatal[0]), 'the ACLs did not refuse a producer id: %s' % fatal


class Probe:
    """Samples /readyz and two metrics of a bridge every 0.5 s from a thread:
    samples: [(time.time(), /readyz status, /readyz body, producer_up, restarts)]."""

    def __init__(self, port):
        self.port = port
        self.samples = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name='readyz-probe')

    def _run(self):
        while not self.stopped.is_set():
            t = time.time()
            status, body = get(self.port, '/readyz')
            code, text = get(self.port, '/metrics')
            if status and code == 200:
                self.samples.append((t, status, body, self.metric(text, 'up'),
                                     self.metric(text, 'restarts_total')))
            self.stopped.wait(0.5)

    @staticmethod
    def metric(text, name):
        """perscom_bridge_deadletter_producer_<name>, or None when /metrics lacks it."""
        try:
            return metric(text, 'perscom_bridge_deadletter_producer_' + name)
        except AssertionError:
            return None

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopped.set()
        self.thread.join(15)


def bridge_for(broker, workdir, name, group, topic, table, hooks, dlq, port, properties=None,
               **dead_letter):
    conf = make_config(broker.bootstrap, group, avro_topic(topic, table), hooks,
                       delivery={'commit_interval_ms': COMMIT_INTERVAL_MS}, properties=properties,
                       extra={'dead_letter': dict({'topic': dlq}, **dead_letter),
                              'admin': {'listen': '127.0.0.1:%d' % port}})
    return Bridge(os.path.join(workdir, name), conf)


def dead_letter_checks(dl, placed, topic, want_rids):
    """Every record of the dead-letter topic names one message of want_rids, with its key and
    value; each of want_rids exactly once. Returns {rid: the dead letter's timestamp}."""
    by_pos = {(m['partition'], m['offset']): m for m in placed.values()}
    failures = []
    when = {}
    for rec in dl:
        m, why = check_dead_letter_headers(rec, by_pos, topic)
        if why:
            failures.append(why)
            continue
        rid = m['meta']
        if rid in when:
            failures.append('record %d dead-lettered more than once' % rid)
        when[rid] = rec[3]
        if rec[2].get('perscom.reason') != 'refused' or rec[2].get('perscom.status') != '400':
            failures.append('record %d: reason %r status %r' % (rid, rec[2].get('perscom.reason'),
                                                               rec[2].get('perscom.status')))
    if set(when) != want_rids:
        failures.append('dead-lettered %d message(s), want the %d the hook refused (missing %s, '
                        'extra %s)' % (len(when), len(want_rids), sorted(want_rids - set(when))[:5],
                                       sorted(set(when) - want_rids)[:5]))
    assert not failures, 'dead-letter topic: %d problem(s):\n  %s' % (len(failures),
                                                                   '\n  '.join(failures[:30]))
    return when


def commits_never_passed(samples, placed, landed):
    """No committed offset sample passed a message whose dead letter had not landed yet
    (landed: {rid: time the dead letter was produced})."""
    past = []
    for rid, t_landed in landed.items():
        m = placed[rid]
        tp = (m['topic'], m['partition'])
        for t, committed in samples:
            if t < t_landed - 1.0 and committed.get(tp, 0) > m['offset']:
                past.append((rid, m['partition'], m['offset'], committed[tp]))
                break
    assert not past, ('committed offsets passed messages whose dead letter had not landed '
                      '(record, partition, offset, committed): %s' % past[:5])


def wait_dead_letters(broker, dlq, count, bridge, timeout):
    """The dead-letter topic's records once it holds count (fails if the bridge exits)."""
    wait_until(lambda: bridge.assert_running() or
               len(dead_letters(broker.bootstrap, dlq, count, timeout=2, settle=0)) >= count,
               timeout, '%d dead letters' % count, interval=1.0)
    return dead_letters(broker.bootstrap, dlq, count, timeout=10, settle=2.0)


@pytest.mark.timeout(360)
@pytest.mark.parametrize('when', ['at-start', 'mid-run'])
def test_dead_letter_producer_refused_for_30s_then_recovers(acl_kafka, workdir, receiver, uniq,
                                                            faults_summary, request, when):
    """at-start: the default configuration; the ACLs are in place before the bridge starts, so
    its first producer is refused its id. mid-run: `enable.gapless.guarantee` makes the working
    producer's first refused produce (TOPIC_AUTHORIZATION_FAILED) a fatal error, with dead
    letters of the refused hook landing before the fault and waiting in it; the restarted
    producers are then refused their ids like at-start."""
    table = 'events'
    topic = 'it.%s.%s' % (uniq, table)
    dlq = 'it.%s.dead-letter' % uniq
    partitions = 4
    group = 'g-' + uniq
    port = free_port()
    name = 'dlproducer-refused-30s-' + when
    acl_kafka.create_topics([topic], partitions=partitions)
    acl_kafka.create_topics([dlq], partitions=1)
    hooks = [hook(receiver, 'good', ['*']), hook(receiver, 'bad', ['event.created'])]
    receiver.set_behaviour('bad', status=400, body=b'{"message":"nope"}')
    props = {'enable.gapless.guarantee': 'true'} if when == 'mid-run' else {}
    first_batch = 150 if when == 'at-start' else 60
    load = Load(acl_kafka.bootstrap, topic, table, batch=30, pause=0.05,
                total=first_batch).start()
    placed = load.result()
    b = bridge_for(acl_kafka, workdir, os.path.join(request.node.name, 'b'), group, topic, table,
                   hooks, dlq, port, properties=props)
    sampler = probe = None
    acls = False
    before = []
    try:
        sampler = CommitSampler(acl_kafka.bootstrap, group, [topic], partitions).start()
        probe = Probe(port).start()
        if when == 'at-start':
            refuse_producer_ids(acl_kafka)
            acls = True
            b.start()
        else:
            # the producer works: the refused hook's dead letters land
            b.start()
            early = {rid for rid in placed if load.action(rid) == 'created'}
            wait_dead_letters(acl_kafka, dlq, len(early), b, 60)
            wait_until(lambda: probe.samples and probe.samples[-1][1] == 200, 30, '/readyz 200')
            before = list(probe.samples)
            # more messages while the hook fails transiently, then the refusal goes in and
            # the hook refuses them: the dead letters go to a producer the brokers refuse
            receiver.set_behaviour('bad', status=503)
            more = Load(acl_kafka.bootstrap, topic, table, batch=30, pause=0.05, total=150,
                        first_id=first_batch + 1).start()
            placed.update(more.result())
            wait_until(lambda: b.assert_running() or
                       set(placed) <= {r.record_id for r in receiver.delivered('good')}, 60,
                       'the good hook to get the second batch')
            refuse_producer_ids(acl_kafka)
            acls = True
            receiver.set_behaviour('bad', status=400, body=b'{"message":"nope"}')
        to_bad = {rid for rid in placed if load.action(rid) == 'created'}
        must = {'good': set(placed), 'bad': set()}
        first = wait_until(lambda: b.assert_running() or
                           log_times(b.log_text(), 'restarting the producer'), 60,
                           "the producer's first fatal error")[0]
        wait_until(lambda: b.assert_running() or
                   must['good'] <= {r.record_id for r in receiver.delivered('good')}, 60,
                   'the good hook to get everything during the fault')
        wait_until(lambda: b.assert_running() or
                   {r.record_id for r in receiver.snapshot('bad')} >= to_bad, 30,
                   'the bad hook to refuse all')
        # hold the refusal FAULT_S after the first fatal error
        while time.time() < first + FAULT_S:
            b.assert_running()
            time.sleep(0.5)
        during = [s for s in probe.samples if s[0] >= first + 0.5]
        in_fault = dead_letters(acl_kafka.bootstrap, dlq, len(to_bad), timeout=2, settle=0)
        assert acl_kafka.delete_all_acls() == 4
        acls = False
        t_recover = time.time()
        dl = wait_dead_letters(acl_kafka, dlq, len(to_bad), b, 90)
        t_last = max(r[3] for r in dl)
        wait_until(lambda: b.assert_running() or
                   (probe.samples[-1][1] == 200 and probe.samples[-1][0] > t_last), 30,
                   '/readyz 200 after the dead letters landed')
        wait_until(lambda: b.assert_running() or acl_kafka.fully_committed(group, [topic]), 30,
                   'group fully committed')
        probe.stop()
        rc, _ = b.terminate(timeout=30)
        assert rc == 0, 'exit code %d after SIGTERM\n%s' % (rc, b.log_tail())
    except BaseException:
        print(b.log_tail(150))
        print(acl_kafka.log_tail(30))
        raise
    finally:
        if probe:
            probe.stop()
        if sampler:
            sampler.stop()
        if acls:
            acl_kafka.delete_all_acls()
        b.stop()

    landed = dead_letter_checks(dl, placed, topic, to_bad)
    fault_rids = {rid for rid, t in landed.items() if t > t_recover}
    # what the fault held back waited for the recovery; nothing of it landed earlier
    assert len(in_fault) == len(to_bad) - len(fault_rids), (len(in_fault), len(fault_rids))
    assert fault_rids and all(t < first for rid, t in landed.items() if rid not in fault_rids)
    if when == 'at-start':
        assert fault_rids == to_bad
    else:
        assert fault_rids == {rid for rid in to_bad if rid > first_batch}
        assert before and before[-1][1:4] == (200, 'ok\n', 1), before[-1]
    # /readyz during the fault: 503 with the producer's status and the brokers' reason
    joined = [s for s in during if not s[2].startswith('not in the consumer group')]
    bad = [s for s in joined if s[1] != 503 or not s[2].startswith('dead-letter producer ')
           or 'authorization failed' not in s[2] or s[3] != 0]
    assert joined and not bad, ('/readyz or producer_up during the fault: %d sample(s) of %d, '
                                'e.g. %s' % (len(bad), len(joined), bad[:3]))
    after = [s for s in probe.samples if s[0] > t_last + 1.0]
    assert after and all(s[1:4] == (200, 'ok\n', 1) for s in after), after[:3]
    # restarts: at once, 5 s and 15 s after the first failure while refused; the one at
    # 35 s, after the refusal ended, works
    restarts = [s[4] for s in probe.samples]
    assert restarts == sorted(restarts) and restarts[-1] == 4, restarts[::10]
    assert max(s[4] for s in during) == 3, [s[4] for s in during][::10]
    log = b.log_text()
    assert 'giving up' not in log and 'stopping with an error' not in log
    assert log.count('the producer works again after failing for') == 1
    if when == 'mid-run':
        assert 'gap-less' in log, 'the first fatal error was not the gap-less one'
    commits_never_passed(sampler.samples, placed, landed)
    stats = analyse(name, placed, must, {'good': receiver.snapshot('good'), 'bad': []},
                    sampler.samples)
    assert stats['duplicates'] == 0
    summary(faults_summary, name, len(placed), stats, dead_lettered=len(dl),
            drain_s=t_last - t_recover, refused_s='%.1f' % (t_recover - first),
            held_back=len(fault_rids), restarts=int(restarts[-1]), readyz_503=len(joined))


@pytest.mark.timeout(240)
def test_dead_letter_producer_refused_past_the_exit_time(acl_kafka, workdir, receiver, uniq,
                                                         faults_summary, request):
    table = 'events'
    topic = 'it.%s.%s' % (uniq, table)
    dlq = 'it.%s.dead-letter' % uniq
    partitions = 4
    group = 'g-' + uniq
    port = free_port()
    exit_ms = 8000
    acl_kafka.create_topics([topic], partitions=partitions)
    acl_kafka.create_topics([dlq], partitions=1)
    hooks = [hook(receiver, 'good', ['*']), hook(receiver, 'bad', ['event.created'])]
    receiver.set_behaviour('bad', status=400, body=b'{"message":"nope"}')
    load = Load(acl_kafka.bootstrap, topic, table, batch=20, pause=0.05, total=60).start()
    placed = load.result()
    to_bad = {rid for rid in placed if load.action(rid) == 'created'}
    name = os.path.join(request.node.name, 'b')
    b = bridge_for(acl_kafka, workdir, name, group, topic, table, hooks, dlq, port,
                   producer_failure_exit_ms=exit_ms)
    acls = False
    try:
        refuse_producer_ids(acl_kafka)
        acls = True
        b.start()
        rc = b.proc.wait(timeout=60)
        t_exit = time.time()
        log = b.log_text()
        assert rc == 1, 'exit code %s, want 1\n%s' % (rc, b.log_tail())
        first = log_times(log, 'restarting the producer')[0]
        gave_up = log_times(log, 'giving up')
        assert gave_up and 'stopping with an error: the dead-letter producer has been failing ' \
            'for 8000 ms' in log, b.log_tail()
        took = gave_up[0] - first
        assert exit_ms / 1000.0 <= took < exit_ms / 1000.0 + 2.5, took
        committed = acl_kafka.committed_offsets(group, [topic])
        passed = [rid for rid in to_bad
                  if (committed.get((topic, placed[rid]['partition'])) or 0) >
                  placed[rid]['offset']]
        assert not passed, 'committed past refused messages whose dead letter never landed: ' \
            '%s (committed %s)' % (passed[:5], committed)
        assert not dead_letters(acl_kafka.bootstrap, dlq, 1, timeout=1, settle=0)
        assert acl_kafka.delete_all_acls() == 4
        acls = False
        # the next run (the orchestrator's restart) dead-letters them all
        b2 = bridge_for(acl_kafka, workdir, name + '-again', group, topic, table, hooks, dlq,
                        port)
        try:
            b2.start()
            dl = dead_letters(acl_kafka.bootstrap, dlq, len(to_bad), timeout=60)
            wait_until(lambda: b2.assert_running() or
                       acl_kafka.fully_committed(group, [topic]), 30, 'group fully committed')
            rc2, _ = b2.terminate(timeout=30)
            assert rc2 == 0, 'exit code %d after SIGTERM\n%s' % (rc2, b2.log_tail())
        finally:
            b2.stop()
    except BaseException:
        print(b.log_tail(100))
        print(acl_kafka.log_tail(30))
        raise
    finally:
        if acls:
            acl_kafka.delete_all_acls()
        b.stop()
    landed = dead_letter_checks(dl, placed, topic, to_bad)
    good = {r.record_id for r in receiver.delivered('good')}
    assert set(placed) <= good, 'good hook missing %s' % sorted(set(placed) - good)[:5]
    summary(faults_summary, 'dlproducer-exit-time', len(placed),
            {'delivered': len(good), 'duplicates': len(receiver.delivered('good')) - len(good)},
            dead_lettered=len(dl), drain_s=max(landed.values()) - t_exit,
            exit_after_s='%.1f' % took, exit_code=rc)
