"""The table hooks' discovery of new webhooks topics never holds up deliveries.

A broker of its own with a second listener that is reached through a proxy (this file's
DelayingProxy) and advertises the proxy's address, so the bridge's every connection goes
through it. The proxy holds back the answers to the Metadata requests of the table hooks'
consumer (client.id perscom-bridge-table-hooks) by 1.5 s: each listing of the webhooks topics,
made every second (table_hooks.discover_interval_ms 1000), takes that long. Records produced
every 50 ms must keep reaching a YAML hook with no gap of that length: the listing is made on a
thread of its own (kafka/topicwatch.c). When the loop made it itself, every listing stalled
every delivery for the listing's length.
"""
import os
import socket
import struct
import threading
import time

import pytest

from . import records
from .bridge import Bridge, make_config
from .kafka_broker import Broker, free_port
from .records import wait_until
from .test_admin import get

pytestmark = pytest.mark.timeout(300)

TABLE = 'records_ranks'
CLIENT_ID = b'perscom-bridge-table-hooks'
METADATA = 3
DELAY_S = 1.5


def read_frame(sock):
    """One Kafka frame (size-prefixed) as bytes, or None at the end."""
    head = b''
    while len(head) < 4:
        chunk = sock.recv(4 - len(head))
        if not chunk:
            return None
        head += chunk
    size = struct.unpack('>i', head)[0]
    body = bytearray()
    while len(body) < size:
        chunk = sock.recv(min(65536, size - len(body)))
        if not chunk:
            return None
        body += chunk
    return head + bytes(body)


class DelayingProxy:
    """Forwards 127.0.0.1:port to the broker's listener; answers to Metadata requests of
    CLIENT_ID are held back delay_s (0: none) and counted."""

    def __init__(self, upstream_port):
        self.upstream = upstream_port
        self.port = free_port()
        self.delay_s = 0.0
        self.delayed = 0
        self.lock = threading.Lock()
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(('127.0.0.1', self.port))
        self.server.listen(64)
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closing:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(('127.0.0.1', self.upstream))
            held = set()  # correlation ids whose answers are held back
            threading.Thread(target=self._requests, args=(client, upstream, held),
                             daemon=True).start()
            threading.Thread(target=self._answers, args=(upstream, client, held),
                             daemon=True).start()

    def _requests(self, client, upstream, held):
        try:
            while True:
                frame = read_frame(client)
                if frame is None:
                    break
                api_key, _, correlation, id_len = struct.unpack('>hhih', frame[4:14])
                client_id = frame[14:14 + id_len] if id_len > 0 else b''
                if api_key == METADATA and client_id == CLIENT_ID and self.delay_s > 0:
                    held.add(correlation)
                upstream.sendall(frame)
        except OSError:
            pass
        for s in (client, upstream):
            s.close()

    def _answers(self, upstream, client, held):
        try:
            while True:
                frame = read_frame(upstream)
                if frame is None:
                    break
                correlation = struct.unpack('>i', frame[4:8])[0]
                if correlation in held:
                    held.discard(correlation)
                    time.sleep(self.delay_s)
                    with self.lock:
                        self.delayed += 1
                client.sendall(frame)
        except OSError:
            pass
        for s in (client, upstream):
            s.close()

    def close(self):
        self.closing = True
        self.server.close()


def test_a_slow_listing_does_not_hold_up_deliveries(workdir, receiver, uniq, request):
    slow_port = free_port()
    proxy = DelayingProxy(slow_port)
    broker = Broker(os.path.join(workdir, 'kafka-discovery'), num_partitions=2)
    # a second listener, SLOW, advertised at the proxy: clients that bootstrap through the
    # proxy are told to connect to it (the ports are known once the broker object is made)
    broker.extra_props = {
        'listeners': 'PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d,SLOW://127.0.0.1:%d'
                     % (broker.port, broker.controller_port, slow_port),
        'advertised.listeners': 'PLAINTEXT://127.0.0.1:%d,SLOW://127.0.0.1:%d'
                                % (broker.port, proxy.port),
        'listener.security.protocol.map':
            'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SLOW:PLAINTEXT',
    }
    try:
        broker.start()
    except Exception as e:  # fail loudly, never skip
        proxy.close()
        pytest.fail('the second Kafka broker did not start: %s' % e, pytrace=False)
    b = None
    prod = None
    try:
        prefix = 'it.%s' % uniq
        esc = prefix.replace('.', r'\.')
        webhooks = '%s.t1.webhooks' % prefix
        topic = '%s.t1.%s' % (prefix, TABLE)
        broker.create_topics([webhooks], partitions=1)
        broker.create_topics([topic], partitions=1)
        receiver.add_hook('yaml', 'yaml-secret')
        admin = free_port()
        conf = make_config('127.0.0.1:%d' % proxy.port, 'g-' + uniq,
                           [{'pattern': esc + r'\.t[0-9]+\.' + TABLE, 'format': 'avro',
                             'schema': records.schema_path(TABLE)}],
                           [{'name': 'yaml', 'url': receiver.url('yaml'),
                             'secret': 'yaml-secret', 'events': ['*']}],
                           extra={'admin': {'listen': '127.0.0.1:%d' % admin},
                                  'table_hooks': {'topics': esc + r'\.(t[0-9]+)\.webhooks',
                                                  'record_tenant': esc + r'\.(t[0-9]+)\..*',
                                                  'format': 'avro',
                                                  'schema': records.WEBHOOKS_SCHEMA,
                                                  'discover_interval_ms': 1000}})
        b = Bridge(os.path.join(workdir, request.node.name, 'b'), conf)
        b.start()
        wait_until(lambda: b.assert_running() or get(admin, '/readyz')[0] == 200, 60, '/readyz')
        proxy.delay_s = DELAY_S

        prod = records.Producer(broker.bootstrap)
        sent = []
        started = time.monotonic()
        rid = 0
        while time.monotonic() - started < 8.0:
            rid += 1
            prod.send(topic, records.encode(TABLE, records.envelope(TABLE, 'created', rid)),
                      key=b'k%d' % rid, meta=rid)
            prod.flush()
            sent.append(rid)
            time.sleep(0.05)
        wait_until(lambda: b.assert_running() or
                   set(sent) <= {r.record_id for r in receiver.delivered('yaml')}, 60,
                   'every record delivered')
        with proxy.lock:
            delayed = proxy.delayed
        # the listings were slow: at least 3 held back by 1.5 s during the 8 s
        assert delayed >= 3, delayed
        times = sorted(r.time for r in receiver.delivered('yaml') if r.record_id in sent)
        gaps = [b2 - a for a, b2 in zip(times, times[1:])]
        longest = max(gaps)
        print('TABLEHOOKS slow-listing %d listings held %.1f s; longest gap between deliveries '
              '%.3f s over %d records' % (delayed, DELAY_S, longest, len(times)))
        assert all(r.sig_ok for r in receiver.delivered('yaml'))
        # a listing on the loop's thread would leave a gap of at least DELAY_S
        assert longest < 1.0, longest
    finally:
        if b is not None:
            b.stop()
        prod = None  # its client goes before the broker does
        proxy.close()
        broker.stop()
