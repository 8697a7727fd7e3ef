"""Health and metrics endpoints of a real bridge process (admin.listen)."""
import socket
import time
import urllib.error
import urllib.request

from . import records
from .records import wait_until
from .test_delivery import hook, produce_creates


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def get(port, path):
    """(status, body); status 0 while nothing listens yet."""
    try:
        with urllib.request.urlopen('http://127.0.0.1:%d%s' % (port, path), timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except urllib.error.URLError:
        return 0, ''


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + ' ') or line.startswith(name + '{'):
            return float(line.rsplit(' ', 1)[1])
    raise AssertionError('metric %s missing' % name)


def test_health_readiness_and_metrics(kafka, receiver, bridges, uniq):
    table = 'records_service'
    topic = 'it.%s.%s' % (uniq, table)
    kafka.create_topics([topic], partitions=2)
    port = free_port()
    hooks = [hook(receiver, 'ok', ['*']), hook(receiver, 'down', ['*'])]
    receiver.set_behaviour('down', status=503)
    b = bridges('b', 'g-' + uniq, [{'name': topic, 'format': 'avro',
                                    'schema': records.schema_path(table)}], hooks,
                extra={'admin': {'listen': '127.0.0.1:%d' % port}},
                delivery={'probe_after_failures': 2, 'backoff_initial_ms': 50,
                          'backoff_max_ms': 200})
    b.start()
    wait_until(lambda: b.assert_running() or get(port, '/healthz')[0] == 200, 20, '/healthz')
    status, body = get(port, '/healthz')
    assert status == 200 and body.startswith('ok')
    wait_until(lambda: get(port, '/readyz')[0] == 200, 30, '/readyz ready after joining')

    n = 20
    produce_creates(kafka, topic, table, n)
    wait_until(lambda: len(receiver.delivered('ok')) >= n, 30, 'deliveries to the ok hook')
    time.sleep(0.5)
    status, text = get(port, '/metrics')
    assert status == 200
    assert metric(text, 'perscom_bridge_messages_total') == n
    assert metric(text, 'perscom_bridge_partitions_assigned') == 2
    assert 'perscom_bridge_deliveries_total{hook="ok",outcome="delivered"} %d' % n in text
    assert metric(text, 'perscom_bridge_attempts_failed_total{hook="down"}') >= 2
    assert 'perscom_bridge_hook_probing{hook="down"} 1' in text
    assert 'perscom_bridge_hook_probing{hook="ok"} 0' in text
    assert get(port, '/nope')[0] == 404

    rc, _ = b.terminate(timeout=20)
    assert rc == 0


def test_partition_held_by_policy_block_is_visible(kafka, receiver, bridges, uniq):
    """An undeliverable message under policy block (no dead-letter topic): the partition waits
    at it, which shows as partitions_held{reason="undeliverable"} 1; the message is counted once
    in undecodable_total and logged once (a reminder at most every minute), however often it is
    retried; /readyz stays 200 (a restart would not help); the exit summary counts it."""
    table = 'records_ranks'
    topic = 'it.%s.%s' % (uniq, table)
    kafka.create_topics([topic], partitions=2)
    prod = records.Producer(kafka.bootstrap)
    prod.send(topic, b'\x07not avro at all', partition=0, meta=0)
    for rid in range(1, 6):
        prod.send(topic, records.encode(table, records.envelope(table, 'created', rid)),
                  partition=1, meta=rid)
    prod.flush()
    port = free_port()
    b = bridges('b', 'g-' + uniq, [{'name': topic, 'format': 'avro',
                                    'schema': records.schema_path(table)}],
                [hook(receiver, 'h', ['*'])],
                extra={'admin': {'listen': '127.0.0.1:%d' % port}},
                delivery={'backoff_initial_ms': 50, 'backoff_max_ms': 200})
    b.start()
    wait_until(lambda: b.assert_running() or len(receiver.delivered('h')) >= 5, 30,
               'partition 1 delivered')
    wait_until(lambda: metric(get(port, '/metrics')[1],
                              'perscom_bridge_partitions_held{reason="undeliverable"}') == 1,
               20, 'partitions_held{reason="undeliverable"} 1')
    time.sleep(3)  # many retries at 50-200 ms
    status, text = get(port, '/metrics')
    assert metric(text, 'perscom_bridge_partitions_held{reason="undeliverable"}') == 1
    assert metric(text, 'perscom_bridge_partitions_held{reason="registry"}') == 0
    assert metric(text, 'perscom_bridge_undecodable_total') == 1
    assert get(port, '/readyz')[0] == 200
    rc, _ = b.terminate(15)
    assert rc == 0
    log = b.log_text()
    errors = [line for line in log.splitlines() if 'undeliverable (' in line]
    assert len(errors) == 1, errors
    assert 'still waiting' not in log
    assert '1 undeliverable' in log, log[-500:]


def lag_by_partition(text):
    out = {}
    for line in text.splitlines():
        if line.startswith('perscom_bridge_consumer_lag{'):
            labels, value = line.rsplit(' ', 1)
            part = int(labels.split('partition="')[1].split('"')[0])
            out[part] = float(value)
    return out


def test_consumer_lag_follows_a_backlog_down_to_zero(kafka, receiver, bridges, uniq):
    table = 'records_ranks'
    topic = 'it.%s.%s' % (uniq, table)
    kafka.create_topics([topic], partitions=2)
    n = 300
    placed = produce_creates(kafka, topic, table, n)
    port = free_port()
    h = hook(receiver, 'slow', ['*'])
    receiver.set_behaviour('slow', delay=0.01)
    b = bridges('b', 'g-' + uniq, [{'name': topic, 'format': 'avro',
                                    'schema': records.schema_path(table)}], [h],
                extra={'admin': {'listen': '127.0.0.1:%d' % port}},
                delivery={'commit_interval_ms': 200})
    b.start()
    seen = []

    def lag_seen():
        b.assert_running()
        lags = lag_by_partition(get(port, '/metrics')[1])
        if len(lags) == 2:
            seen.append(sum(lags.values()))
        return seen and max(seen) > 50
    wait_until(lag_seen, 30, 'a lag over 50 while the backlog drains')
    wait_until(lambda: len(receiver.delivered('slow')) >= n, 60, 'the backlog delivered')
    wait_until(lambda: lag_seen() is not None and seen[-1] == 0, 20, 'lag back to 0')
    ends = {p: 1 + max(m['offset'] for m in placed.values() if m['partition'] == p)
            for p in (0, 1)}
    assert max(seen) <= sum(ends.values())
    # the lag went down, not up, once the drain was under way
    peak = seen.index(max(seen))
    assert seen[-1] == 0 and all(x >= 0 for x in seen[peak:])
