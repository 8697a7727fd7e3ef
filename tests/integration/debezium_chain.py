"""Helpers of the Debezium chain tests (test_debezium.py).

- Workload: SQL inserts, updates and deletes on the private MariaDB; after each statement the
  row is read back and kept as PERSCOM's model would give it (its casts: booleans, JSON lists,
  datetimes, integers, custom-field text), so the expectation never comes from Debezium.
- read_changes(): the chain's Kafka messages (Confluent framing, the converter's schemas from
  the registry stand-in, decoded with fastavro) with topic, partition and offset.
- golden(): PHP's payload, body and Signature for each change, computed by
  tests/golden/expected.php (the golden tests' independent PHP implementation of the payload
  rules) from the row values and the real message's topic, partition, offset and timestamps.
- compare(): the webhooks the receiver got against the goldens, byte for byte, with a
  readable list of differing values.
"""
import collections
import io
import json
import os
import re
import struct
import subprocess
import time
import uuid

import fastavro

from . import perscom_db
from .records import TABLES
from .mariadb import to_us

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPECTED_PHP = os.path.join(REPO, 'tests', 'golden', 'expected.php')
REQUEST_ID_NAMESPACE = uuid.UUID('6f1c3a52-8d0e-4b7a-9c25-3e41d7f0b9a8')
PREFIX = 'perscom.perscom_tenant1.'
ACTIONS = {'c': 'created', 'u': 'updated', 'd': 'deleted'}


def php_json(obj):
    """JSON text as PHP's json_encode (no flags) writes simple values: no whitespace, `/` as
    `\\/`, non-ASCII as \\uXXXX. (How Laravel stores a JSON/array cast column.)"""
    return json.dumps(obj, ensure_ascii=True, separators=(',', ':')).replace('/', '\\/')


def request_id(topic, partition, offset):
    return str(uuid.uuid5(REQUEST_ID_NAMESPACE, '%s/%d/%d' % (topic, partition, offset)))


class Change:
    __slots__ = ('table', 'sql_table', 'key', 'op', 'before', 'after', 'message')

    def __init__(self, **kw):
        self.message = None
        for k, v in kw.items():
            setattr(self, k, v)

    @property
    def topic(self):
        return PREFIX + self.sql_table

    def __repr__(self):
        return '%s %s id=%s' % (self.op, self.sql_table, self.key)


def perscom_value(cast, value):
    """[kind, value] of one column as PERSCOM's model gives it (expected.php's row form)."""
    if value is None:
        return ['value', None]
    if cast == 'datetime':
        return ['time', to_us(value)]
    if cast == 'bool':
        return ['value', bool(value)]
    if cast == 'int':
        return ['value', int(value)]
    if cast == 'list':
        return ['value', json.loads(value)]
    if isinstance(value, (bytes, bytearray)) and cast in ('string', 'hidden', 'custom'):
        return ['value', value.decode('utf-8')]
    return ['value', value]  # string, hidden, custom (the stored JSON text); others as read


class Workload:
    """SQL changes of one test. Every statement runs on its own (autocommit) unless inside
    transaction(); each change is recorded with the row before and after it."""

    def __init__(self, mariadb, database='perscom_tenant1'):
        self.conn = mariadb.connect(database)
        self.changes = []
        self.t_last = None

    def close(self):
        self.conn.close()

    def row(self, sql_table, key, table=None):
        """The row as [[column, kind, value], ...] in table order, or None."""
        table = table or sql_table
        pk = perscom_db.PRIMARY_KEYS.get(table, 'id')
        with self.conn.cursor() as cur:
            cur.execute('SELECT * FROM `%s` WHERE `%s` = %%s' % (sql_table, pk), (key,))
            got = cur.fetchone()
            if got is None:
                return None
            names = [d[0] for d in cur.description]
        casts = perscom_db.casts(table)
        return [[n] + perscom_value(casts.get(n, 'string'), v) for n, v in zip(names, got)]

    def _exec(self, sql, params=()):
        with self.conn.cursor() as cur:
            cur.execute(sql, params)

    def insert(self, sql_table, table=None, **values):
        table = table or sql_table
        cols = list(values)
        self._exec('INSERT INTO `%s` (%s) VALUES (%s)'
                   % (sql_table, ', '.join('`%s`' % c for c in cols),
                      ', '.join(['%s'] * len(cols))), [values[c] for c in cols])
        pk = perscom_db.PRIMARY_KEYS.get(table, 'id')
        key = values[pk]
        self._record(table, sql_table, key, 'c', None, self.row(sql_table, key, table))
        return key

    def update(self, sql_table, key, table=None, **values):
        table = table or sql_table
        pk = perscom_db.PRIMARY_KEYS.get(table, 'id')
        before = self.row(sql_table, key, table)
        cols = list(values)
        self._exec('UPDATE `%s` SET %s WHERE `%s` = %%s'
                   % (sql_table, ', '.join('`%s` = %%s' % c for c in cols), pk),
                   [values[c] for c in cols] + [key])
        self._record(table, sql_table, key, 'u', before, self.row(sql_table, key, table))

    def delete(self, sql_table, key, table=None):
        table = table or sql_table
        pk = perscom_db.PRIMARY_KEYS.get(table, 'id')
        before = self.row(sql_table, key, table)
        self._exec('DELETE FROM `%s` WHERE `%s` = %%s' % (sql_table, pk), (key,))
        self._record(table, sql_table, key, 'd', before, None)

    def _record(self, table, sql_table, key, op, before, after):
        self.changes.append(Change(table=table, sql_table=sql_table, key=key, op=op,
                                   before=before, after=after))
        self.t_last = time.monotonic()

    def begin(self):
        self.conn.begin()

    def commit(self):
        self.conn.commit()

    def perscom_changes(self):
        return [c for c in self.changes if c.table in perscom_db.TABLES]


# --- Kafka side ------------------------------------------------------------------------------

class SchemaCache:
    """Confluent-framed Avro decoding with the registry stand-in's schemas."""

    def __init__(self, registry):
        self.registry = registry
        self.parsed = {}

    def decode(self, data):
        if data is None:
            return None, None
        if len(data) < 5 or data[0] != 0:
            raise ValueError('not Confluent framing: %r' % data[:8])
        schema_id = struct.unpack('>I', data[1:5])[0]
        if schema_id not in self.parsed:
            text = self.registry.schemas.get(schema_id)
            if text is None:
                raise ValueError('schema id %d unknown to the registry stand-in' % schema_id)
            self.parsed[schema_id] = fastavro.parse_schema(json.loads(text))
        buf = io.BytesIO(data[5:])
        value = fastavro.schemaless_reader(buf, self.parsed[schema_id], None)
        if buf.tell() != len(data) - 5:
            raise ValueError('bytes left after the record')
        return value, schema_id


class Message:
    __slots__ = ('topic', 'partition', 'offset', 'key', 'value', 'key_schema', 'value_schema',
                 'raw_value', 'headers')

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)

    @property
    def request_id(self):
        return request_id(self.topic, self.partition, self.offset)


def retrying(fn, timeout=30):
    """fn() again while Kafka says a new topic's partition is not ready yet (a topic Debezium
    just created: NOT_LEADER_FOR_PARTITION, UNKNOWN_TOPIC_OR_PART, ...)."""
    from confluent_kafka import KafkaException
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except KafkaException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def end_offsets(kafka, topics):
    return retrying(lambda: kafka.end_offsets(topics))


def read_messages(kafka, cache, topics, timeout=30):
    """Every message of the topics, from the beginning to the current end, decoded."""
    return retrying(lambda: _read_messages(kafka, cache, topics, timeout))


def _read_messages(kafka, cache, topics, timeout):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({'bootstrap.servers': kafka.bootstrap, 'group.id': 'it-dbz-reader',
                  'enable.auto.commit': False, 'enable.partition.eof': True})
    try:
        md = c.list_topics(timeout=10)
        tps, ends = [], {}
        for t in topics:
            if t not in md.topics:
                continue
            for p in md.topics[t].partitions:
                lo, hi = c.get_watermark_offsets(TopicPartition(t, p), timeout=10)
                if hi > lo:
                    tps.append(TopicPartition(t, p, lo))
                    ends[(t, p)] = hi
        out = []
        if not tps:
            return out
        c.assign(tps)
        left = set(ends)
        deadline = time.monotonic() + timeout
        while left and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            tp = (m.topic(), m.partition())
            if m.error():
                continue
            if m.offset() >= ends[tp]:
                left.discard(tp)
                continue
            key, key_schema = cache.decode(m.key())
            value, value_schema = cache.decode(m.value())
            out.append(Message(topic=m.topic(), partition=m.partition(), offset=m.offset(),
                               key=key, value=value, key_schema=key_schema,
                               value_schema=value_schema, raw_value=m.value(),
                               headers=m.headers() or []))
            if m.offset() + 1 >= ends[tp]:
                left.discard(tp)
        if left:
            raise AssertionError('could not read %s to the end within %d s' % (left, timeout))
        return sorted(out, key=lambda x: (x.topic, x.partition, x.offset))
    finally:
        c.close()


def key_id(key):
    """The primary key value of a Debezium key record (int for ids, Decimal in precise mode)."""
    if isinstance(key, dict) and len(key) == 1:
        v = next(iter(key.values()))
        try:
            return int(v)
        except (TypeError, ValueError):
            return v
    return key


def match_messages(kafka, cache, changes, timeout=90):
    """Waits until Debezium wrote every change and sets change.message. Tombstones are left
    out; each (table, key) must show exactly the workload's operations, in order."""
    wanted = collections.defaultdict(list)
    for ch in changes:
        wanted[(ch.topic, ch.key)].append(ch)
    topics = sorted({t for t, _ in wanted})
    deadline = time.monotonic() + timeout
    while True:
        msgs = read_messages(kafka, cache, topics)
        got = collections.defaultdict(list)
        for m in msgs:
            if m.value is None:
                continue
            k = (m.topic, key_id(m.key))
            if k in wanted:
                got[k].append(m)
        missing = {k: (len(v), len(got.get(k, []))) for k, v in wanted.items()
                   if len(got.get(k, [])) < len(v)}
        if not missing:
            break
        if time.monotonic() > deadline:
            raise AssertionError('Debezium did not write every change within %d s; '
                                 '{(topic, key): (changes, messages)}: %s'
                                 % (timeout, dict(list(missing.items())[:20])))
        time.sleep(1.0)
    for k, chs in wanted.items():
        ms = got[k]
        ops = [m.value['op'] for m in ms]
        assert ops == [c.op for c in chs], \
            '%s: Debezium wrote ops %s for the workload\'s %s' % (k, ops, [c.op for c in chs])
        for c, m in zip(chs, ms):
            c.message = m
    return changes


# --- PHP golden ------------------------------------------------------------------------------

def event_of(change):
    """The PERSCOM event name of a change of a PERSCOM table."""
    return '%s.%s' % (TABLES[change.table], ACTIONS[change.op])


def golden(changes, hooks, work_dir):
    """{request_id: {'body': bytes, 'signature': str, 'hook': name, 'change': Change}}
    computed by tests/golden/expected.php. hooks: {event: {'name', 'url', 'secret'}} (POST
    hooks); each change is expected at the hook of its event, signed with that hook's secret."""
    cases = []
    for i, ch in enumerate(changes):
        m = ch.message
        src = m.value['source']
        cases.append({
            'id': str(i),
            'table': ch.table,
            'topic': m.topic,
            'partition': m.partition,
            'offset': m.offset,
            'headers': {},
            'hook': hooks[event_of(ch)]['name'],
            'envelope': {'op': ch.op,
                         'source': {'ts_ms': src.get('ts_ms'), 'ts_us': src.get('ts_us')},
                         'ts_ms': m.value.get('ts_ms'), 'ts_us': m.value.get('ts_us')},
            'before': ch.before,
            'after': ch.after,
        })
    php_hooks = [{'name': h['name'], 'url': h['url'], 'secret': h['secret'], 'method': 'POST'}
                 for h in hooks.values()]
    os.makedirs(work_dir, exist_ok=True)
    cases_path = os.path.join(work_dir, 'cases.json')
    out_path = os.path.join(work_dir, 'expected.json')
    with open(cases_path, 'w') as f:
        json.dump({'hooks': php_hooks, 'cases': cases}, f, indent=1)
    proc = subprocess.run(['php', EXPECTED_PHP, cases_path, out_path], capture_output=True,
                          timeout=120)
    if proc.returncode != 0:
        raise AssertionError('expected.php failed: %s' % proc.stderr.decode(errors='replace'))
    with open(out_path) as f:
        expected = json.load(f)
    result = {}
    for e in expected:
        ch = changes[int(e['id'])]
        result[ch.message.request_id] = {'body': e['body'].encode(),
                                         'signature': e['signature'], 'hook': e['hook'],
                                         'change': ch}
    return result


def _pairs(text):
    return json.loads(text, object_pairs_hook=lambda kv: kv)


def value_diffs(expected_body, got_body):
    """Readable differences of data and changes: ['data.approved: expected true, got 1', ...]
    (values as JSON text), plus key-order differences."""
    try:
        e = dict(_pairs(expected_body))
        g = dict(_pairs(got_body))
    except Exception as ex:  # not JSON
        return ['body is not JSON: %s' % ex]
    out = []
    for top in ('event', 'created', 'request_id', 'trace_id'):
        if e.get(top) != g.get(top):
            out.append('%s: expected %s, got %s' % (top, json.dumps(e.get(top)),
                                                    json.dumps(g.get(top))))
    for section in ('data', 'changes'):
        ev, gv = e.get(section), g.get(section)
        ed = dict(ev) if isinstance(ev, list) and all(isinstance(x, tuple) for x in ev) else ev
        gd = dict(gv) if isinstance(gv, list) and all(isinstance(x, tuple) for x in gv) else gv
        if not isinstance(ed, dict) or not isinstance(gd, dict):
            if json.dumps(ev) != json.dumps(gv):
                out.append('%s: expected %s, got %s' % (section, json.dumps(ev)[:200],
                                                        json.dumps(gv)[:200]))
            continue
        for k in list(ed) + [k for k in gd if k not in ed]:
            if k not in gd:
                out.append('%s.%s: expected %s, missing' % (section, k, _j(ed[k])))
            elif k not in ed:
                out.append('%s.%s: unexpected, got %s' % (section, k, _j(gd[k])))
            elif _j(ed[k]) != _j(gd[k]):
                out.append('%s.%s: expected %s, got %s' % (section, k, _j(ed[k]), _j(gd[k])))
        if not out and list(ed) != list(gd):
            out.append('%s: key order differs: expected %s, got %s' % (section, list(ed),
                                                                      list(gd)))
    return out


def _j(v):
    def plain(x):
        if isinstance(x, list) and x and all(isinstance(i, tuple) and len(i) == 2 for i in x):
            return {k: plain(val) for k, val in x}
        if isinstance(x, list):
            return [plain(i) for i in x]
        return x
    return json.dumps(plain(v), ensure_ascii=False)[:200]


def first_difference(expected, got):
    at = next((k for k in range(min(len(expected), len(got))) if expected[k] != got[k]),
              min(len(expected), len(got)))
    lo, hi = max(0, at - 50), at + 50
    return 'byte %d: expected ...%s... got ...%s...' % (
        at, expected[lo:hi].decode(errors='replace'), got[lo:hi].decode(errors='replace'))


def compare(goldens, requests):
    """(report lines, matched, differing, missing) for the deliveries of the golden request
    ids. Deliveries are matched on the payload's request_id (the bridge derives it from topic,
    partition and offset exactly as expected.php does); each must arrive at its event's hook
    only."""
    by_rid = collections.defaultdict(list)
    for r in requests:
        try:
            rid = json.loads(r.body).get('request_id')
        except Exception:
            continue
        by_rid[rid].append(r)
    lines, matched, differing, missing = [], 0, 0, 0
    for rid, g in goldens.items():
        ch = g['change']
        got = [r for r in by_rid.get(rid, []) if r.ok] or by_rid.get(rid, [])
        if not got:
            missing += 1
            lines.append('MISSING %r (%s/%d/%d): no webhook' % (
                ch, ch.message.topic, ch.message.partition, ch.message.offset))
            continue
        r = got[0]
        problems = []
        hooks_seen = sorted({x.hook for x in got})
        if hooks_seen != [g['hook']]:
            problems.append('delivered to hook(s) %s, expected only %s' % (hooks_seen, g['hook']))
        if r.body != g['body']:
            problems.append(first_difference(g['body'], r.body))
            problems.extend(value_diffs(g['body'].decode(), r.body.decode(errors='replace')))
        if r.signature != g['signature']:
            problems.append('Signature: expected %s, got %s' % (g['signature'], r.signature))
        if not r.sig_ok:
            problems.append('the receiver could not verify the Signature')
        if r.headers.get('content-type') != 'application/json':
            problems.append('Content-Type: %s' % r.headers.get('content-type'))
        if any(x.body != r.body for x in got):
            problems.append('attempts of this message differ')
        if problems:
            differing += 1
            lines.append('DIFF %r:' % ch)
            lines.extend('    ' + p for p in problems)
            lines.append('    expected body: %s' % g['body'].decode())
            lines.append('    got body:      %s' % r.body.decode(errors='replace'))
        else:
            matched += 1
    return lines, matched, differing, missing


def dead_letters(kafka, topic):
    """[(headers dict, key, value)] of the dead-letter topic."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({'bootstrap.servers': kafka.bootstrap, 'group.id': 'it-dbz-dl-reader',
                  'enable.auto.commit': False})
    try:
        md = c.list_topics(topic, timeout=10)
        if topic not in md.topics or md.topics[topic].error is not None:
            return []
        out = []
        for p in md.topics[topic].partitions:
            lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if hi <= lo:
                continue
            c.assign([TopicPartition(topic, p, lo)])
            n = 0
            deadline = time.monotonic() + 20
            while n < hi - lo and time.monotonic() < deadline:
                m = c.poll(0.5)
                if m is None or m.error():
                    continue
                n += 1
                h = {k: (v.decode(errors='replace') if v is not None else None)
                     for k, v in (m.headers() or [])}
                out.append((h, m.key(), m.value()))
        return out
    finally:
        c.close()


def topics_matching(kafka, regex):
    r = re.compile('^(%s)$' % regex)
    md = kafka.admin().list_topics(timeout=10)
    return sorted(t for t in md.topics if r.match(t))


def unique_lines(lines):
    seen, out = set(), []
    for line in lines:
        if line not in seen:
            seen.add(line)
            out.append(line)
    return out


def summarize_value_diffs(goldens, requests):
    """{'table.section.column: expected X, got Y' -> count}: the distinct kinds of value
    differences (for the report)."""
    by_rid = {}
    for r in requests:
        try:
            by_rid.setdefault(json.loads(r.body).get('request_id'), r)
        except Exception:
            pass
    counts = collections.Counter()
    for rid, g in goldens.items():
        r = by_rid.get(rid)
        if r is None or r.body == g['body']:
            continue
        for d in value_diffs(g['body'].decode(), r.body.decode(errors='replace')):
            counts['%s %s' % (g['change'].table, d)] += 1
    return counts
