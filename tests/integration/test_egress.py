"""The outbound request guard (docs/configuration.md, "egress"), for real.

`test-hook` runs inside a fresh network namespace without routes (egress_netns.py), with a
listener on every address a hook points at: a refused hook must exit 17 with its reason and
its listener must have seen no connection; an allowed one reaches its listener. The run loop is
tested against the real broker with a loopback receiver: a hook without the opt-in is
dead-lettered with reason egress_refused after one attempt, never retried, and receives
nothing, not even over a connection kept alive for a hook that may reach it.
"""
import json
import os
import subprocess
import sys
import urllib.request

import pytest

from . import records
from .bridge import bridge_bin
from .kafka_broker import free_port
from .records import wait_until
from .test_faults import dead_letters

pytestmark = pytest.mark.timeout(300)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
EXIT_EGRESS = 17
PORT = 8080  # inside the namespace every port is free
SECRET = 'egress-s3cret'


def unshare():
    """The command that runs a program in a fresh network namespace: root (CI) needs only -n;
    anyone else maps themselves to root in a user namespace (-r) to own the new one."""
    return ['unshare', '-n'] if os.geteuid() == 0 else ['unshare', '-rn']


def write_config(path, hooks, allow=None):
    lines = ['kafka: {brokers: "127.0.0.1:9", group_id: g}',
             'topics: [{name: t.x.records_ranks, format: avro, schema: %s}]'
             % os.path.join(REPO, 'schemas', 'records_ranks.avsc')]
    if allow:
        lines.append('egress: {allow: %s}' % json.dumps(allow))
    lines.append('hooks:')
    for h in hooks:
        lines.append('  - ' + json.dumps(dict({'secret': SECRET, 'events': ['rankrecord.*'],
                                               'timeout_ms': 3000}, **h)))
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def in_namespace(listen, runs):
    """Runs test-hook for each (config, hook) of runs inside a fresh network namespace with
    listeners on listen's addresses. Returns (results per run, {"address port": accepted})."""
    spec = {'binary': bridge_bin(), 'listen': [[a, PORT] for a in listen],
            'runs': [{'config': c, 'hook': h} for c, h in runs]}
    proc = subprocess.run(unshare() + [sys.executable, os.path.join(HERE, 'egress_netns.py')],
                          input=json.dumps(spec), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, ('the namespace run failed', proc.stdout, proc.stderr)
    out = json.loads(proc.stdout)
    return out['runs'], out['accepted']


def result_line(run):
    return run['stdout'].rpartition('--- result\n')[2].strip()


# (hook name, URL, listener address (None: the URL's name), the reason test-hook must give)
REFUSED = [
    ('loopback', 'http://127.0.0.1:%d/h' % PORT, '127.0.0.1',
     'egress refused: 127.0.0.1 is loopback'),
    ('private', 'http://10.0.0.1:%d/h' % PORT, '10.0.0.1',
     'egress refused: 10.0.0.1 is private (RFC 1918)'),
    ('metadata', 'http://169.254.169.254:%d/latest/meta-data/' % PORT, '169.254.169.254',
     'egress refused: 169.254.169.254 is a cloud metadata service'),
    ('linklocal', 'http://169.254.10.1:%d/h' % PORT, '169.254.10.1',
     'egress refused: 169.254.10.1 is link-local'),
    ('cgnat', 'http://100.64.0.1:%d/h' % PORT, '100.64.0.1',
     'egress refused: 100.64.0.1 is shared address space (RFC 6598, CGNAT)'),
    ('v6loopback', 'http://[::1]:%d/h' % PORT, '::1', 'egress refused: ::1 is loopback'),
    ('mapped', 'http://[::ffff:127.0.0.1]:%d/h' % PORT, '127.0.0.1',
     'egress refused: ::ffff:127.0.0.1 is loopback (IPv4-mapped 127.0.0.1)'),
    ('mapped_private', 'http://[::ffff:10.0.0.1]:%d/h' % PORT, '10.0.0.1',
     'egress refused: ::ffff:10.0.0.1 is private (RFC 1918) (IPv4-mapped 10.0.0.1)'),
    ('ula', 'http://[fd00::1]:%d/h' % PORT, 'fd00::1',
     'egress refused: fd00::1 is unique-local (RFC 4193)'),
]
LISTEN = sorted({case[2] for case in REFUSED})


def test_each_class_is_refused_before_connecting_in_a_namespace(tmp_path):
    # a name that resolves to loopback without /etc/hosts or DNS: libcurl answers *.localhost
    # itself (RFC 6761), with 127.0.0.1 and ::1, both refused
    named = ('named', 'http://egress-test.localhost:%d/h' % PORT, None,
             'egress refused: ')
    # through a proxy the proxy's address is what is checked (the hook's host is the proxy's
    # business): a public-looking host behind a loopback proxy is refused for the proxy
    proxied = ('proxied', 'http://192.0.2.10:%d/h' % PORT, None,
               'egress refused: 127.0.0.1 is loopback')
    cases = REFUSED + [proxied, named]
    hooks = [{'name': name, 'url': url} for name, url, _, _ in cases]
    hooks[-2]['proxy'] = 'http://127.0.0.1:%d' % PORT
    config = write_config(tmp_path / 'refused.yaml', hooks)
    runs, accepted = in_namespace(LISTEN, [(config, name) for name, _, _, _ in cases])
    failures = []
    for (name, url, _, reason), run in zip(cases, runs):
        line = result_line(run)
        if run['rc'] != EXIT_EGRESS or not line.startswith('failed: egress: ' + reason):
            failures.append('%s (%s): exit %d, %r; want exit %d, "failed: egress: %s..."'
                            % (name, url, run['rc'], line, EXIT_EGRESS, reason))
        if 'connect -' not in run['stdout']:  # never connected
            failures.append('%s: timings say it connected: %s' % (name, run['stdout']))
        if '%s failed: egress: %s' % (name, reason) not in run['stderr']:
            failures.append('%s: stderr %r' % (name, run['stderr']))
    named_line = result_line(runs[-1])
    if not (named_line.endswith('::1 is loopback') or named_line.endswith('127.0.0.1 is loopback')):
        failures.append('named: %r does not say loopback' % named_line)
    hit = {k: n for k, n in accepted.items() if n}
    if hit:
        failures.append('listeners saw connections: %s' % hit)
    assert not failures, '\n'.join(failures)


def test_allow_list_and_allow_private_let_chosen_ones_through(tmp_path):
    allowed = write_config(tmp_path / 'allowed.yaml', [
        {'name': 'private', 'url': 'http://10.0.0.1:%d/h' % PORT},
        {'name': 'mapped', 'url': 'http://[::ffff:127.0.0.1]:%d/h' % PORT},
        {'name': 'other', 'url': 'http://10.0.0.2:%d/h' % PORT},
        # the proxy's address is allowed: the request goes to it (the listener answers as
        # the proxy would), never to the hook's host
        {'name': 'proxied', 'url': 'http://192.0.2.10:%d/h' % PORT,
         'proxy': 'http://127.0.0.1:%d' % PORT},
    ], allow=['10.0.0.1/32', '127.0.0.0/8'])
    opted = write_config(tmp_path / 'opted.yaml', [
        {'name': 'private', 'url': 'http://10.0.0.2:%d/h' % PORT, 'allow_private': True},
        {'name': 'v6', 'url': 'http://[::1]:%d/h' % PORT, 'allow_private': True},
        # allow_private does not open the cloud metadata service
        {'name': 'metadata', 'url': 'http://169.254.169.254:%d/' % PORT,
         'allow_private': True},
    ])
    runs, accepted = in_namespace(
        ['10.0.0.1', '10.0.0.2', '127.0.0.1', '::1', '169.254.169.254'],
        [(allowed, 'private'), (allowed, 'mapped'), (allowed, 'other'), (allowed, 'proxied'),
         (opted, 'private'), (opted, 'v6'), (opted, 'metadata')])
    rcs = [r['rc'] for r in runs]
    assert rcs == [0, 0, EXIT_EGRESS, 0, 0, 0, EXIT_EGRESS], \
        [(r['rc'], result_line(r)) for r in runs]
    assert result_line(runs[0]) == 'ok: HTTP 204'
    assert result_line(runs[2]) == 'failed: egress: egress refused: 10.0.0.2 is private (RFC 1918)'
    assert result_line(runs[6]) == ('failed: egress: egress refused: 169.254.169.254 is a cloud '
                                    'metadata service')
    # 127.0.0.1: the mapped hook and the proxied one
    assert accepted == {'10.0.0.1 %d' % PORT: 1, '10.0.0.2 %d' % PORT: 1,
                        '127.0.0.1 %d' % PORT: 2, '::1 %d' % PORT: 1,
                        '169.254.169.254 %d' % PORT: 0}, accepted


def test_namespace_runner_refuses_the_host_namespace():
    """The runner must not run where a broken guard could reach a real network."""
    proc = subprocess.run([sys.executable, os.path.join(HERE, 'egress_netns.py')],
                          input=json.dumps({'binary': '/bin/false', 'listen': [], 'runs': []}),
                          capture_output=True, text=True, timeout=30)
    with open('/proc/self/net/dev') as f:
        links = sorted(line.split(':')[0].strip() for line in f.readlines()[2:])
    if links == ['lo']:
        pytest.fail('the tests run in a namespace with only lo: this check proves nothing here')
    assert proc.returncode == 1 and 'not in a fresh network namespace' in proc.stdout, proc


def metrics(port):
    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port, timeout=5) as r:
        return r.read().decode()


@pytest.mark.timeout(240)
def test_run_loop_dead_letters_a_loopback_hook_without_opt_in(kafka, receiver, bridges, uniq):
    table = 'records_ranks'
    topic = 'it.%s.%s' % (uniq, table)
    dlq = 'it.%s.dead-letter' % uniq
    reports = 'it.%s.reports' % uniq
    kafka.create_topics([topic], partitions=2)
    kafka.create_topics([dlq, reports], partitions=1)
    hooks = []
    for name, event in (('open', 'rankrecord.created'), ('guarded', 'rankrecord.updated'),
                        ('named', 'rankrecord.updated')):
        receiver.add_hook(name, '%s-%s' % (SECRET, name))
        hooks.append({'name': name, 'url': receiver.url(name), 'secret': '%s-%s' % (SECRET, name),
                      'events': [event], 'timeout_ms': 3000})
    # open may reach loopback; guarded shares its host and port, and its updates come after
    # open's creates were delivered, so open's kept-alive connections are there to be reused;
    # named is a name that resolves to loopback
    hooks[0]['allow_private'] = True
    hooks[2]['url'] = receiver.url('named', host='egress-%s.localhost' % uniq)
    admin = free_port()
    b = bridges('b', 'g-' + uniq, [{'name': topic, 'format': 'avro',
                                    'schema': records.schema_path(table)}],
                hooks, egress_allow=None,
                extra={'dead_letter': {'topic': dlq}, 'delivery_report': {'topic': reports},
                       'admin': {'listen': '127.0.0.1:%d' % admin}})
    n = 30
    prod = records.Producer(kafka.bootstrap)
    for rid in range(1, n + 1):
        prod.send(topic, records.encode(table, records.envelope(table, 'created', rid)),
                  key=b'k%d' % rid, meta=rid)
    created = {m['meta']: m for m in prod.flush()}
    b.start()
    wait_until(lambda: b.assert_running() or
               {r.record_id for r in receiver.delivered('open')} >= set(created), 90,
               'the opted-in hook to get every create')
    for rid in range(1, n + 1):
        prod.send(topic, records.encode(table, records.envelope(table, 'updated', rid)),
                  key=b'k%d' % rid, meta=rid)
    placed = {m['meta']: m for m in prod.flush()}
    dl = dead_letters(kafka.bootstrap, dlq, 2 * n)
    wait_until(lambda: b.assert_running() or kafka.fully_committed('g-' + uniq, [topic]), 30,
               'everything committed (dead-lettered counts as done)')
    assert receiver.snapshot('guarded') == [] and receiver.snapshot('named') == []
    failures = []
    by_hook = {'guarded': set(), 'named': set()}
    pos = {(m['partition'], m['offset']): rid for rid, m in placed.items()}
    for key, value, h, _ in dl:
        rid = pos.get((int(h['perscom.partition']), int(h['perscom.offset'])))
        hook = h.get('perscom.hook')
        if hook not in by_hook or rid is None:
            failures.append('unexpected dead letter %s' % h)
            continue
        by_hook[hook].add(rid)
        want = ('egress refused: 127.0.0.1 is loopback',) if hook == 'guarded' else (
            'egress refused: 127.0.0.1 is loopback', 'egress refused: ::1 is loopback')
        if h.get('perscom.reason') != 'egress_refused' or h.get('perscom.error') not in want:
            failures.append('%s %d: reason %r error %r' % (hook, rid, h.get('perscom.reason'),
                                                            h.get('perscom.error')))
        if h.get('perscom.attempts') != '1' or 'perscom.status' in h:
            failures.append('%s %d: attempts %r status %r (a refusal is not retried and has no '
                            'answer)' % (hook, rid, h.get('perscom.attempts'),
                                         h.get('perscom.status')))
    for hook, got in by_hook.items():
        if got != set(placed):
            failures.append('%s: dead letters for %d of %d messages' % (hook, len(got), n))
    assert len(dl) == 2 * n, 'dead letters: %d, want %d' % (len(dl), 2 * n)
    assert not failures, '\n'.join(failures[:20])
    # the delivery reports say why: 30 delivered to open, 60 dead-lettered with the reason
    reps = [json.loads(value) for _, value, _, _ in dead_letters(kafka.bootstrap, reports, 3 * n)]
    assert len(reps) == 3 * n, len(reps)
    for rep in reps:
        if rep['hook'] == 'open':
            assert (rep['outcome'], rep['reason'], rep['error']) == ('delivered', None, None), rep
        else:
            assert rep['outcome'] == 'dead_lettered' and rep['reason'] == 'egress_refused', rep
            assert rep['error'].startswith('egress refused: ') and \
                rep['error'].endswith(' is loopback'), rep
    text = metrics(admin)
    for hook in ('guarded', 'named'):
        assert ('perscom_bridge_deliveries_total{hook="%s",outcome="dead_lettered"} %d'
                % (hook, n)) in text, text
        assert 'perscom_bridge_egress_refused_total{hook="%s"} %d' % (hook, n) in text, text
    assert 'perscom_bridge_egress_refused_total{hook="open"} 0' in text
    log = b.log_text()
    assert 'guarded: dead-lettered to %s (egress_refused: egress refused: 127.0.0.1 is ' \
           'loopback)' % dlq in log, b.log_tail()
