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
