"""`perscom-bridge test-hook`: one signed sample event through the real sender, against the
signature-checking receiver and against failures of each kind, with their exit codes and
classified reasons (README.md, `test-hook --help`).

No broker is needed: test-hook never talks to Kafka.
"""
import http.server
import json
import os
import socket
import ssl
import subprocess
import threading
import time

import pytest

from .bridge import bridge_bin
from .receiver import Receiver

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = 'test-hook-s3cret'
EXIT_USAGE = 2


def write_config(tmp_path, hooks):
    lines = ['kafka: {brokers: "127.0.0.1:9", group_id: g}',
             'topics: [{name: t.x.records_ranks, format: avro, schema: %s}]'
             % os.path.join(REPO, 'schemas', 'records_ranks.avsc'),
             # the receivers are on loopback: the egress guard lets exactly that through
             'egress: {allow: ["127.0.0.1/32", "::1"]}',
             'hooks:']
    for h in hooks:
        lines.append('  - ' + json.dumps(h))
    path = tmp_path / 'bridge.yaml'
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def test_hook(config, name, *extra, timeout=30):
    t0 = time.monotonic()
    proc = subprocess.run([bridge_bin(), 'test-hook', '--config', config, '--hook', name]
                          + list(extra), capture_output=True, timeout=timeout)
    return proc, proc.stdout.decode(), proc.stderr.decode(), time.monotonic() - t0


test_hook.__test__ = False  # a helper, not a test


def hook(url, events=('rankrecord.*',), timeout_ms=2000, **kw):
    """A hook mapping; extra keys (tls, auth, ...) as in the configuration file."""
    return dict({'name': 'h', 'url': url, 'secret': SECRET, 'events': list(events),
                 'timeout_ms': timeout_ms}, **kw)


@pytest.fixture
def receiver():
    rec = Receiver({'h': SECRET}).start()
    yield rec
    rec.stop()


def sections(out):
    """{'request': text, 'response': text, 'timings': text, 'result': text}."""
    parts = {}
    head, _, rest = out.partition('--- response\n')
    parts['request'] = head
    parts['response'], _, rest = rest.partition('--- timings\n')
    parts['timings'], _, parts['result'] = rest.partition('--- result\n')
    return parts


def test_204_is_delivered_signed_and_exits_0(tmp_path, receiver):
    config = write_config(tmp_path, [hook(receiver.url('h'), events=['user.updated', '*'])])
    proc, out, err, _ = test_hook(config, 'h')
    assert proc.returncode == 0, (out, err)
    reqs = receiver.snapshot('h')
    assert len(reqs) == 1
    r = reqs[0]
    assert r.sig_ok and r.status == 204
    payload = r.payload()
    # the hook's first subscription, with a sample row of its table
    assert payload['event'] == 'user.updated'
    assert payload['data']['label'] == 'User: 1'
    assert payload['data']['email'] == 'sample.user@example.com'
    assert set(payload['changes']) == {'name', 'updated_at'}
    assert payload['trace_id'] is None
    assert len(payload['request_id']) == 36
    parts = sections(out)
    # the request as sent: the same body and signature the receiver checked
    assert 'POST %s\n' % receiver.url('h') in parts['request']
    assert 'Signature: %s\n' % r.signature in parts['request']
    assert r.body.decode() + '\n' in parts['request']
    assert parts['response'].startswith('HTTP/1.1 204 '), parts['response']
    assert 'Content-Length: 0' in parts['response']
    for phase in ('dns ', 'connect ', 'tls -', 'first byte ', 'total '):
        assert phase in parts['timings'], parts['timings']
    assert ' ms' in parts['timings'].split('connect ')[1].split(',')[0]
    assert parts['result'] == 'ok: HTTP 204\n'
    # a second run is a new request id (receivers that dedupe take both)
    proc2, _, _, _ = test_hook(config, 'h')
    assert proc2.returncode == 0
    assert receiver.snapshot('h')[1].payload()['request_id'] != payload['request_id']


def test_auth_applies_and_the_token_is_not_shown(tmp_path, receiver):
    token = 'tok-%s' % os.getpid()
    config = write_config(tmp_path, [hook(receiver.url('h'), auth={'bearer': token})])
    proc, out, err, _ = test_hook(config, 'h')
    assert proc.returncode == 0, (out, err)
    r = receiver.snapshot('h')[0]
    assert r.sig_ok
    assert r.headers['authorization'] == 'Bearer ' + token
    assert token not in out and token not in err
    assert 'Authorization: Bearer ***' in sections(out)['request'], out


def test_event_option_must_be_subscribed(tmp_path, receiver):
    config = write_config(tmp_path, [hook(receiver.url('h'), events=['rankrecord.*'])])
    proc, out, err, _ = test_hook(config, 'h', '--event', 'rankrecord.deleted')
    assert proc.returncode == 0, err
    r = receiver.snapshot('h')[0]
    assert r.sig_ok and r.payload()['event'] == 'rankrecord.deleted'
    assert r.payload()['changes'] == []
    proc, out, err, _ = test_hook(config, 'h', '--event', 'user.created')
    assert proc.returncode == EXIT_USAGE
    assert 'hook h does not subscribe to user.created' in err
    proc, out, err, _ = test_hook(config, 'nope')
    assert proc.returncode == EXIT_USAGE
    assert 'no hook named nope' in err and 'configured hooks: h' in err
    assert len(receiver.snapshot('h')) == 1


@pytest.mark.parametrize('status,code,klass', [(500, 14, 'http-5xx'), (400, 13, 'http-4xx')])
def test_error_status_is_classified(tmp_path, receiver, status, code, klass):
    receiver.set_behaviour('h', status=status, body=b'{"message":"receiver says no"}' + b'x' * 2000)
    config = write_config(tmp_path, [hook(receiver.url('h'))])
    proc, out, err, _ = test_hook(config, 'h')
    assert proc.returncode == code, (out, err)
    parts = sections(out)
    assert parts['response'].startswith('HTTP/1.1 %d ' % status)
    # the first KiB of the body, and how much more there was
    assert '{"message":"receiver says no"}' + 'x' * (1024 - 30) + '\n[... 1006 more bytes]' \
        in parts['response'], parts['response']
    assert parts['result'] == 'failed: %s: HTTP %d\n' % (klass, status)
    assert 'h failed: %s: HTTP %d' % (klass, status) in err
    assert len(receiver.snapshot('h')) == 1 and receiver.snapshot('h')[0].sig_ok


def test_refused_port(tmp_path):
    s = socket.socket()
    s.bind(('127.0.0.1', 0))  # bound, never listening: connections are refused
    try:
        config = write_config(tmp_path, [hook('http://127.0.0.1:%d/h' % s.getsockname()[1])])
        proc, out, err, _ = test_hook(config, 'h')
    finally:
        s.close()
    assert proc.returncode == 10, (out, err)
    parts = sections(out)
    assert parts['response'] == '(no response)\n'
    assert 'connect -' in parts['timings'] and 'first byte -' in parts['timings']
    assert parts['result'].startswith('failed: refused: Failed to connect to 127.0.0.1'), out
    assert 'h failed: refused:' in err


def test_hang_past_the_timeout(tmp_path, receiver):
    receiver.set_behaviour('h', delay=5.0)
    config = write_config(tmp_path, [hook(receiver.url('h'), timeout_ms=700)])
    proc, out, err, took = test_hook(config, 'h')
    assert proc.returncode == 11, (out, err)
    assert 0.6 < took < 4.0, took
    assert sections(out)['result'].startswith('failed: timeout: Operation timed out after'), out
    assert 'h failed: timeout:' in err


def _https_server(tmp_path, name, ip=False):
    """An HTTPS server on 127.0.0.1 whose certificate names `name` only (a DNS name, or with ip
    an IP address), issued by a CA of this test (ca.pem in tmp_path)."""
    def openssl(*args):
        subprocess.run(['openssl'] + list(args), check=True, capture_output=True, cwd=tmp_path)
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj',
            '/CN=test-hook test CA', '-keyout', 'ca.key', '-out', 'ca.pem')
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=%s' % name,
            '-keyout', 'server.key', '-out', 'server.csr')
    (tmp_path / 'ext.cnf').write_text('subjectAltName=%s:%s\n' % ('IP' if ip else 'DNS', name))
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
            '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'server.pem')
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(tmp_path / 'server.pem'), str(tmp_path / 'server.key'))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, hits


@pytest.mark.parametrize('trusted', [True, False])
def test_tls_certificate_for_another_name(tmp_path, trusted):
    # The certificate names other.example, not 127.0.0.1. With its CA as the hook's
    # tls.ca_file the chain verifies and the name does not match; without it the chain does
    # not verify either. Both are TLS failures, and nothing reaches the server.
    server, hits = _https_server(tmp_path, 'other.example')
    extra = {'tls': {'ca_file': str(tmp_path / 'ca.pem')}} if trusted else {}
    try:
        config = write_config(tmp_path, [hook('https://127.0.0.1:%d/h'
                                              % server.server_address[1], **extra)])
        proc, out, err, _ = test_hook(config, 'h')
    finally:
        server.shutdown()
    assert proc.returncode == 12, (out, err)
    result = sections(out)['result']
    assert result.startswith('failed: tls: '), out
    if trusted:
        assert 'no alternative certificate subject name matches' in result, result
    else:
        assert 'unable to get local issuer certificate' in result, result
    assert 'h failed: tls:' in err
    assert hits == []


def test_tls_with_the_hooks_ca_is_delivered(tmp_path):
    # the same server under its own name's certificate, trusted through tls.ca_file: 2xx
    server, hits = _https_server(tmp_path, '127.0.0.1', ip=True)
    try:
        config = write_config(tmp_path, [hook('https://127.0.0.1:%d/h'
                                              % server.server_address[1],
                                              tls={'ca_file': str(tmp_path / 'ca.pem')})])
        proc, out, err, _ = test_hook(config, 'h')
    finally:
        server.shutdown()
    assert proc.returncode == 0, (out, err)
    assert sections(out)['response'].startswith('HTTP/1.0 204 ')
    timings = sections(out)['timings']
    assert 'tls -' not in timings and 'tls ' in timings, timings
    assert hits == ['/h']
