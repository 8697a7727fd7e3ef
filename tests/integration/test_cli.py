"""The command line: usage errors exit 2 with a message that names the problem.

No broker is needed: `render` reads one message value from standard input and sends nothing.
"""
import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(REPO, 'tests', 'golden', 'bridge.yaml')
TOPIC = 'perscom.golden.records_ranks'
EXIT_USAGE = 2


def binary():
    path = os.environ.get('PERSCOM_BRIDGE_BIN', os.path.join(REPO, 'build', 'perscom-bridge'))
    assert os.access(path, os.X_OK), 'no bridge binary at %s (build first)' % path
    return path


def render(*args, stdin=b''):
    return subprocess.run([binary(), 'render', '--config', CONFIG] + list(args), input=stdin,
                          capture_output=True, timeout=30)


@pytest.mark.parametrize('option,value', [
    ('--partition', 'abc'), ('--partition', '12x'), ('--partition', '-1'),
    ('--partition', ''), ('--partition', '2147483648'),
    ('--offset', '12x'), ('--offset', 'abc'), ('--offset', '-5'), ('--offset', '1e3'),
])
def test_render_refuses_a_position_that_is_not_a_whole_number(option, value):
    proc = render('--topic', TOPIC, option, value)
    assert proc.returncode == EXIT_USAGE, proc
    err = proc.stderr.decode()
    assert option in err and repr(value).strip('"') in err, err
    assert proc.stdout == b''


def test_render_refuses_a_header_it_does_not_use():
    proc = render('--topic', TOPIC, '--header', 'foo=bar')
    assert proc.returncode == EXIT_USAGE, proc
    err = proc.stderr.decode()
    assert '--header foo' in err and 'request_id' in err and 'trace_id' in err, err


def test_render_of_an_unconfigured_topic_is_a_usage_error_naming_the_topics():
    proc = render('--topic', 'perscom.other.nothing', stdin=b'\x00')
    assert proc.returncode == EXIT_USAGE, proc
    err = proc.stderr.decode()
    assert 'perscom.other.nothing matches no entry of topics' in err, err
    assert 'configured topics:' in err and TOPIC in err, err
    assert 'undeliverable' not in err, err


def test_render_accepts_whole_numbers():
    # An empty value is a tombstone: not an event, exit 0.
    proc = render('--topic', TOPIC, '--partition', '7', '--offset', '9007199254740993')
    assert proc.returncode == 0, proc
    assert proc.stdout.startswith(b'# not an event'), proc.stdout


def test_basic_auth_over_plain_http_is_warned(tmp_path):
    conf = tmp_path / 'bridge.yaml'
    conf.write_text(open(CONFIG).read().replace(
        'kafka:', 'schema_registry:\n  url: http://127.0.0.1:8081\n  username: u\n'
        '  password: p\nkafka:', 1).replace('../../schemas/', os.path.join(REPO, 'schemas') + '/'))
    proc = subprocess.run([binary(), 'check-config', str(conf)], capture_output=True, timeout=30)
    assert proc.returncode == 0, proc
    assert b'warning: schema_registry: basic auth over http:// sends the password in clear' \
        in proc.stderr, proc.stderr
    assert b'p\n' not in proc.stderr


# --------------------------------------------------------------------------------------------
# TLS: 1.2 is the floor; schema_registry.tls_min_version / delivery.tls_min_version raise it
# --------------------------------------------------------------------------------------------

def _tls_registry(tmp_path, schema_text, max_version):
    """An https registry stand-in on loopback that speaks TLS up to max_version."""
    import http.server
    import json as _json
    import ssl
    import threading
    key, cert = tmp_path / 'key.pem', tmp_path / 'cert.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
                    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
                    '-keyout', str(key), '-out', str(cert)], check=True, capture_output=True)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = _json.dumps({'schema': schema_text}).encode()
            self.send_response(200)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    ctx.maximum_version = max_version
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, cert


@pytest.mark.parametrize('min_version,ok', [(None, True), ('1.2', True), ('1.3', False)])
def test_registry_tls_min_version(tmp_path, min_version, ok):
    import ssl
    from . import records
    table = 'records_ranks'
    server, cert = _tls_registry(tmp_path, records.schema_text(table), ssl.TLSVersion.TLSv1_2)
    try:
        registry = '  url: https://127.0.0.1:%d\n  ca_file: %s\n' % (server.server_address[1],
                                                                    cert)
        if min_version:
            registry += '  tls_min_version: "%s"\n' % min_version
        conf = tmp_path / 'bridge.yaml'
        conf.write_text(
            'kafka: {brokers: "127.0.0.1:9", group_id: g}\n'
            'schema_registry:\n' + registry +
            'topics: [{name: t.x.%s, format: confluent}]\n'
            'hooks: [{name: h, url: "http://127.0.0.1:9/h", secret: s, events: ["*"]}]\n'
            % table)
        value = records.encode(table, records.envelope(table, 'created', 7), 1)
        proc = subprocess.run([binary(), 'render', '--config', str(conf), '--topic',
                               't.x.' + table], input=value, capture_output=True, timeout=30)
        if ok:
            assert proc.returncode == 0, proc.stderr
            assert b'rankrecord.created' in proc.stdout
        else:
            assert proc.returncode == 1, proc
            assert b'schema registry' in proc.stderr and b'SSL' in proc.stderr.upper(), \
                proc.stderr
    finally:
        server.shutdown()
