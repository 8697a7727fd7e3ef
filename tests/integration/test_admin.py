"""Health and metrics endpoints of a real bridge process (admin.listen)."""
import json
import os
import socket
import subprocess
import sys
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


def probe(port, timeout):
    """One /healthz on a new connection, as a liveness probe does: (seconds, response bytes or
    an error text). The time runs from the connect to the server's close."""
    t0 = time.monotonic()
    data = b''
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=timeout) as s:
            s.sendall(b'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                      b'User-Agent: kube-probe\r\n\r\n')
            while time.monotonic() - t0 < timeout:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError as e:
        return time.monotonic() - t0, 'error: %s' % e
    return time.monotonic() - t0, data


def open_fds(pid):
    return len(os.listdir('/proc/%d/fd' % pid))


def test_probes_not_starved_by_slow_clients(kafka, receiver, bridges, uniq):
    """500 slow clients (450 trickling a request head a byte every 250 ms, 50 idle, each
    reconnecting when closed) cannot delay /healthz: 20 probes all answer 200 within 100 ms.
    Before the fix (32 connections, one 5 s deadline from the accept, the listener left alone
    while full) they took seconds."""
    table = 'records_ranks'
    topic = 'it.%s.%s' % (uniq, table)
    kafka.create_topics([topic], partitions=1)
    port = free_port()
    b = bridges('b', 'g-' + uniq, [{'name': topic, 'format': 'avro',
                                    'schema': records.schema_path(table)}],
                [hook(receiver, 'ok', ['*'])],
                extra={'admin': {'listen': '127.0.0.1:%d' % port}}, log_level='info')
    b.start()
    wait_until(lambda: b.assert_running() or get(port, '/healthz')[0] == 200, 20, '/healthz')
    quiet = [probe(port, 3)[0] for _ in range(5)]
    fds_before = open_fds(b.proc.pid)

    slowloris = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'slowloris.py')
    attacker = subprocess.Popen([sys.executable, slowloris, str(port), '450', '50', '0.25', '300'],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert attacker.stdout.readline().strip() == 'ready'
        time.sleep(1.0)  # the slow heads are well under way, the idle ones have sat for 1.5 s
        results = []
        fds_during = 0
        for _ in range(20):
            results.append(probe(port, 3))
            fds_during = max(fds_during, open_fds(b.proc.pid))
            time.sleep(0.05)
        attacker.stdin.close()
        stats = json.loads(attacker.stdout.readline())
        attacker.wait(timeout=10)
    finally:
        if attacker.poll() is None:
            attacker.kill()
            attacker.wait()

    latencies = sorted(r[0] for r in results)
    summary = ('quiet max %.1f ms; under 500 slow clients: min %.1f ms, median %.1f ms, '
               'max %.1f ms; bridge fds %d -> %d; attacker %s'
               % (max(quiet) * 1000, latencies[0] * 1000, latencies[10] * 1000,
                  latencies[-1] * 1000, fds_before, fds_during, stats))
    print('ADMIN ' + summary)
    b.assert_running()
    for seconds, data in results:
        assert isinstance(data, bytes) and data.startswith(b'HTTP/1.1 200 OK\r\n') and \
            data.endswith(b'\r\n\r\nok\n'), (seconds, data, summary)
    assert latencies[-1] < 0.100, summary
    # the attack was real: every client connected, and the server closed slow ones for new ones
    assert stats['connects'] >= 500 and stats['closed_by_server'] > 0, summary
    assert stats['bytes_sent'] > 450, summary
    assert fds_during - fds_before <= 32 + 2, summary  # admin.max_connections (+ a probe)
    assert 'closed to make room for new ones' in b.log_text()
    assert get(port, '/healthz')[0] == 200
    rc, _ = b.terminate(timeout=20)
    assert rc == 0
