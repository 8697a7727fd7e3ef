"""Real Debezium on PERSCOM's `webhooks` table: MariaDB -> the Debezium MariaDB connector ->
Apicurio's AvroConverter -> Kafka. Checks that schemas/webhooks.avsc and
schemas/webhooks_key.avsc are what Debezium writes for the table PERSCOM's migration creates
(every column's type and logical type; with `bigint.unsigned.handling.mode=precise`, and with
Debezium's default, where the ids are `long`), that its messages are the ones the bridge's
decoder expects (c, u, d, then a tombstone whose key carries the id), and that
tests/integration/records.py writes the same bytes for the same row.

With PERSCOM_WRITE_HOOKROW_FIXTURES=1 it also writes the messages and their registered schemas
to tests/unit/fixtures/hookrow/ (the unit test test_hookrow decodes them with the C decoder).

Run alone: `python3 -m pytest -v tests/integration/test_debezium_webhooks.py`.
"""
import decimal
import io
import json
import os
import struct
import time
import uuid

import fastavro
import pytest

from . import records
from .debezium_chain import SchemaCache, read_messages, topics_matching
from .kafka_connect import DebeziumConnector, KafkaConnect
from .mariadb import MariaDB
from .registry import SchemaRegistry

pytestmark = [pytest.mark.debezium, pytest.mark.timeout(900)]

TOPIC = 'perscom.perscom_tenant1.webhooks'
DEBEZIUM_TOPICS_RE = r'perscom|perscom\..*|__debezium-heartbeat\.perscom'
FIXTURES = os.path.join(records.REPO, 'tests', 'unit', 'fixtures', 'hookrow')
# PERSCOM's migration (database/migrations/tenant/..._create_webhooks_table.php) as Laravel
# writes it for MariaDB: id(), string(), text()->nullable(), json(), timestamps().
CREATE = ('CREATE TABLE webhooks (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, '
          'url VARCHAR(255) NOT NULL, description TEXT NULL, method VARCHAR(255) NOT NULL, '
          'events JSON NOT NULL, secret VARCHAR(255) NOT NULL, created_at TIMESTAMP NULL, '
          'updated_at TIMESTAMP NULL) DEFAULT CHARACTER SET utf8mb4 '
          'COLLATE utf8mb4_unicode_ci')
MODES = {'default': None, 'precise': 'precise'}


@pytest.fixture(scope='module')
def mariadb(workdir):
    db = MariaDB(os.path.join(workdir, 'mariadb-webhooks'))
    try:
        db.start()
    except Exception as e:  # fail loudly, never skip
        db.stop()
        pytest.fail('MariaDB did not start: %s' % e, pytrace=False)
    yield db
    db.stop()


def _delete_topics(kafka, timeout=60):
    old = topics_matching(kafka, DEBEZIUM_TOPICS_RE)
    if old:
        admin = kafka.admin()  # kept: its futures fail once the client is destroyed
        for fut in admin.delete_topics(old, operation_timeout=30).values():
            fut.result(timeout=60)
    deadline = time.monotonic() + timeout
    while topics_matching(kafka, DEBEZIUM_TOPICS_RE):
        assert time.monotonic() < deadline, 'old Debezium topics not deleted'
        time.sleep(0.3)


def _types(schema_text):
    """{column: type} of the row record of an envelope, or of a key record."""
    schema = json.loads(schema_text)
    if any(f['name'] == 'before' for f in schema['fields']):
        before = next(f for f in schema['fields'] if f['name'] == 'before')
        schema = next(t for t in before['type'] if isinstance(t, dict))
    return {f['name']: f['type'] for f in schema['fields']}


def _long_ids(types):
    """The committed types with Debezium's default long id."""
    return dict(types, id='long')


def _wait_messages(kafka, cache, count, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        msgs = [m for m in read_messages(kafka, cache, [TOPIC]) if m.topic == TOPIC]
        if len(msgs) >= count or time.monotonic() > deadline:
            return msgs
        time.sleep(1)


def _raw(kafka):
    """(key bytes, value bytes) of every message of TOPIC, in offset order."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({'bootstrap.servers': kafka.bootstrap, 'group.id': 'it-wh-raw',
                  'enable.auto.commit': False})
    try:
        md = c.list_topics(TOPIC, timeout=10)
        out = []
        for p in md.topics[TOPIC].partitions:
            lo, hi = c.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=10)
            if hi <= lo:
                continue
            c.assign([TopicPartition(TOPIC, p, lo)])
            while True:
                m = c.poll(5)
                assert m is not None, 'could not read %s [%d]' % (TOPIC, p)
                if m.error():
                    continue
                out.append((m.offset(), m.key(), m.value()))
                if m.offset() + 1 >= hi:
                    break
        return [(k, v) for _, k, v in sorted(out, key=lambda x: x[0])]
    finally:
        c.close()


@pytest.mark.parametrize('mode', list(MODES))
def test_debezium_writes_the_committed_schemas(mode, workdir, kafka, mariadb):
    _delete_topics(kafka)
    mariadb.execute(['DROP DATABASE IF EXISTS perscom_tenant1',
                     'CREATE DATABASE perscom_tenant1', 'USE perscom_tenant1', CREATE])
    registry = SchemaRegistry().start()
    connector = DebeziumConnector(mariadb, kafka.bootstrap, registry.apicurio_url,
                                  bigint_mode=MODES[mode], partitions=1,
                                  history_topic='dbz-wh-history-%s-%s'
                                  % (mode, uuid.uuid4().hex[:6]))
    connect = KafkaConnect(os.path.join(workdir, 'connect-webhooks-%s' % mode), kafka.bootstrap,
                           connector)
    try:
        try:
            connect.start()
            connect.wait_log('Snapshot completed', 120)
        except Exception as e:  # fail loudly, never skip
            pytest.fail('the Debezium chain (%s) did not start: %s' % (mode, e), pytrace=False)
        db = 'perscom_tenant1'
        mariadb.execute(
            ["INSERT INTO webhooks (id, url, description, method, events, secret, created_at, "
             "updated_at) VALUES (42, 'https://hooks.example/in?token=a%20b&x=1', 'a hook', "
             "'post', '[\"user.created\",\"rankrecord.deleted\"]', 's3cret', "
             "'2026-05-01 10:00:00', '2026-05-01 10:00:00')",
             "UPDATE webhooks SET method = 'get', url = 'http://127.0.0.1:9000/perscom?a=1', "
             "events = '[\"event.updated\"]', secret = 'rotated', "
             "updated_at = '2026-05-01 11:00:00' WHERE id = 42",
             "DELETE FROM webhooks WHERE id = 42"], database=db)
        cache = SchemaCache(registry)
        msgs = _wait_messages(kafka, cache, 4)
        assert [m.value['op'] if m.value else None for m in msgs] == ['c', 'u', 'd', None], msgs
        key_ids = {m.key_schema for m in msgs}
        value_ids = {m.value_schema for m in msgs if m.value}
        assert len(key_ids) == 1 and len(value_ids) == 1
        key_text = registry.schemas[key_ids.pop()]
        value_text = registry.schemas[value_ids.pop()]

        with open(records.WEBHOOKS_SCHEMA) as f:
            want = _types(f.read())
        with open(records.WEBHOOKS_KEY_SCHEMA) as f:
            want_key = _types(f.read())
        if MODES[mode] is None:
            want, want_key = _long_ids(want), _long_ids(want_key)
        got, got_key = _types(value_text), _types(key_text)
        assert list(got) == list(want), 'columns: %s' % list(got)
        for column in want:
            assert got[column] == want[column], '%s: Debezium writes %s, the schema has %s' % (
                column, json.dumps(got[column]), json.dumps(want[column]))
        assert got_key == want_key

        # the rows are what records.py writes (its ids are Decimal, precise mode)
        after = msgs[0].value['after']
        assert after['url'] == 'https://hooks.example/in?token=a%20b&x=1'
        assert json.loads(after['events']) == ['user.created', 'rankrecord.deleted']
        assert int(msgs[3].key['id']) == 42
        if MODES[mode] == 'precise':
            row = records.webhook_row(42, after['url'], ['user.created', 'rankrecord.deleted'],
                                      's3cret', description='a hook',
                                      created_at=after['created_at'],
                                      updated_at=after['updated_at'])
            row['events'] = after['events']
            assert row == after
            key = msgs[3].key
            assert key == {'id': decimal.Decimal(42)}
            buf = io.BytesIO()
            fastavro.schemaless_writer(buf, fastavro.parse_schema(json.loads(key_text)), key)
            assert records.encode_webhooks_key(42) == buf.getvalue()

        if os.environ.get('PERSCOM_WRITE_HOOKROW_FIXTURES'):
            os.makedirs(FIXTURES, exist_ok=True)
            raw = _raw(kafka)
            assert len(raw) == 4
            for n, (k, v) in enumerate(raw):
                with open(os.path.join(FIXTURES, '%s-%d.key' % (mode, n)), 'wb') as f:
                    f.write(k)
                with open(os.path.join(FIXTURES, '%s-%d.value' % (mode, n)), 'wb') as f:
                    f.write(v or b'')
            with open(os.path.join(FIXTURES, '%s-schemas.json' % mode), 'w') as f:
                json.dump({'key': {'id': struct.unpack('>I', raw[0][0][1:5])[0],
                                   'schema': key_text},
                           'value': {'id': struct.unpack('>I', raw[0][1][1:5])[0],
                                     'schema': value_text}}, f, indent=1)
    finally:
        connect.stop()
        registry.stop()
