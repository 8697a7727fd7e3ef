"""Real Debezium in the suite: MariaDB -> Debezium MariaDB connector (Kafka Connect standalone)
-> Apicurio AvroConverter (Confluent framing) -> Kafka -> perscom-bridge -> receiver.

Every webhook is compared byte for byte, body and Signature, with PHP's golden payload for the
same row (tests/golden/expected.php, fed the row as PERSCOM's model gives it: booleans,
JSON lists, µs datetimes, integers, custom fields). The chain runs twice: with Debezium's
defaults and with `bigint.unsigned.handling.mode=precise` (every PERSCOM id is BIGINT UNSIGNED).

Run alone: `python3 -m pytest -v tests/integration/test_debezium.py` (or `-m debezium`).
See tests/integration/README.md, "The Debezium chain".
"""
import json
import os
import time
import urllib.request
import uuid

import pytest

from . import perscom_db
from .records import ALL_EVENTS
from .debezium_chain import (PREFIX, SchemaCache, Workload, compare, dead_letters,
                             end_offsets, golden, match_messages, php_json, read_messages,
                             retrying, summarize_value_diffs, topics_matching)
from .kafka_broker import free_port
from .kafka_connect import DebeziumConnector, KafkaConnect
from .mariadb import MariaDB
from .registry import SchemaRegistry

pytestmark = [pytest.mark.debezium, pytest.mark.timeout(900)]

# Debezium's bigint.unsigned.handling.mode per chain run (None: the connector's default, long).
MODES = {'default': None, 'precise': 'precise'}
# The documented subscription (docs/configuration.md, issue 12).
PATTERN = r'perscom\.perscom_tenant1\..*'
# A broader pattern that also matches Debezium's schema-change (`perscom`), transaction
# (`perscom.transaction`) and heartbeat (`__debezium-heartbeat.perscom`) topics.
META_PATTERN = r'perscom|perscom\..*|__debezium-heartbeat\.perscom'
SCHEMA_CHANGE_TOPIC = 'perscom'
TRANSACTION_TOPIC = 'perscom.transaction'
HEARTBEAT_TOPIC = '__debezium-heartbeat.perscom'
NON_PERSCOM_TABLES = ('migrations', 'password_reset_tokens', 'type_samples')
# A new topic of a pattern subscription must deliver its first change within this many
# seconds of the topic's creation (the bridge's default topic.metadata.refresh.interval.ms,
# a few seconds, plus delivery).
DISCOVERY_BOUND_S = 15
# How long a test waits for the webhooks it expects (they come within seconds when all goes
# well; the wait ends early once the group has committed everything and nothing new came).
WEBHOOK_WAIT_S = 90
# How long committed offsets may take to reach the end of skipped topics.
SKIP_COMMIT_WAIT_S = 30
HOOK_SECRET = 'dbz-s3cret-\u00e9'
DEBEZIUM_TOPICS_RE = r'perscom|perscom\..*|__debezium-heartbeat\.perscom'


# --- the chain ---------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def mariadb(workdir):
    db = MariaDB(os.path.join(workdir, 'mariadb'))
    try:
        db.start()
    except Exception as e:  # fail loudly, never skip
        db.stop()
        pytest.fail('MariaDB did not start: %s' % e, pytrace=False)
    yield db
    db.stop()


class Chain:
    def __init__(self, mode, kafka, mariadb, registry, connect, workdir):
        self.mode = mode
        self.kafka = kafka
        self.mariadb = mariadb
        self.registry = registry
        self.connect = connect
        self.workdir = workdir
        self.cache = SchemaCache(registry)
        self.timings = {}

    def workload(self):
        return Workload(self.mariadb)


def _delete_debezium_topics(kafka, timeout=60):
    """Removes the topics a previous chain run left (same names in both modes)."""
    old = topics_matching(kafka, DEBEZIUM_TOPICS_RE)
    if not old:
        return
    admin = kafka.admin()
    for fut in admin.delete_topics(old, operation_timeout=30).values():
        fut.result(timeout=60)
    deadline = time.monotonic() + timeout
    while topics_matching(kafka, DEBEZIUM_TOPICS_RE):
        if time.monotonic() > deadline:
            raise AssertionError('topics %s not deleted within %d s'
                                 % (topics_matching(kafka, DEBEZIUM_TOPICS_RE), timeout))
        time.sleep(0.3)


def _create_database(mariadb):
    stmts = ['DROP DATABASE IF EXISTS perscom_tenant1',
             'CREATE DATABASE perscom_tenant1 CHARACTER SET utf8mb4 '
             'COLLATE utf8mb4_unicode_ci', 'USE perscom_tenant1']
    for t in list(perscom_db.TABLES) + list(perscom_db.OTHER_TABLES):
        stmts.append(perscom_db.create_table_sql(t))
    # rows present before the connector starts: the snapshot reads them (op r, not events)
    stmts += ["INSERT INTO migrations (migration, batch) VALUES "
              "('2014_10_12_000000_create_users_table', 1), "
              "('2024_01_01_000000_create_events_table', 1)",
              "INSERT INTO calendars (id, name, created_at, updated_at) VALUES "
              "(1, 'Snapshot', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
              "INSERT INTO type_samples (id, flag, small, big_unsigned, big_signed, "
              "int_unsigned, pay_grade, amount, ratio, doc, day, clock, clock_us, year_only, dt, "
              "dt_ms, dt_us, ts, ts_us, bits, choice, blob_bytes) VALUES (1, 1, 3, "
              "18446744073709551615, -5, 4294967295, 123.45, -12345678901234.123456, 0.1, "
              "'{\"a\":[1,2]}', '1969-12-31', '10:20:30', '23:59:59.999999', 2024, "
              "'2026-05-01 10:00:00', '2026-05-01 10:00:00.123', '1969-07-20 20:17:40.000001', "
              "'2026-05-01 10:00:00', '2026-05-01 10:00:00.654321', b'1', 'primary', X'00ff')"]
    mariadb.execute(stmts)


SNAPSHOT_TABLES = ('calendars', 'migrations', 'type_samples')  # tables with rows at start


def _wait_snapshot_in_kafka(kafka, timeout):
    """Waits until the snapshot's rows are in Kafka (Debezium logs "Snapshot completed"
    before the worker has produced them)."""
    topics = [PREFIX + t for t in SNAPSHOT_TABLES]
    deadline = time.monotonic() + timeout
    while True:
        md = kafka.admin().list_topics(timeout=10)
        if all(t in md.topics for t in topics):
            ends = end_offsets(kafka, topics)
            if all(sum(v for (t, _), v in ends.items() if t == x) > 0 for x in topics):
                return
        if time.monotonic() > deadline:
            raise AssertionError('the snapshot rows of %s were not in Kafka within %d s'
                                 % (topics, timeout))
        time.sleep(0.3)


@pytest.fixture(scope='module', params=list(MODES))
def chain(request, workdir, kafka, mariadb, debezium_summary):
    """The chain of one mode: a fresh database and fresh Debezium topics, a registry stand-in,
    Kafka Connect with the connector, the initial snapshot done."""
    mode = request.param
    t0 = time.monotonic()
    _delete_debezium_topics(kafka)
    _create_database(mariadb)
    registry = SchemaRegistry().start()
    connector = DebeziumConnector(mariadb, kafka.bootstrap, registry.apicurio_url,
                                  bigint_mode=MODES[mode],
                                  history_topic='dbz-history-%s-%s' % (mode, uuid.uuid4().hex[:6]))
    connect = KafkaConnect(os.path.join(workdir, 'connect-%s' % mode), kafka.bootstrap,
                           connector)
    c = Chain(mode, kafka, mariadb, registry, connect, os.path.join(workdir, 'debezium-' + mode))
    os.makedirs(c.workdir, exist_ok=True)
    try:
        t_prep = time.monotonic()
        connect.start()
        t_run = time.monotonic()
        connect.wait_log('Snapshot completed', 120)
        _wait_snapshot_in_kafka(kafka, 60)
        t_snap = time.monotonic()
    except Exception as e:  # fail loudly, never skip
        connect.stop()
        registry.stop()
        pytest.fail('the Debezium chain (%s) did not start: %s' % (mode, e), pytrace=False)
    c.timings = {'mariadb_start_s': mariadb.started_s, 'prepare_s': t_prep - t0,
                 'connect_running_s': t_run - t_prep, 'snapshot_done_s': t_snap - t_prep}
    debezium_summary('DEBEZIUM %s start-up: mariadb_start_s=%.1f (once per run) '
                     'topics+database_s=%.1f connect_running_s=%.1f snapshot_done_s=%.1f'
                     % (mode, mariadb.started_s or 0, c.timings['prepare_s'],
                        c.timings['connect_running_s'], c.timings['snapshot_done_s']))
    yield c
    with open(os.path.join(c.workdir, 'registered-schemas.json'), 'w') as f:
        json.dump(registry.artifact_schemas(), f, indent=1)
    connect.stop()
    registry.stop()
    rep = getattr(request.node, 'rep_call', None)
    if rep is not None and rep.failed:
        print(connect.log_tail(40))


def _hooks(receiver):
    """A hook per event: {event: hook conf}, each with its own path and secret."""
    hooks = {}
    for event in ALL_EVENTS:
        name = 'h-' + event.replace('.', '-')
        secret = '%s-%s' % (HOOK_SECRET, event)
        receiver.add_hook(name, secret)
        hooks[event] = {'name': name, 'url': receiver.url(name), 'secret': secret,
                        'events': [event]}
    return hooks


def _start_bridge(bridges, chain, uniq, name, topics, receiver, hooks, admin_port=None):
    dl_topic = 'it-dbz-dl-%s' % uniq
    chain.kafka.create_topics([dl_topic], partitions=1)
    extra = {'dead_letter': {'topic': dl_topic}}
    if admin_port:
        extra['admin'] = {'listen': '127.0.0.1:%d' % admin_port}
    group = 'it-dbz-%s-%s' % (name, uniq)
    b = bridges(name, group, topics, list(hooks.values()), registry_url=chain.registry.url,
                extra=extra)
    b.start()
    return b, group, dl_topic


def _wait_deliveries(receiver, kafka, group, rids, topics, bridge, timeout=WEBHOOK_WAIT_S):
    """Waits until every request id was delivered, or the group committed everything it
    read and nothing new arrived for 3 s, or the timeout."""
    deadline = time.monotonic() + timeout
    quiet_since, last_count = time.monotonic(), -1
    while time.monotonic() < deadline:
        bridge.assert_running()
        reqs = receiver.snapshot()
        have = set()
        for r in reqs:
            if r.ok:
                try:
                    have.add(json.loads(r.body).get('request_id'))
                except Exception:
                    pass
        if set(rids) <= have:
            return True
        if len(reqs) != last_count:
            last_count, quiet_since = len(reqs), time.monotonic()
        elif time.monotonic() - quiet_since > 3 and retrying(
                lambda: kafka.fully_committed(group, topics)):
            return False
        time.sleep(0.5)
    return False


def _committed_reaches(kafka, group, ends, timeout):
    """Waits until the group's committed offsets reach `ends` {(topic, partition): offset};
    returns {(topic, partition): (committed, end)} of those that did not."""
    topics = sorted({t for t, _ in ends})
    deadline = time.monotonic() + timeout
    while True:
        committed = retrying(lambda: kafka.committed_offsets(group, topics))
        behind = {tp: (committed.get(tp), end) for tp, end in ends.items()
                  if end > 0 and (committed.get(tp) or 0) < end}
        if not behind or time.monotonic() > deadline:
            return behind
        time.sleep(0.5)


def _log_complaints(bridge, topics):
    """Bridge log lines at level error or warn that name one of the topics."""
    out = []
    for line in bridge.log_text().splitlines():
        parts = line.split(' ', 2)
        if len(parts) >= 2 and parts[1] in ('error', 'warn') and any(t in line for t in topics):
            out.append(line)
    return out


def _report(chain, name, lines):
    path = os.path.join(chain.workdir, name)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path


# --- the SQL workloads -------------------------------------------------------------------------

TEXTS = [
    'caf\u00e9 / <b>"quoted"</b> \\ back\\slash',
    'emoji \U0001F600, U+2028 \u2028 and \u00fc\u00df',
    'controls \x01\x1f\t\n\r\b\f end',
    '',
    'NUL \x00 inside',
]
T0 = '2026-05-01 10:00:00'
T1 = '2026-05-01 10:05:07'
BIG_ID = 9007199254740993            # 2^53 + 1: exact only as an integer
MAX_SIGNED = 9223372036854775807     # 2^63 - 1: PHP's PHP_INT_MAX


def _custom(obj):
    return php_json(obj)


def perscom_workload(w, base):
    """Inserts, updates and deletes through every column type of the ten tables."""
    b = base
    # calendars: strings, NULLs, TIMESTAMP
    w.insert('calendars', id=b + 1, name='Ops / Training', description=TEXTS[0],
             color='#ff0000', created_at=T0, updated_at=T0)
    w.insert('calendars', id=b + 2, name='Empty', description=None, color=None,
             created_at=None, updated_at=None)
    w.update('calendars', b + 1, color=None, description=TEXTS[1], updated_at=T1)
    w.delete('calendars', b + 2)
    # events: TINYINT(1) booleans, DATETIME(6) (also before 1970), JSON lists, NULLs
    w.insert('events', id=b + 1, name='Op \u00c9clair', calendar_id=b + 1,
             description=TEXTS[2], content='<p>brief</p>', location='FOB "Alpha"',
             url='https://example.test/a?b=c&d=e', author_id=MAX_SIGNED, all_day=1,
             starts='2026-05-01 10:00:00.123456', ends='2026-05-01 12:00:00.000001',
             repeats=0, registration_enabled=1,
             registration_deadline='2026-04-30 23:59:59.999999', notifications_enabled=1,
             notifications_interval=php_json(['pt15m', 'pt1h']),
             notifications_channels=php_json(['mail', 'discord']), created_at=T0,
             updated_at=T0)
    w.insert('events', id=b + 2, name='Moon', starts='1969-07-20 20:17:40.000001',
             all_day=0, repeats=1, registration_enabled=0, notifications_enabled=0,
             notifications_interval=php_json([]), notifications_channels=None,
             created_at=T0, updated_at=None)
    w.update('events', b + 1, all_day=0, notifications_interval=php_json(['p1d']),
             ends=None, registration_enabled=0, updated_at=T1)
    w.update('events', b + 2, starts='1969-07-20 20:17:40.5', notifications_channels=php_json(
        ['broadcast', '/x', '\u00e9\U0001F600']), repeats=0, updated_at=T1)
    w.delete('events', b + 1)
    # users: hidden columns, booleans, TIMESTAMP(6), big ids, custom fields
    uid = BIG_ID
    w.insert('users', id=uid, name='Jane \u201cViper\u201d Doe',
             email='jane@example.test', email_verified_at=T0, password='$2y$10$secret',
             remember_token='tok', phone_number='+1 555/0100', position_id=1, rank_id=2,
             specialty_id=None, status_id=3, unit_id=MAX_SIGNED, unit_slot_id=None, approved=1,
             notes=TEXTS[4], notes_updated_at='2026-05-01 10:00:00.000001',
             profile_photo='p/1.png', cover_photo=None,
             last_seen_at='2026-05-01 09:59:59.999999', discord_user_id='123456789012345678',
             discord_private_channel_id='987', facebook_user_id=None, github_user_id='gh',
             google_user_id=None, created_at=T0, updated_at=T0,
             data=_custom({'callsign': 'Viper / 1', 'score': 97, 'ratio': 0.5,
                           'tags': ['a', 'b'], 'nested': {'k': 'caf\u00e9', 'empty': {}},
                           'ok': True, 'none': None}))
    w.insert('users', id=b + 2, name='Plain', email='plain@example.test', approved=0,
             data=None)
    w.update('users', uid, approved=0, last_seen_at='2026-05-02 00:00:00.5', updated_at=T1)
    w.update('users', uid, password='$2y$10$changed')  # a hidden column only: changes []
    w.update('users', b + 2, data=_custom({'id': 99, 'label': 'nope', 'name': 'x',
                                           'bio': 'kept'}), approved=1, updated_at=T1)
    w.delete('users', b + 2)
    # submissions: read_at (sent raw), required form_id, custom fields [] and {}
    w.insert('submissions', id=b + 1, form_id=MAX_SIGNED, user_id=uid,
             read_at='2026-05-01 11:00:00', created_at=T0, updated_at=T0,
             data=_custom({'answer': 'yes / no', 'n': 3}))
    w.insert('submissions', id=b + 2, form_id=1, user_id=None, read_at=None, data='[]')
    w.update('submissions', b + 1, read_at=None, data='{}', updated_at=T1)
    w.update('submissions', b + 2, read_at='1999-12-31 23:59:59', updated_at=T1)
    w.delete('submissions', b + 2)
    # records_ranks: TINYINT type (an integer, not a boolean)
    w.insert('records_ranks', id=b + 1, user_id=uid, rank_id=4, document_id=None,
             author_id=1, text=TEXTS[0], type=1, created_at=T0, updated_at=T0,
             data=_custom({'reason': 'merit'}))
    w.update('records_ranks', b + 1, type=0, text=None, updated_at=T1)
    w.insert('records_ranks', id=b + 2, user_id=None, text='lateral', type=2, data=None)
    w.delete('records_ranks', b + 2)
    # the other record tables
    w.insert('records_assignments', id=b + 1, user_id=uid, status_id=1, unit_id=2,
             position_id=3, specialty_id=4, unit_slot_id=5, document_id=6, author_id=7,
             type='primary', text='<p>assigned</p>', created_at=T0, updated_at=T0,
             data=_custom({'orders': 'A/1'}))
    w.update('records_assignments', b + 1, type='secondary', unit_slot_id=None,
             updated_at=T1)
    w.delete('records_assignments', b + 1)
    w.insert('records_awards', id=b + 1, user_id=uid, award_id=9, text=None, created_at=T0,
             updated_at=T0, data=None)
    w.update('records_awards', b + 1, text=TEXTS[1], data=_custom({'citation': 'x'}),
             updated_at=T1)
    w.insert('records_combat', id=b + 1, user_id=uid, text='Contact at grid 123/456',
             created_at=T0, updated_at=T0, data=_custom({}))
    w.delete('records_combat', b + 1)
    w.insert('records_qualifications', id=b + 1, user_id=uid, qualification_id=3,
             text=TEXTS[2], created_at=T0, updated_at=T0, data=_custom({'score': 99}))
    w.update('records_qualifications', b + 1, qualification_id=None, updated_at=T1)
    w.insert('records_service', id=b + 1, user_id=uid, author_id=MAX_SIGNED,
             text=TEXTS[3], created_at=T0, updated_at=T0,
             data=_custom({'medal': '\u2605'}))
    w.update('records_service', b + 1, text='served again', updated_at=T1)
    w.delete('records_service', b + 1)


def other_tables_workload(w, base):
    """Changes of tables that are not PERSCOM resources."""
    w.insert('migrations', id=base + 1, migration='2026_05_01_000000_add_things', batch=2)
    w.update('migrations', base + 1, batch=3)
    w.delete('migrations', base + 1)
    email = 'reset-%d@example.test' % base
    w.insert('password_reset_tokens', email=email, token='t0', created_at=T0)
    w.update('password_reset_tokens', email, token='t1')
    w.delete('password_reset_tokens', email)
    w.insert('type_samples', id=base + 1, flag=0, small=-7, big_unsigned=MAX_SIGNED + 1,
             big_signed=-MAX_SIGNED, int_unsigned=0, pay_grade='-0.01', amount='0.000001',
             ratio=-1.5e-7, doc='[]', day='2026-05-01', clock='00:00:00',
             clock_us='838:59:59.000000', year_only=1901, dt='1000-01-01 00:00:00',
             dt_ms='9999-12-31 23:59:59.999', dt_us='2026-05-01 10:00:00.000001', ts=T0,
             ts_us='2038-01-19 03:14:07.999999', bits=0, choice='secondary',
             blob_bytes=b'\x80\x81')
    w.update('type_samples', base + 1, pay_grade='999.99', flag=None)
    w.delete('type_samples', base + 1)


# --- tests ---------------------------------------------------------------------------------

# The Debezium form of each MySQL type, as the Apicurio converter registers it (the non-null
# branch of the column's union). `long` vs decimal depends on bigint.unsigned.handling.mode.
_DECIMAL_20_0 = {'type': 'bytes', 'logicalType': 'decimal', 'precision': 20, 'scale': 0,
                 'connect.name': 'org.apache.kafka.connect.data.Decimal'}
EXPECTED_FORMS = {
    'flag': {'type': 'int', 'connect.type': 'int16'},                        # TINYINT(1)
    'small': {'type': 'int', 'connect.type': 'int16'},                       # TINYINT
    'big_signed': 'long',                                                    # BIGINT
    'int_unsigned': 'long',                                                  # INT UNSIGNED
    'pay_grade': {'type': 'bytes', 'logicalType': 'decimal', 'precision': 5, 'scale': 2,
                  'connect.name': 'org.apache.kafka.connect.data.Decimal'},  # DECIMAL(5,2)
    'ratio': 'double',                                                       # DOUBLE
    'doc': 'string',                                                         # JSON (MariaDB)
    'day': {'type': 'int', 'connect.name': 'io.debezium.time.Date'},         # DATE
    'clock': {'type': 'long', 'connect.name': 'io.debezium.time.MicroTime'},  # TIME
    'clock_us': {'type': 'long', 'connect.name': 'io.debezium.time.MicroTime'},  # TIME(6)
    'year_only': {'type': 'int', 'connect.name': 'io.debezium.time.Year'},   # YEAR
    'dt': {'type': 'long', 'connect.name': 'io.debezium.time.Timestamp'},    # DATETIME
    'dt_ms': {'type': 'long', 'connect.name': 'io.debezium.time.Timestamp'},  # DATETIME(3)
    'dt_us': {'type': 'long', 'connect.name': 'io.debezium.time.MicroTimestamp'},  # DATETIME(6)
    'ts': {'type': 'string', 'connect.name': 'io.debezium.time.ZonedTimestamp'},  # TIMESTAMP
    'ts_us': {'type': 'string', 'connect.name': 'io.debezium.time.ZonedTimestamp'},
    'bits': 'boolean',                                                       # BIT(1)
    'choice': {'type': 'string', 'connect.name': 'io.debezium.data.Enum'},   # ENUM
    'blob_bytes': 'bytes',                                                   # VARBINARY
}


def _non_null(t):
    if isinstance(t, list):
        rest = [x for x in t if x != 'null']
        return rest[0] if len(rest) == 1 else rest
    return t


def _row_fields(schema_text):
    env = json.loads(schema_text)
    before = next(f for f in env['fields'] if f['name'] == 'before')
    row = _non_null(before['type'])
    return {f['name']: _non_null(f['type']) for f in row['fields']}


def _form_matches(expected, got):
    if isinstance(expected, str):
        return got == expected
    return isinstance(got, dict) and all(got.get(k) == v for k, v in expected.items())


def test_registered_schemas(chain, debezium_summary):
    """The converter's calls are all answered, the bridge's lookup (`GET /schemas/ids/{id}`)
    gives the converter's own schema text for the ids in the messages' framing, and each
    MySQL type has the Debezium form the bridge must handle (written to
    debezium-<mode>/column-forms.json)."""
    reg = chain.registry
    assert not reg.unhandled, 'the stand-in did not implement: %s' % reg.unhandled
    assert reg.apicurio_calls, 'the converter never called the registry stand-in'
    topics = [PREFIX + t for t in ('calendars', 'migrations', 'type_samples')]
    msgs = read_messages(chain.kafka, chain.cache, topics)
    assert {m.topic for m in msgs} == set(topics), 'snapshot rows missing: %s' % (
        {m.topic for m in msgs})
    artifacts = reg.artifact_schemas()
    for m in msgs:
        assert m.raw_value[0] == 0, 'not Confluent framing'
        with urllib.request.urlopen('%s/schemas/ids/%d' % (reg.url, m.value_schema),
                                    timeout=5) as r:
            text = json.loads(r.read())['schema']
        assert text in artifacts[m.topic + '-value'], \
            'the Confluent lookup of id %d is not the text the converter registered' % (
                m.value_schema)
    ts = _row_fields(artifacts[PREFIX + 'type_samples-value'][-1])
    forms = dict(EXPECTED_FORMS)
    forms['big_unsigned'] = _DECIMAL_20_0 if chain.mode == 'precise' else 'long'
    forms['id'] = forms['big_unsigned']
    sample = next(m.value['after'] for m in msgs if m.topic == PREFIX + 'type_samples')
    dump = {'type_samples': ts,
            'type_samples_snapshot_row': {k: repr(v) for k, v in sample.items()},
            'calendars': _row_fields(artifacts[PREFIX + 'calendars-value'][-1])}
    with open(os.path.join(chain.workdir, 'column-forms.json'), 'w') as f:
        json.dump(dump, f, indent=1)
    wrong = {c: (forms[c], ts.get(c)) for c in forms if not _form_matches(forms[c], ts.get(c))}
    assert not wrong, 'Debezium forms differ from what the tests (and the bridge) assume: %s' \
        % json.dumps(wrong, indent=1)
    debezium_summary('DEBEZIUM %s schemas: %d artifacts, %d Apicurio calls (%s)'
                     % (chain.mode, len(artifacts), len(reg.apicurio_calls),
                        ', '.join(sorted({'%s %s' % (m, p.split('?')[0].rsplit('/', 1)[-1])
                                          for m, p in reg.apicurio_calls}))))


def test_webhooks_match_php(chain, receiver, bridges, uniq, debezium_summary):
    """Inserts, updates and deletes through every column type of the ten tables; every
    webhook is byte-identical (body and Signature) to PHP's golden payload for the row."""
    w = chain.workload()
    try:
        perscom_workload(w, 1000)
    finally:
        w.close()
    changes = match_messages(chain.kafka, chain.cache, w.perscom_changes())
    hooks = _hooks(receiver)
    goldens = golden(changes, hooks, os.path.join(chain.workdir, 'golden-webhooks'))
    topics = sorted({c.topic for c in changes})
    bridge, group, dl_topic = _start_bridge(bridges, chain, uniq, 'webhooks',
                                            [{'pattern': PATTERN, 'format': 'confluent'}],
                                            receiver, hooks)
    t0 = time.monotonic()
    _wait_deliveries(receiver, chain.kafka, group, list(goldens), topics, bridge)
    drain_s = time.monotonic() - t0
    lines, matched, differing, missing = compare(goldens, receiver.snapshot())
    dls = [d for d in dead_letters(chain.kafka, dl_topic)
           if d[0].get('perscom.topic') in topics]
    kinds = summarize_value_diffs(goldens, receiver.snapshot())
    report = ['%d changes: %d identical, %d differ, %d missing; %d dead-lettered'
              % (len(goldens), matched, differing, missing, len(dls))]
    report += ['%4d x %s' % (n, k) for k, n in sorted(kinds.items())]
    report += ['dead letter: %s %s/%s: %s' % (h.get('perscom.reason'), h.get('perscom.topic'),
                                              h.get('perscom.offset'), h.get('perscom.error'))
               for h, _, _ in dls]
    report += lines
    path = _report(chain, 'webhooks-report.txt', report)
    debezium_summary('DEBEZIUM %s webhooks: changes=%d identical=%d differ=%d missing=%d '
                     'dead_lettered=%d drain_s=%.1f (report: %s)'
                     % (chain.mode, len(goldens), matched, differing, missing, len(dls),
                        drain_s, path))
    assert matched == len(goldens), '\n'.join(report[:80])


def test_other_tables_skipped(chain, receiver, bridges, uniq, debezium_summary):
    """Changes of `migrations`, `password_reset_tokens` and `type_samples` (not PERSCOM
    resources) matched by the documented pattern are skipped: no webhook, nothing
    dead-lettered, no error logged for them, and the group's committed offsets reach the end
    of their partitions (none is held); a PERSCOM change after them is delivered."""
    w = chain.workload()
    try:
        other_tables_workload(w, 3000)
        w.insert('calendars', id=3001, name='after the others', created_at=T0, updated_at=T0)
    finally:
        w.close()
    changes = match_messages(chain.kafka, chain.cache, w.changes)
    marker = [c for c in changes if c.table == 'calendars']
    skipped_topics = sorted({PREFIX + t for t in NON_PERSCOM_TABLES})
    hooks = _hooks(receiver)
    goldens = golden(marker, hooks, os.path.join(chain.workdir, 'golden-skip'))
    ends = {tp: end for tp, end in end_offsets(chain.kafka, skipped_topics).items()}
    bridge, group, dl_topic = _start_bridge(bridges, chain, uniq, 'skip',
                                            [{'pattern': PATTERN}], receiver, hooks)
    _wait_deliveries(receiver, chain.kafka, group, list(goldens), [PREFIX + 'calendars'],
                     bridge, timeout=60)
    behind = _committed_reaches(chain.kafka, group, ends, SKIP_COMMIT_WAIT_S)
    other_rids = {c.message.request_id for c in changes if c.table not in perscom_db.TABLES}
    hooked = [r for r in receiver.snapshot()
              if json.loads(r.body).get('request_id') in other_rids]
    dls = [h for h, _, _ in dead_letters(chain.kafka, dl_topic)
           if h.get('perscom.topic') in skipped_topics]
    complaints = _log_complaints(bridge, skipped_topics)
    lines, matched, differing, missing = compare(goldens, receiver.snapshot())
    problems = []
    if behind:
        problems.append('committed offsets did not reach the end within %d s '
                        '{(topic, partition): (committed, end)}: %s' % (SKIP_COMMIT_WAIT_S, behind))
    if dls:
        problems.append('%d dead-lettered: %s' % (len(dls), sorted({
            '%s: %s' % (h.get('perscom.topic'), h.get('perscom.error')) for h in dls})))
    if hooked:
        problems.append('%d webhooks for non-PERSCOM tables' % len(hooked))
    if complaints:
        problems.append('%d error/warn log lines about them, e.g. %s'
                        % (len(complaints), complaints[:3]))
    if missing:
        problems.append('the PERSCOM change after them was not delivered')
    debezium_summary('DEBEZIUM %s other-tables: behind=%d dead_lettered=%d webhooks=%d '
                     'log_complaints=%d marker=%s'
                     % (chain.mode, len(behind), len(dls), len(hooked), len(complaints),
                        'delivered' if not missing else 'missing'))
    assert not problems, '\n'.join(problems)


def _readyz(port):
    try:
        with urllib.request.urlopen('http://127.0.0.1:%d/readyz' % port, timeout=2) as r:
            return r.status == 200
    except Exception:
        return False


def test_new_table_found_within_refresh_interval(chain, receiver, bridges, uniq,
                                                 debezium_summary):
    """A table created after the bridge started: Debezium creates its topic at the first
    change, and the bridge's pattern subscription must deliver that change within
    DISCOVERY_BOUND_S of the topic's creation. (The table is a copy of records_service under
    a new name, mapped with `resource: servicerecord`, so every run has a table that is new.)"""
    table = 'service_late_%s' % uniq
    topic = PREFIX + table
    admin_port = free_port()
    hooks = _hooks(receiver)
    bridge, group, _ = _start_bridge(
        bridges, chain, uniq, 'late',
        [{'pattern': r'perscom\.perscom_tenant1\.service_late_.*', 'resource': 'servicerecord'},
         {'pattern': PATTERN}], receiver, hooks, admin_port=admin_port)
    deadline = time.monotonic() + 60
    while not _readyz(admin_port):
        bridge.assert_running()
        assert time.monotonic() < deadline, 'the bridge had no assignment within 60 s'
        time.sleep(0.3)
    time.sleep(1.0)  # subscribed and assigned: the topic does not exist yet
    assert topic not in chain.kafka.admin().list_topics(timeout=10).topics
    w = chain.workload()
    try:
        w.conn.cursor().execute(perscom_db.create_table_sql('records_service', name=table))
        t_insert = time.time()
        w.insert(table, table='records_service', id=1, user_id=7, text='first change',
                 created_at=T0, updated_at=T0, data=_custom({'late': True}))
    finally:
        w.close()
    t_topic = None
    deadline = time.monotonic() + 60
    while t_topic is None:
        if topic in chain.kafka.admin().list_topics(timeout=10).topics:
            t_topic = time.time()
        else:
            assert time.monotonic() < deadline, 'Debezium did not create %s within 60 s' % topic
            time.sleep(0.1)
    changes = match_messages(chain.kafka, chain.cache, w.changes)
    goldens = golden(changes, hooks, os.path.join(chain.workdir, 'golden-late-' + uniq))
    rid = changes[0].message.request_id
    got = None
    end = t_topic + DISCOVERY_BOUND_S + 5
    while time.time() < end and got is None:
        bridge.assert_running()
        for r in receiver.snapshot():
            if r.ok and json.loads(r.body).get('request_id') == rid:
                got = r
                break
        time.sleep(0.1)
    latency = (got.time - t_topic) if got else None
    debezium_summary('DEBEZIUM %s new-table: insert->topic_s=%.1f topic->webhook_s=%s '
                     '(bound %d s)' % (chain.mode, t_topic - t_insert,
                                       '%.1f' % latency if got else '>%d' % (
                                           DISCOVERY_BOUND_S + 5), DISCOVERY_BOUND_S))
    assert got is not None and latency <= DISCOVERY_BOUND_S, (
        'the first change of a table created after the bridge started was not delivered '
        'within %d s of its topic\'s creation (%s)'
        % (DISCOVERY_BOUND_S, 'took %.1f s' % latency if got else 'not at all'))
    lines, matched, _, _ = compare(goldens, [got])
    assert matched == 1, '\n'.join(lines)


def test_debezium_meta_topics_skipped(chain, receiver, bridges, uniq, debezium_summary):
    """With heartbeats and transaction metadata on, a pattern that also matches Debezium's
    schema-change, transaction and heartbeat topics: their messages are skipped (no webhook,
    nothing dead-lettered, committed offsets reach their end), and the PERSCOM changes of a
    multi-statement transaction (envelopes now carrying `transaction`) still match PHP."""
    chain.connect.reconfigure(heartbeat_ms=1000, transaction_metadata=True)
    try:
        w = chain.workload()
        try:
            w.conn.cursor().execute('ALTER TABLE type_samples ADD COLUMN extra_%s VARCHAR(8) '
                                    'NULL' % uniq)
            w.begin()
            w.insert('calendars', id=5001, name='in a transaction', created_at=T0,
                     updated_at=T0)
            w.insert('events', id=5001, name='tx event', calendar_id=5001,
                     starts='2026-06-01 08:00:00.250000', all_day=1,
                     notifications_interval=php_json(['pt15m']), created_at=T0, updated_at=T0)
            w.update('calendars', 5001, color='blue', updated_at=T1)
            w.commit()
            for i in range(3):  # binlog activity, so that heartbeats are due
                time.sleep(1.2)
                w.update('calendars', 5001, description='tick %d' % i, updated_at=T1)
        finally:
            w.close()
        deadline = time.monotonic() + 60
        meta = [SCHEMA_CHANGE_TOPIC, TRANSACTION_TOPIC, HEARTBEAT_TOPIC]
        while True:
            md = chain.kafka.admin().list_topics(timeout=10)
            if all(t in md.topics for t in meta):
                ends = end_offsets(chain.kafka, meta)
                if all(sum(v for (t, _), v in ends.items() if t == x) > 0 for x in meta):
                    break
            assert time.monotonic() < deadline, \
                'Debezium did not write to all of %s within 60 s: %s' % (
                    meta, sorted(t for t in md.topics if t.startswith(('perscom', '__deb'))))
            time.sleep(0.5)
        changes = match_messages(chain.kafka, chain.cache, w.perscom_changes())
        assert all(c.message.value.get('transaction') for c in changes), \
            'change events carry no transaction block'
        hooks = _hooks(receiver)
        goldens = golden(changes, hooks, os.path.join(chain.workdir, 'golden-meta'))
        ends = end_offsets(chain.kafka, meta)
        bridge, group, dl_topic = _start_bridge(bridges, chain, uniq, 'meta',
                                                [{'pattern': META_PATTERN}], receiver, hooks)
        _wait_deliveries(receiver, chain.kafka, group, list(goldens),
                         sorted({c.topic for c in changes}), bridge, timeout=60)
        behind = _committed_reaches(chain.kafka, group, ends, SKIP_COMMIT_WAIT_S)
        dls = [h for h, _, _ in dead_letters(chain.kafka, dl_topic)
               if h.get('perscom.topic') in meta]
        meta_rids = set()
        for m in read_messages(chain.kafka, chain.cache, meta):
            meta_rids.add(m.request_id)
        hooked = [r for r in receiver.snapshot()
                  if json.loads(r.body).get('request_id') in meta_rids]
        complaints = _log_complaints(bridge, meta)
        lines, matched, differing, missing = compare(goldens, receiver.snapshot())
        _report(chain, 'meta-report.txt', lines)
        problems = []
        if behind:
            problems.append('committed offsets did not reach the end within %d s '
                            '{(topic, partition): (committed, end)}: %s'
                            % (SKIP_COMMIT_WAIT_S, behind))
        if dls:
            problems.append('%d dead-lettered: %s' % (len(dls), sorted({
                '%s: %s' % (h.get('perscom.topic'), h.get('perscom.error')) for h in dls})))
        if hooked:
            problems.append('%d webhooks for Debezium\'s own topics' % len(hooked))
        if complaints:
            problems.append('%d error/warn log lines about them, e.g. %s'
                            % (len(complaints), complaints[:3]))
        if matched != len(goldens):
            problems.append('PERSCOM changes in a transaction: %d identical, %d differ, '
                            '%d missing\n%s' % (matched, differing, missing,
                                                '\n'.join(lines[:40])))
        debezium_summary('DEBEZIUM %s meta-topics: behind=%d dead_lettered=%d webhooks=%d '
                         'log_complaints=%d tx_changes=%d identical=%d'
                         % (chain.mode, len(behind), len(dls), len(hooked), len(complaints),
                            len(goldens), matched))
        assert not problems, '\n'.join(problems)
    finally:
        chain.connect.reconfigure(heartbeat_ms=None, transaction_metadata=False)
