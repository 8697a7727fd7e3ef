"""The receivers' side of a hook (issue 9, items 1 and 2), end to end with a real broker and
real bridge processes: mTLS with a client certificate rotated on disk while the bridge runs,
bearer and basic authentication that never show, Standard Webhooks signatures checked by the
reference Python package (`standardwebhooks`), and proxies (per hook, from the environment,
NO_PROXY).

Certificates are made in each test with the openssl command line in its temporary directory;
none is committed. Everything listens on loopback only.
"""
import base64
import hashlib
import hmac
import json
import os
import secrets
import ssl
import subprocess
import time
import uuid

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from . import records
from .bridge import bridge_bin
from .proxy import Proxy
from .receiver import Receiver
from .records import wait_until
from .test_faults import dead_letters

pytestmark = pytest.mark.timeout(300)

TABLE = 'records_ranks'


# --- helpers ----------------------------------------------------------------------------------

def openssl(*args):
    subprocess.run(['openssl'] + [str(a) for a in args], check=True, capture_output=True)


class Pki:
    """A CA, a server certificate for 127.0.0.1/localhost and client certificates, all P-256."""

    def __init__(self, directory):
        self.dir = directory
        self.ca_key, self.ca = directory / 'ca.key', directory / 'ca.crt'
        openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
                '-days', '2', '-subj', '/CN=perscom-it-ca', '-keyout', self.ca_key, '-out',
                self.ca)
        self.server_crt, self.server_key = self.issue(
            'server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth')

    def issue(self, name, ext='extendedKeyUsage=clientAuth'):
        key, csr, crt = (self.dir / (name + s) for s in ('.key', '.csr', '.crt'))
        extfile = self.dir / (name + '.ext')
        extfile.write_text(ext + '\n')
        openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj',
                '/CN=' + name, '-keyout', key, '-out', csr)
        openssl('x509', '-req', '-in', csr, '-CA', self.ca, '-CAkey', self.ca_key, '-set_serial',
                secrets.randbits(63), '-days', '2', '-out', crt, '-extfile', extfile)
        return crt, key

    def server_context(self, require_client_cert):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.server_crt), str(self.server_key))
        if require_client_cert:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(str(self.ca))
        return ctx


def install(src, dst):
    """Puts a copy of src at dst the way a Secret update does: a new file renamed over it."""
    tmp = dst.with_name('.tmp-' + dst.name)
    tmp.write_bytes(src.read_bytes())
    os.replace(tmp, dst)


def avro_topic(kafka, uniq, partitions=1):
    topic = 'it.%s.%s' % (uniq, TABLE)
    kafka.create_topics([topic], partitions=partitions)
    return topic, [{'name': topic, 'format': 'avro', 'schema': records.schema_path(TABLE)}]


def produce(kafka, topic, ids, headers=None):
    prod = records.Producer(kafka.bootstrap)
    for rid in ids:
        prod.send(topic, records.encode(TABLE, records.envelope(TABLE, 'created', rid)),
                  key=b'k%d' % rid, headers=headers, meta=rid)
    return {m['meta']: m for m in prod.flush()}


def record_ids(requests):
    return [r.record_id for r in requests]


def perscom_signature(secret, body):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def whsec():
    return 'whsec_' + base64.b64encode(secrets.token_bytes(32)).decode()


def standard_verifier(*secret_list):
    """A receiver check: every secret must verify the request (so during a rotation both
    signatures must be there), as the reference library does it."""
    def verify(method, headers, body, query):
        content = query if method == 'GET' else body.decode()
        try:
            for secret in secret_list:
                Webhook(secret).verify(content, headers, json_parse=False)
        except WebhookVerificationError:
            return False
        return True
    return verify


# --- mTLS ---------------------------------------------------------------------------------------

def test_mtls_needs_the_client_certificate_and_picks_up_a_rotated_one(kafka, bridges, uniq,
                                                                       tmp_path):
    pki = Pki(tmp_path)
    client_a = pki.issue('client-a')
    client_b = pki.issue('client-b')
    live = tmp_path / 'secret'
    live.mkdir()
    cert, key = live / 'tls.crt', live / 'tls.key'
    install(client_a[0], cert)
    install(client_a[1], key)
    rec = Receiver(ssl_context=pki.server_context(require_client_cert=True)).start()
    try:
        topic, topics = avro_topic(kafka, uniq)
        hooks = []
        for name, tls in (('mtls', {'ca_file': str(pki.ca), 'cert_file': str(cert),
                                    'key_file': str(key)}),
                          ('nocert', {'ca_file': str(pki.ca)}),
                          ('untrusted', None)):
            rec.add_hook(name, 'secret-' + name)
            hooks.append({'name': name, 'url': rec.url(name), 'secret': 'secret-' + name,
                          'events': ['*']})
            if tls:
                hooks[-1]['tls'] = tls
        produce(kafka, topic, [1, 2, 3])
        b = bridges('b', 'g-' + uniq, topics, hooks)
        b.start()
        wait_until(lambda: b.assert_running() or len(rec.delivered('mtls')) >= 3, 60,
                   '3 deliveries over mTLS')
        got = rec.delivered('mtls')
        assert sorted(record_ids(got)) == [1, 2, 3]
        assert {r.peer for r in got} == {'client-a'}
        assert all(r.sig_ok for r in got)
        # without a client certificate the receiver refuses the handshake; without the CA the
        # bridge refuses the receiver's certificate: verification cannot be turned off
        # (the receiver's alert may reach the bridge as such, or as a broken connection)
        def failed_with(hook, text):
            return any(text in line for line in b.log_text().splitlines()
                       if '-> %s:' % hook in line)
        wait_until(lambda: failed_with('nocert', 'alert certificate required') and
                   failed_with('untrusted', 'SSL certificate problem'), 30,
                   'nocert and untrusted failing on TLS')
        assert rec.snapshot('nocert') == [] and rec.snapshot('untrusted') == []

        # Kubernetes rotates the Secret: the bridge uses the new certificate from the next
        # look at the files on (at most every 3 s), on new connections only
        install(client_b[0], cert)
        install(client_b[1], key)
        time.sleep(3.5)
        produce(kafka, topic, [4, 5, 6])
        wait_until(lambda: b.assert_running() or len(rec.delivered('mtls')) >= 6, 60,
                   '3 more deliveries over mTLS')
        after = [r for r in rec.delivered('mtls') if r.record_id >= 4]
        assert sorted(record_ids(after)) == [4, 5, 6]
        assert {r.peer for r in after} == {'client-b'}, [(r.record_id, r.peer) for r in after]
        assert 'hook mtls: TLS files changed on disk, reloaded' in b.log_text()
    finally:
        rec.stop()


def test_check_config_refuses_unusable_tls_files(tmp_path):
    pki = Pki(tmp_path)
    crt_a, key_a = pki.issue('client-a')
    crt_b, key_b = pki.issue('client-b')
    conf = tmp_path / 'bridge.yaml'
    conf.write_text(
        'kafka: {brokers: "127.0.0.1:9", group_id: g}\n'
        'topics: [{name: t.x.records_ranks, format: avro, schema: %s}]\n'
        'hooks:\n'
        '  - {name: ok, url: "https://127.0.0.1:9/h", secret: s, events: ["*"],\n'
        '     tls: {ca_file: %s, cert_file: %s, key_file: %s}}\n'
        '  - {name: mismatch, url: "https://127.0.0.1:9/h", secret: s, events: ["*"],\n'
        '     tls: {cert_file: %s, key_file: %s}}\n'
        '  - {name: plain, url: "http://127.0.0.1:9/h", secret: s, events: ["*"],\n'
        '     tls: {ca_file: %s}}\n'
        % (records.schema_path(TABLE), pki.ca, crt_a, key_a, crt_a, key_b, pki.ca))
    proc = subprocess.run([bridge_bin(), 'check-config', str(conf)], capture_output=True,
                          timeout=30)
    err = proc.stderr.decode()
    assert proc.returncode == 3, proc
    assert 'hooks[1].tls.key_file: %s: the key does not belong to the certificate %s' % (
        key_b, crt_a) in err, err
    assert 'hooks[2].tls: applies only to an https:// url' in err, err
    assert 'hooks[0]' not in err, err


# --- authentication ------------------------------------------------------------------------------

def test_auth_reaches_the_receiver_and_is_never_shown(kafka, receiver, bridges, uniq, tmp_path):
    token = 'tok-' + uuid.uuid4().hex
    file_token = 'ftok-' + uuid.uuid4().hex
    user, password = 'user-' + uuid.uuid4().hex[:8], 'pw-' + uuid.uuid4().hex
    basic = base64.b64encode(('%s:%s' % (user, password)).encode()).decode()
    (tmp_path / 'password').write_text(password + '\n')
    (tmp_path / 'token').write_text(file_token + '\n')
    topic, topics = avro_topic(kafka, uniq)
    dlq, reports = 'it.%s.dlq' % uniq, 'it.%s.reports' % uniq
    kafka.create_topics([dlq, reports], partitions=1)
    for name in ('bearer', 'basic', 'refused'):
        receiver.add_hook(name, 'secret-' + name)
    receiver.set_behaviour('refused', status=400)
    hooks = [
        {'name': 'bearer', 'url': receiver.url('bearer'), 'secret': 'secret-bearer',
         'events': ['*'], 'auth': {'bearer': '${IT_TOKEN}'}},
        {'name': 'basic', 'url': receiver.url('basic'), 'secret': 'secret-basic',
         'events': ['*'],
         'auth': {'basic': {'username': user, 'password_file': str(tmp_path / 'password')}}},
        {'name': 'refused', 'url': receiver.url('refused'), 'secret': 'secret-refused',
         'events': ['*'], 'auth': {'bearer_file': str(tmp_path / 'token')}},
    ]
    placed = produce(kafka, topic, [1, 2])
    b = bridges('b', 'g-' + uniq, topics, hooks, env={'IT_TOKEN': token},
                extra={'dead_letter': {'topic': dlq}, 'delivery_report': {'topic': reports}})
    b.start()
    wait_until(lambda: b.assert_running() or (len(receiver.delivered('bearer')) >= 2 and
                                              len(receiver.delivered('basic')) >= 2), 60,
               'deliveries to bearer and basic')
    assert {r.headers.get('authorization') for r in receiver.snapshot('bearer')} == {
        'Bearer ' + token}
    assert {r.headers.get('authorization') for r in receiver.snapshot('basic')} == {
        'Basic ' + basic}
    assert {r.headers.get('authorization') for r in receiver.snapshot('refused')} == {
        'Bearer ' + file_token}
    dead = dead_letters(kafka.bootstrap, dlq, 2)
    report = dead_letters(kafka.bootstrap, reports, 6)
    assert len(dead) == 2 and len(report) == 6, (len(dead), len(report))
    assert sorted(json.loads(v)['hook'] for _, v, _, _ in report) == [
        'basic', 'basic', 'bearer', 'bearer', 'refused', 'refused']

    # render with the same configuration and environment shows the headers masked
    value = placed[1]['value']
    proc = subprocess.run([bridge_bin(), 'render', '--config', b.config_path, '--topic', topic],
                          input=value, capture_output=True, timeout=30,
                          env=dict(os.environ, IT_TOKEN=token))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert out.count('Authorization: Bearer ***\n') == 2, out
    assert out.count('Authorization: Basic ***\n') == 1, out
    check = subprocess.run([bridge_bin(), 'check-config', b.config_path], capture_output=True,
                           timeout=30, env=dict(os.environ, IT_TOKEN=token))
    assert check.returncode == 0, check
    assert b'auth over http:// sends the credentials in clear' in check.stderr

    shown = [('bridge log', b.log_text()), ('render', out + proc.stderr.decode()),
             ('check-config', (check.stdout + check.stderr).decode())]
    for what, rows in (('dead letter', dead), ('delivery report', report)):
        for key, val, headers, _ in rows:
            shown.append((what, repr(key) + repr(val) + json.dumps(headers)))
    for what, text in shown:
        for secret in (token, file_token, password, basic):
            assert secret not in text, '%s shows a credential' % what


# --- Standard Webhooks ---------------------------------------------------------------------------

def test_standard_webhooks_signatures_verify_with_the_reference_library(kafka, receiver, bridges,
                                                                        uniq, tmp_path):
    old, new = whsec(), whsec()
    (tmp_path / 'new.whsec').write_text(new + '\n')
    topic, topics = avro_topic(kafka, uniq)
    receiver.add_hook('std', old, verify=standard_verifier(old))
    receiver.add_hook('rotating', old, verify=standard_verifier(old, new))
    receiver.add_hook('get', new, verify=standard_verifier(new))
    receiver.add_hook('late', old, verify=standard_verifier(old))
    receiver.set_behaviour('late', status=503, until=time.time() + 2.5)
    hooks = [
        {'name': 'std', 'url': receiver.url('std'), 'signature': 'standard', 'secret': old,
         'events': ['*']},
        # a rotation: both secrets sign webhook-signature, the first signs Signature
        {'name': 'rotating', 'url': receiver.url('rotating'), 'signature': 'both',
         'secrets': [old, '${IT_NEW_SECRET}'], 'events': ['*']},
        {'name': 'get', 'url': receiver.url('get') + '?src=it', 'method': 'GET',
         'signature': 'standard', 'secret_files': [str(tmp_path / 'new.whsec')],
         'events': ['*']},
        {'name': 'late', 'url': receiver.url('late'), 'signature': 'standard', 'secret': old,
         'events': ['*']},
    ]
    placed = produce(kafka, topic, [1, 2])
    # two changes of one PERSCOM request share its request_id: their webhook-ids must differ
    placed.update(produce(kafka, topic, [3, 4], headers=[('request_id', b'shared-request')]))
    b = bridges('b', 'g-' + uniq, topics, hooks, env={'IT_NEW_SECRET': new})
    b.start()
    names = ('std', 'rotating', 'get', 'late')
    wait_until(lambda: b.assert_running() or all(len(receiver.delivered(h)) >= 4 for h in names),
               60, '4 deliveries to each hook')
    for name in names:
        got = receiver.delivered(name)
        assert sorted(record_ids(got)) == [1, 2, 3, 4], name
        for r in got:
            assert r.sig_ok, name
            assert abs(int(r.headers['webhook-timestamp']) - r.time) <= 5, name
            payload = r.payload()
            expect_id = (records_uuid(placed[r.record_id]) if r.record_id >= 3
                         else payload['request_id'])
            assert r.headers['webhook-id'] == expect_id, (name, r.record_id)
            if name == 'get':
                assert payload['request_id'] == ('shared-request' if r.record_id >= 3
                                                 else r.headers['webhook-id'])
        assert len({r.headers['webhook-id'] for r in got}) == 4, name

    std = receiver.delivered('std')[0]
    # only what the mode asks for
    assert 'signature' not in std.headers
    assert len(std.headers['webhook-signature'].split(' ')) == 1
    # a tampered body, another secret, or a stale timestamp fail the reference check
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(std.body.decode().replace('"id":1', '"id":9'), std.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(std.body.decode(), std.headers)
    stale = dict(std.headers, **{'webhook-timestamp': str(int(std.time) - 600)})
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(std.body.decode(), stale)

    for r in receiver.delivered('rotating'):
        sigs = r.headers['webhook-signature'].split(' ')
        assert len(sigs) == 2 and all(s.startswith('v1,') for s in sigs)
        Webhook(old).verify(r.body.decode(), r.headers)
        Webhook(new).verify(r.body.decode(), r.headers)
        # PERSCOM's Signature: the first secret, its bytes as written
        assert r.headers['signature'] == perscom_signature(old, r.body)

    for r in receiver.delivered('get'):
        assert r.query.startswith('src=it&event=rankrecord.created&')
        Webhook(new).verify(r.query, r.headers, json_parse=False)
        with pytest.raises(WebhookVerificationError):
            Webhook(new).verify(r.query.replace('src=it', 'src=xx'), r.headers,
                                json_parse=False)

    # a retry carries the same id and body and the time of its own attempt
    attempts = [r for r in receiver.snapshot('late') if r.record_id == 1]
    assert attempts[0].status == 503 and attempts[-1].ok, [r.status for r in attempts]
    assert len({r.headers['webhook-id'] for r in attempts}) == 1
    assert len({r.body for r in attempts}) == 1
    # each attempt is stamped when it is made (within the receiver's clock rounding)
    for r in attempts:
        assert abs(int(r.headers['webhook-timestamp']) - r.time) <= 2, (r.headers, r.time)
    if attempts[-1].time - attempts[0].time >= 2:
        assert int(attempts[-1].headers['webhook-timestamp']) > int(
            attempts[0].headers['webhook-timestamp'])


def records_uuid(placed_message):
    """The id the bridge derives from a message's position (perscom/render.c)."""
    name = '%s/%d/%d' % (placed_message['topic'], placed_message['partition'],
                         placed_message['offset'])
    return str(uuid.uuid5(uuid.UUID('6f1c3a52-8d0e-4b7a-9c25-3e41d7f0b9a8'), name))


# --- proxies ------------------------------------------------------------------------------------

def test_proxies_per_hook_from_the_environment_and_no_proxy(kafka, receiver, bridges, uniq,
                                                             tmp_path):
    pki = Pki(tmp_path)
    tls_rec = Receiver(ssl_context=pki.server_context(require_client_cert=False)).start()
    env_proxy, hook_proxy = Proxy().start(), Proxy().start()
    token = 'tok-' + uuid.uuid4().hex
    try:
        topic, topics = avro_topic(kafka, uniq)
        hooks = []
        for name, host, extra in (
                ('envproxy', '127.0.0.1', {}),                       # http_proxy applies
                ('bypass', 'localhost', {}),                         # NO_PROXY=localhost
                ('hookproxy', 'localhost', {'proxy': hook_proxy.url,  # the hook's own
                                            'no_proxy': 'example.invalid'}),
                ('direct', '127.0.0.1', {'no_proxy': '*'})):         # never a proxy
            receiver.add_hook(name, 'secret-' + name)
            hooks.append(dict({'name': name, 'url': receiver.url(name, host=host),
                               'secret': 'secret-' + name, 'events': ['*']}, **extra))
        tls_rec.add_hook('tunnel', 'secret-tunnel')
        hooks.append({'name': 'tunnel', 'url': tls_rec.url('tunnel'), 'secret': 'secret-tunnel',
                      'events': ['*'], 'proxy': hook_proxy.url, 'tls': {'ca_file': str(pki.ca)},
                      'auth': {'bearer': token}})
        produce(kafka, topic, [1, 2])
        b = bridges('b', 'g-' + uniq, topics, hooks,
                    env={'http_proxy': env_proxy.url, 'https_proxy': env_proxy.url,
                         'NO_PROXY': 'localhost'})
        b.start()
        names = ('envproxy', 'bypass', 'hookproxy', 'direct')
        wait_until(lambda: b.assert_running() or (
            all(len(receiver.delivered(h)) >= 2 for h in names) and
            len(tls_rec.delivered('tunnel')) >= 2), 60, '2 deliveries to each hook')
        assert all(r.sig_ok for h in names for r in receiver.delivered(h))

        assert env_proxy.seen('/envproxy') and not hook_proxy.seen('/envproxy')
        assert not env_proxy.seen('/bypass') and not hook_proxy.seen('/bypass')
        assert hook_proxy.seen('/hookproxy') and not env_proxy.seen('/hookproxy')
        assert not env_proxy.seen('/direct') and not hook_proxy.seen('/direct')
        # forwarded requests reach the proxy whole (it is plain http)
        assert all(r['method'] == 'POST' and 'signature' in r['headers']
                   for r in env_proxy.seen('/envproxy'))
        # https through the hook's proxy: a CONNECT tunnel that carries none of the headers
        tunnel = hook_proxy.seen('127.0.0.1:%d' % tls_rec.port)
        assert tunnel and all(r['method'] == 'CONNECT' for r in tunnel), tunnel
        for r in tunnel:
            assert not {'authorization', 'signature'} & set(r['headers']), r['headers']
        assert not env_proxy.seen('127.0.0.1:%d' % tls_rec.port)
        assert {r.headers.get('authorization') for r in tls_rec.delivered('tunnel')} == {
            'Bearer ' + token}
    finally:
        tls_rec.stop()
        env_proxy.stop()
        hook_proxy.stop()
