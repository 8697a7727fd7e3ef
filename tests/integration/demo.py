"""The demo: a local Kafka broker, a Schema Registry stand-in, a webhook receiver that checks
signatures and prints each webhook, sample record changes, and perscom-bridge delivering them.

    python3 -m tests.integration.demo [--bridge build/perscom-bridge] [--workdir run/demo]

(scripts/demo.sh installs, builds and runs this.) Exits 0 when every expected webhook arrived
with a valid signature and the bridge committed everything and stopped cleanly.
"""
import argparse
import json
import os
import shutil
import sys
import threading
import time

from . import records
from .bridge import Bridge, bridge_bin, make_config
from .kafka_broker import REPO, Broker
from .receiver import Receiver
from .registry import SchemaRegistry

PREFIX = 'perscom.demo'
TABLES = ['users', 'records_ranks', 'calendars', 'events', 'records_awards']

HOOKS = [
    # name, method, events
    ('discord', 'POST', ['rankrecord.*', '*.deleted']),
    ('audit', 'POST', ['*']),
    ('reports', 'GET', ['*.created']),
]

T0 = records.BASE_US + 9 * 3600 * 1000000  # 2026-01-01 09:00 UTC, in microseconds
MIN = 60 * 1000000


def row(table, rid, **values):
    """A row with the given column values; other nullable columns null, other required
    columns generated."""
    generated = records.make_row(table, rid)
    out = {}
    for f in records.value_fields(table):
        nullable = isinstance(f['type'], list) and 'null' in f['type']
        out[f['name']] = values.get(f['name'], None if nullable else generated[f['name']])
    return out


USER = dict(name='Jane Doe', email='jane.doe@example.com', rank_id=3, unit_id=2, approved=False,
            created_at=T0, updated_at=T0, data='{"callsign":"Viper","discord":"jane#0001"}')
USER_APPROVED = dict(USER, approved=True, rank_id=4, updated_at=T0 + 30 * MIN)
RANK = dict(user_id=7, rank_id=4, author_id=1, text='<p>Promoted to Sergeant.</p>', type=0,
            created_at=T0 + 30 * MIN, updated_at=T0 + 30 * MIN, data='{"board":"2026-Q1"}')
RANK_EDITED = dict(RANK, text='<p>Promoted to Sergeant (board 2026-Q1).</p>',
                   updated_at=T0 + 45 * MIN)
CALENDAR = dict(name='Operations', description='Unit operations', color='#1d4ed8',
                created_at=T0, updated_at=T0)
EVENT = dict(name='Field exercise', calendar_id=1, location='Range 4', author_id=1,
             all_day=False, starts=T0 + 48 * 60 * MIN, ends=T0 + 52 * 60 * MIN, repeats=False,
             registration_enabled=True, notifications_enabled=True,
             notifications_interval=['pt15m', 'pt1h'], notifications_channels=['mail'],
             created_at=T0 + 5 * MIN, updated_at=T0 + 5 * MIN)
AWARD = dict(user_id=7, award_id=2, author_id=1, text='Good conduct', created_at=T0 + 10 * MIN,
             updated_at=T0 + 10 * MIN)

# (table, action, row id, before, after, when): what happens in the demo's PERSCOM.
CHANGES = [
    ('users', 'created', 7, None, USER, T0),
    ('calendars', 'created', 1, None, CALENDAR, T0),
    ('events', 'created', 3, None, EVENT, T0 + 5 * MIN),
    ('records_awards', 'created', 5, None, AWARD, T0 + 10 * MIN),
    ('records_ranks', 'created', 12, None, RANK, T0 + 30 * MIN),
    ('users', 'updated', 7, USER, USER_APPROVED, T0 + 30 * MIN),
    ('records_ranks', 'updated', 12, RANK, RANK_EDITED, T0 + 45 * MIN),
    ('records_awards', 'deleted', 5, AWARD, None, T0 + 50 * MIN),
]

_print_lock = threading.Lock()


def say(text=''):
    with _print_lock:
        print(text, flush=True)


def show(req):
    if req.method == 'POST':
        check = 'signature OK' if req.sig_ok else 'SIGNATURE MISMATCH'
        shown = req.body.decode('utf-8', errors='replace')
    else:
        check = ('signature present (HMAC of the JSON payload; a GET receiver cannot rebuild '
                 'it)' if req.sig_ok else 'SIGNATURE MALFORMED')
        shown = '?' + req.query
    try:
        event = req.event
    except (ValueError, KeyError):
        event = '?'
    say('--> webhook %-7s %-4s %-22s %s, answered %d\n    %s'
        % (req.hook, req.method, event, check, req.status, shown))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--bridge', default=bridge_bin())
    ap.add_argument('--workdir', default=os.path.join(REPO, 'run', 'demo'))
    ap.add_argument('--timeout', type=float, default=60)
    args = ap.parse_args(argv)

    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    broker = registry = receiver = bridge = None
    ok = False
    try:
        say('== starting a local Kafka broker (KRaft) in %s' % os.path.join(args.workdir, 'kafka'))
        broker = Broker(os.path.join(args.workdir, 'kafka')).start()
        say('   broker at %s' % broker.bootstrap)
        registry = SchemaRegistry().start()
        say('== schema registry stand-in at %s' % registry.url)
        receiver = Receiver().start()
        hooks = []
        for name, method, events in HOOKS:
            secret = 'demo-secret-%s' % name
            receiver.add_hook(name, secret)
            hooks.append({'name': name, 'url': receiver.url(name), 'method': method,
                          'secret': secret, 'events': events})
            say('== hook %-7s %-4s %s  events %s' % (name, method, receiver.url(name), events))
        receiver.listeners.append(show)

        topics = ['%s.%s' % (PREFIX, t) for t in TABLES]
        broker.create_topics(topics, partitions=2)
        say('== topics: %s' % ', '.join(topics))

        prod = records.Producer(broker.bootstrap)
        expected = {name: 0 for name, _, _ in HOOKS}
        for table, action, rid, before, after, when in CHANGES:
            sid = registry.register(records.schema_text(table))
            env = records.envelope(table, action, rid, ts_ms=when // 1000)
            env['before'] = row(table, rid, **before) if before else None
            env['after'] = row(table, rid, **after) if after else None
            value = records.encode(table, env, sid)
            prod.send('%s.%s' % (PREFIX, table), value, key=str(rid).encode())
            event = '%s.%s' % (records.TABLES[table], action)
            to = [h['name'] for h in hooks
                  if any(records.event_matches(p, event) for p in h['events'])]
            for name in to:
                expected[name] += 1
            say('   produced %-22s (%s id %d, schema id %d) -> %s'
                % (event, table, rid, sid, ', '.join(to)))
        prod.flush()
        del prod  # the producer's connections close now, not after the broker stopped
        total = sum(expected.values())

        group = 'perscom-bridge-demo'
        conf = make_config(broker.bootstrap, group,
                           [{'pattern': PREFIX.replace('.', r'\.') + r'\..*',
                             'format': 'confluent'}],
                           hooks, registry_url=registry.url, log_level='info',
                           # the demo's receiver is on loopback: allowed explicitly
                           egress_allow=['127.0.0.1/32'])
        bridge = Bridge(os.path.join(args.workdir, 'bridge'), conf, binary=args.bridge)
        say('== starting %s run --config %s (log: %s/bridge-1.log)'
            % (bridge.binary, bridge.config_path, bridge.workdir))
        bridge.start()

        deadline = time.monotonic() + args.timeout
        while sum(len(receiver.delivered(n)) for n in expected) < total:
            if not bridge.running():
                raise RuntimeError('the bridge exited with %s\n%s'
                                   % (bridge.proc.returncode, bridge.log_tail()))
            if time.monotonic() > deadline:
                raise RuntimeError('not every webhook arrived within %.0f s\n%s'
                                   % (args.timeout, bridge.log_tail()))
            time.sleep(0.2)

        deadline = time.monotonic() + 20
        while not broker.fully_committed(group, topics):
            if time.monotonic() > deadline:
                raise RuntimeError('offsets were not committed within 20 s')
            time.sleep(0.3)
        rc, took = bridge.terminate(timeout=20)

        say()
        say('== summary')
        good = True
        methods = {name: method for name, method, _ in HOOKS}
        for name, want in expected.items():
            got = receiver.snapshot(name)
            signed = sum(1 for r in got if r.sig_ok)
            delivered = sum(1 for r in got if r.ok)
            good &= delivered == want and signed == len(got)
            # a GET receiver cannot rebuild the JSON the signature is over: only its form is checked
            checked = 'valid signatures' if methods[name] == 'POST' else 'signatures present'
            say('   %-7s expected %d, delivered %d, %s %d of %d'
                % (name, want, delivered, checked, signed, len(got)))
        say('   committed offsets == end offsets: yes')
        say('   bridge stopped on SIGTERM in %.1f s with exit code %d' % (took, rc))
        ok = good and rc == 0
        say('== demo %s' % ('OK' if ok else 'FAILED'))
    except Exception as e:  # report, clean up, exit non-zero
        say('== demo FAILED: %s' % e)
        if broker:
            say(broker.log_tail(15))
    finally:
        if bridge:
            bridge.stop()
        if receiver:
            receiver.stop()
        if registry:
            registry.stop()
        if broker:
            broker.stop()
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
