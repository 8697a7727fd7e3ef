"""Record-change messages for the tests: rows made from schemas/<table>.avsc, Debezium-style
envelopes, Avro encoding with fastavro (not avro-c, which the bridge uses), plain or Confluent
framing, and a producer that reports where each message landed.
"""
import io
import json
import os
import struct
import time

import fastavro

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA_DIR = os.path.join(REPO, 'schemas')

# table -> resource, as in docs/perscom-wire.md
TABLES = {
    'records_assignments': 'assignmentrecord',
    'records_awards': 'awardrecord',
    'calendars': 'calendar',
    'records_combat': 'combatrecord',
    'events': 'event',
    'records_qualifications': 'qualificationrecord',
    'records_ranks': 'rankrecord',
    'records_service': 'servicerecord',
    'submissions': 'submission',
    'users': 'user',
}
RESOURCES = {v: k for k, v in TABLES.items()}
ACTIONS = ('created', 'updated', 'deleted')
OPS = {'created': 'c', 'updated': 'u', 'deleted': 'd'}
ALL_EVENTS = ['%s.%s' % (r, a) for r in TABLES.values() for a in ACTIONS]

BASE_US = 1767225600 * 1000000  # 2026-01-01T00:00:00Z


def schema_path(table):
    return os.path.join(SCHEMA_DIR, table + '.avsc')


def schema_text(table):
    with open(schema_path(table)) as f:
        return f.read()


_parsed = {}


def parsed_schema(table):
    if table not in _parsed:
        _parsed[table] = fastavro.parse_schema(json.loads(schema_text(table)))
    return _parsed[table]


def value_fields(table):
    """The column list (Avro fields of the row record) of the table's schema."""
    env = json.loads(schema_text(table))
    before = next(f for f in env['fields'] if f['name'] == 'before')
    row = next(t for t in before['type'] if isinstance(t, dict))
    return row['fields']


def _non_null(t):
    if isinstance(t, list):
        rest = [x for x in t if x != 'null']
        return rest[0] if rest else 'null'
    return t


def _column_value(name, t, seq, variant):
    t = _non_null(t)
    kind = t if isinstance(t, str) else t.get('type')
    logical = None if isinstance(t, str) else t.get('logicalType')
    if logical in ('timestamp-micros', 'timestamp-millis'):
        us = BASE_US + seq * 1000000 + variant * 3600 * 1000000
        return us if logical == 'timestamp-micros' else us // 1000
    if kind in ('long', 'int'):
        if name == 'type':
            return (seq + variant) % 4
        return (seq * 7 + variant) % 1000 + 1
    if kind == 'boolean':
        return (seq + variant) % 2 == 0
    if kind == 'string':
        if name == 'data':
            return json.dumps({'note': 'custom %d/%d' % (seq, variant), 'rating': seq % 5})
        if name == 'email':
            return 'user%d@example.test' % seq
        if name in ('password', 'remember_token', 'discord_private_channel_id'):
            return 'hidden-%d' % seq
        return '%s %d v%d: caf\u00e9 / <b>&</b>' % (name, seq, variant)
    if kind == 'array':
        return ['pt15m', 'pt1h'] if 'interval' in name else ['mail']
    if kind == 'null':
        return None
    raise ValueError('no test value for column %s of type %r' % (name, t))


def make_row(table, record_id, seq=None, variant=0):
    """A row of the table with every column set; record_id goes into `id`."""
    seq = record_id if seq is None else seq
    row = {}
    for f in value_fields(table):
        if f['name'] == 'id':
            row['id'] = record_id
        else:
            row[f['name']] = _column_value(f['name'], f['type'], seq, variant)
    return row


def envelope(table, action, record_id, seq=None, ts_ms=None, before=None, after=None):
    """A Debezium-style envelope for one change of one row. before/after: column values
    that replace the generated ones."""
    op = OPS[action]
    old = dict(make_row(table, record_id, seq, 0), **(before or {}))
    new = dict(make_row(table, record_id, seq, 1 if op == 'u' else 0), **(after or {}))
    before = old if op in ('u', 'd') else None
    after = new if op in ('c', 'u') else None
    ts_ms = ts_ms if ts_ms is not None else BASE_US // 1000 + (seq or record_id) * 1000
    return {
        'before': before,
        'after': after,
        'source': {'connector': 'mysql', 'db': 'perscom', 'table': table, 'ts_ms': ts_ms,
                   'ts_us': ts_ms * 1000 + 123},
        'op': op,
        'ts_ms': ts_ms + 5,
        'ts_us': None,
    }


def encode(table, record, schema_id=None):
    """Avro binary of record with the table's schema; Confluent framing when schema_id is
    given (magic byte 0, big-endian 4-byte id)."""
    out = io.BytesIO()
    if schema_id is not None:
        out.write(struct.pack('>bI', 0, schema_id))
    fastavro.schemaless_writer(out, parsed_schema(table), record)
    return out.getvalue()


class Producer:
    """confluent-kafka producer that remembers where every message landed."""

    def __init__(self, bootstrap):
        from confluent_kafka import Producer as KProducer
        # Idempotence keeps each partition in produce order across retries; log_level 3
        # hides the warning a fresh broker causes ("Coordinator load in progress: retrying").
        self.p = KProducer({'bootstrap.servers': bootstrap, 'linger.ms': 5,
                            'enable.idempotence': True, 'log_level': 3})
        self.sent = []  # dicts: topic, partition, offset, key, value, meta
        self.errors = []

    def send(self, topic, value, key=None, partition=None, headers=None, meta=None):
        def report(err, msg, meta=meta):
            if err is not None:
                self.errors.append(err)
                return
            self.sent.append({'topic': msg.topic(), 'partition': msg.partition(),
                              'offset': msg.offset(), 'key': msg.key(), 'value': msg.value(),
                              'meta': meta})
        kw = {'key': key, 'value': value, 'on_delivery': report}
        if partition is not None:
            kw['partition'] = partition
        if headers:
            kw['headers'] = headers
        while True:
            try:
                self.p.produce(topic, **kw)
                break
            except BufferError:
                self.p.poll(0.1)
        self.p.poll(0)

    def flush(self, timeout=30):
        left = self.p.flush(timeout)
        if left or self.errors:
            raise AssertionError('producing failed: %d not delivered, errors %s'
                                 % (left, self.errors[:5]))
        return list(self.sent)


def event_matches(pattern, event):
    """True when a hook's event pattern ("rankrecord.created", "rankrecord.*", "*.deleted",
    "*") matches the event name."""
    if pattern == '*':
        return True
    pr, pa = pattern.split('.')
    er, ea = event.split('.')
    return (pr == '*' or pr == er) and (pa == '*' or pa == ea)


def wait_until(predicate, timeout, what, interval=0.2):
    """Polls predicate() until it returns a true value; AssertionError naming `what` after
    timeout seconds. Returns the value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %.0f s waiting for %s' % (timeout, what))
        time.sleep(interval)


# ---- PERSCOM's webhooks tables (schemas/webhooks.avsc, schemas/README.md "The webhooks table")

WEBHOOKS_SCHEMA = os.path.join(SCHEMA_DIR, 'webhooks.avsc')
WEBHOOKS_KEY_SCHEMA = os.path.join(SCHEMA_DIR, 'webhooks_key.avsc')


def _parsed_file(path):
    if path not in _parsed:
        with open(path) as f:
            _parsed[path] = fastavro.parse_schema(json.load(f))
    return _parsed[path]


def webhook_row(webhook_id, url, events, secret, method='post', description=None,
                created_at='2026-01-01T00:00:00Z', updated_at=None):
    """One row of a tenant's `webhooks` table as Debezium writes it (id a Decimal(20,0), events
    the JSON column's text, timestamps ZonedTimestamp strings). events: a list of PERSCOM event
    names (JSON-encoded here) or a str written as it is (for refused rows)."""
    import decimal
    return {
        'id': decimal.Decimal(webhook_id),
        'url': url,
        'description': description,
        'method': method,
        'events': events if isinstance(events, str) else json.dumps(events),
        'secret': secret,
        'created_at': created_at,
        'updated_at': updated_at,
    }


def webhooks_envelope(op, before=None, after=None, ts_ms=None, db='perscom_tenant1'):
    """A Debezium envelope of the webhooks table: op 'c', 'u', 'd', 'r' or 't'; before/after
    rows from webhook_row (None: null)."""
    ts_ms = ts_ms if ts_ms is not None else int(time.time() * 1000)
    return {
        'before': before,
        'after': after,
        'source': {'connector': 'mariadb', 'db': db, 'table': 'webhooks', 'ts_ms': ts_ms,
                   'ts_us': ts_ms * 1000},
        'op': op,
        'ts_ms': ts_ms,
        'ts_us': None,
    }


def encode_webhooks(record, schema_id=None):
    """Avro binary of a webhooks envelope (schemas/webhooks.avsc); Confluent framing when
    schema_id is given."""
    out = io.BytesIO()
    if schema_id is not None:
        out.write(struct.pack('>bI', 0, schema_id))
    fastavro.schemaless_writer(out, _parsed_file(WEBHOOKS_SCHEMA), record)
    return out.getvalue()


def encode_webhooks_key(webhook_id, schema_id=None):
    """The message key {id} (schemas/webhooks_key.avsc); Confluent framing when schema_id is
    given. Format avro topics take it unframed."""
    import decimal
    out = io.BytesIO()
    if schema_id is not None:
        out.write(struct.pack('>bI', 0, schema_id))
    fastavro.schemaless_writer(out, _parsed_file(WEBHOOKS_KEY_SCHEMA),
                               {'id': decimal.Decimal(webhook_id)})
    return out.getvalue()


def webhooks_message(op, row=None, before=None, webhook_id=None, ts_ms=None, value_id=None,
                     key_id=None):
    """(key, value) of one webhooks-table change as the bridge reads it: op 'c'/'r' (row),
    'u' (before, row), 'd' (before), or 'tombstone' (webhook_id; value None). value_id/key_id:
    the registry ids for Confluent framing (None: unframed, for format avro)."""
    if op == 'tombstone':
        return encode_webhooks_key(webhook_id, key_id), None
    source = row if row is not None else before
    key = encode_webhooks_key(int(source['id']), key_id)
    after = row if op in ('c', 'u', 'r') else None
    before = before if op in ('u', 'd') else None
    return key, encode_webhooks(webhooks_envelope(op, before, after, ts_ms), value_id)
