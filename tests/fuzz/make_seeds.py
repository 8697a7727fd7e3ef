#!/usr/bin/env python3
"""Writes the committed seed corpora of the fuzz targets (tests/fuzz/corpus/*).

  decode/  one selector byte + a Kafka message value: plain Avro messages of every table written
           by fastavro (tests/golden/gen_cases.py), the same with Confluent framing (selector
           0x80, magic 0, schema id = schema index + 1), the fixtures of tests/unit/fixtures/decode,
           and Debezium-shaped events (schemas/debezium_events.avsc, which this script writes:
           gen_cases.py's events of bigint.unsigned.handling.mode=precise plus the logical types
           it lacks) plain, Confluent-framed and with Apicurio's contentId header (selector 0xc0);
  render/  one selector byte (resource + 10 * action) + a JSON change (fuzz_render.c): the golden
           cases with datetimes as "Y-m-d H:i:s.u" strings or {"$t": microseconds}, the
           Debezium-shaped golden cases with {"$dec"}, {"$date"} and {"$clock"} columns, the
           exactness cases (maps, hidden custom-field names, custom fields that are no object),
           each custom-field text of gen_cases.EXACT_CUSTOM, maps updated in their order only,
           and two changes nested deeper than json_encode's limit of 512;
  conf/    the YAML files of tests/unit/fixtures/conf, examples/ and tests/golden;
  admin/   one control byte (fuzz_admin.c) + what a client sends: the requests of kubelet,
           Prometheus and curl, HEAD, queries, other methods and paths, malformed request
           lines, heads over the 1024-byte limit, incomplete heads, non-HTTP bytes, in one piece
           or trickled, alone or behind idle connections, one client or two.
  schema/  a Schema Registry answer ({"schema": "..."}), a NUL byte and a message value
           (fuzz_schema.c): every schema above with one of its messages, Debezium's own value
           schemas, schemas at and over each bound of bridge/avro/schemabounds.h (issue 13's
           fixed of 2,000,000,000 bytes, records that contain themselves, named records nested
           in each other), and answers that are not one;
  hookrow/ fuzz_hookrow.c's selector byte, a 2-byte key length, a key and a value: webhooks-table
           changes written by tests/integration/records.py (create, update, snapshot read,
           delete, truncate, tombstones; GET and POST; URLs with queries; refused rows: unknown
           events, bad URL, bad method, empty secret, events that are not JSON), plain and
           Confluent-framed, with keys framed or in Apicurio's header;
  logical/ a resource byte, a column count, (column, type) byte pairs and a value written with
           the schema they make (fuzz_logical.c; its table of column types is read from that
           file, so the two cannot drift apart): eight columns at a time, and every type alone.

Deterministic; run from anywhere: python3 tests/fuzz/make_seeds.py (needs fastavro).
"""
import base64
import datetime
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

import random

import fastavro

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'golden'))
import gen_cases  # noqa: E402  (the Debezium-shaped schemas and values)
CORPUS = os.path.join(HERE, 'corpus')
TABLES = [
    'records_assignments', 'records_awards', 'calendars', 'records_combat', 'events',
    'records_qualifications', 'records_ranks', 'records_service', 'submissions', 'users',
]
ACTIONS = {'c': 0, 'u': 1, 'd': 2}
UTC = datetime.timezone.utc


def fresh(name):
    """The corpus directory name, emptied of seeds; committed reproducers (crash-*) stay."""
    path = os.path.join(CORPUS, name)
    os.makedirs(path, exist_ok=True)
    for entry in os.listdir(path):
        if not entry.startswith('crash-'):
            os.remove(os.path.join(path, entry))
    return path


def write(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def iso(us, sep):
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=us)
    return t.strftime('%Y-%m-%d' + sep + '%H:%M:%S.%f')


def json_row(row, n):
    if row is None:
        return None
    out = {}
    for name, kind, value in row:
        if kind == 'time' and value is not None:
            out[name] = {'$t': value} if n % 3 == 0 else iso(value, ' ' if n % 3 == 1 else 'T')
        else:
            out[name] = value
    return out


def kitchen_seeds(decode):
    """Messages of tests/fuzz/schemas/kitchen_sink.avsc (selector 11, registry id 12)."""
    with open(os.path.join(HERE, 'schemas', 'kitchen_sink.avsc'), encoding='utf-8') as f:
        parsed = fastavro.parse_schema(json.load(f))
    row = {
        'id': 1, 'i': -7, 'f': 1.5, 'd': -2.5e300, 'b': b'bytes \xc3\xa9\x00',
        'fx': b'\x01\x02\x03\x04',
        'e': 'B', 'm': {'a': None, 'b': 'text \u00e9\U0001f600', 'c': -(2 ** 63)},
        'a': [{'k': 'x', 'v': None}, {'k': 'y/z', 'v': 0.1}], 'flag': True,
        'created_at': datetime.datetime(2025, 1, 1, 12, 0, 0, 123000, tzinfo=UTC),
        'updated_at': datetime.datetime(2026, 5, 1, 10, 0, 0, 123456, tzinfo=UTC),
        'last_seen_at': '2026-05-01T12:00:00.123456+02:00',
        'data': '{"rank":"Sgt","n":[1,2.5,{"x":null}]}',
    }
    changed = dict(row, f=2.0, m={}, a=[], e='C', last_seen_at=None, data=None, i=None)
    envelopes = {
        'c': {'before': None, 'after': row, 'op': 'c', 'ts_ms': 1777629600123},
        'u': {'before': row, 'after': changed, 'op': 'u', 'ts_ms': 1777629600124},
        'd': {'before': changed, 'after': None, 'op': 'd', 'ts_ms': 1777629600125},
    }
    for op, record in envelopes.items():
        out = io.BytesIO()
        fastavro.schemaless_writer(out, parsed, record)
        write(os.path.join(decode, f'kitchen_sink-{op}.bin'), bytes([11]) + out.getvalue())
        write(os.path.join(decode, f'kitchen_sink-{op}-confluent.bin'),
              bytes([0x80]) + b'\x00' + struct.pack('>i', 12) + out.getvalue())


DBZ_SELECTOR = 12  # fuzz_decode.c's schema index of debezium_events.avsc (registry id 13)

# Logical types gen_cases.py's Debezium-shaped tables lack, and a value for each.
FUZZ_EXTRAS = [
    ('vdec', {'type': 'record', 'name': 'VariableScaleDecimal', 'namespace': 'io.debezium.data',
              'fields': [{'name': 'scale', 'type': 'int'}, {'name': 'value', 'type': 'bytes'}],
              'connect.name': 'io.debezium.data.VariableScaleDecimal'},
     {'scale': 3, 'value': b'\xcf\xc7'}),
    ('fdec', {'type': 'fixed', 'name': 'Money', 'size': 8, 'logicalType': 'decimal',
              'precision': 18, 'scale': 3}, None),
    ('nano', gen_cases.debezium('io.debezium.time.NanoTime', 'long'), -1999),
    ('cdate', dict(gen_cases.debezium('org.apache.kafka.connect.data.Date', 'int'),
                   logicalType='date'), -719162),
    ('ctime', dict(gen_cases.debezium('org.apache.kafka.connect.data.Time', 'int'),
                   logicalType='time-millis'), 86399999),
    ('atime', {'type': 'long', 'logicalType': 'time-micros'}, 3020399000000),
]


def debezium_events_schema():
    schema, columns = gen_cases.dbz_schema('events', 'precise')
    value = [t for t in schema['fields'][0]['type'] if t != 'null'][0]
    value['fields'] += [{'name': name, 'type': t} for name, t, _ in FUZZ_EXTRAS]
    schema['doc'] = ('fuzz_decode only, written by make_seeds.py: PERSCOM events as the Debezium '
                     'connector shapes them, plus a column of every logical type')
    return schema, columns, value['fields']


def debezium_seeds(decode):
    """Messages of schemas/debezium_events.avsc: plain, Confluent-framed, Apicurio header."""
    schema, columns, fields = debezium_events_schema()
    with open(os.path.join(HERE, 'schemas', 'debezium_events.avsc'), 'w', encoding='utf-8') as f:
        json.dump(schema, f, indent=1)
        f.write('\n')
    parsed = fastavro.parse_schema(schema)
    rng = random.Random(12)
    for n in range(6):
        case, record = gen_cases.make_dbz_case(rng, n, 'events', 'precise', columns,
                                               fields[:len(columns)])
        for side in ('before', 'after'):
            if record[side] is not None:
                for name, _, example in FUZZ_EXTRAS:
                    record[side][name] = example
                record[side]['fdec'] = gen_cases.exact_decimal(rng.randint(-10**17, 10**17), 3)[0]
        out = io.BytesIO()
        fastavro.schemaless_writer(out, parsed, record)
        avro = out.getvalue()
        stem = f'debezium_events-{case["kind"]}-{n}'
        write(os.path.join(decode, stem + '.bin'), bytes([DBZ_SELECTOR]) + avro)
        write(os.path.join(decode, stem + '-confluent.bin'),
              bytes([0x80]) + b'\x00' + struct.pack('>i', DBZ_SELECTOR + 1) + avro)
        write(os.path.join(decode, stem + '-apicurio.bin'),
              bytes([0xc0]) + struct.pack('>q', DBZ_SELECTOR + 1) + avro)


def dbz_json_row(row):
    """A Debezium-shaped golden row as fuzz_render.c reads it."""
    if row is None:
        return None
    out = {}
    for name, kind, value in row:
        if value is None or kind == 'value':
            out[name] = value
        elif kind in ('int', 'decimal'):
            out[name] = {'$dec': value}
        elif kind == 'date':
            out[name] = {'$date': value}
        elif kind == 'clock':
            out[name] = {'$clock': value}
        elif kind == 'time':
            out[name] = {'$t': value}
        elif kind == 'bytes':
            out[name] = base64.b64encode(bytes.fromhex(value)).decode()
        else:  # bool: its integer; json: its text
            out[name] = value
    return out


def envelope(fields):
    return {'type': 'record', 'name': 'E', 'namespace': 't',
            'fields': [{'name': 'op', 'type': 'string'}] + fields}


def nested_records(depth, width):
    """Named records used again by name: L1 is made of 1 + width * (L2) values."""
    inner = {'type': 'record', 'name': f'L{depth}', 'fields': [{'name': 'v', 'type': 'null'}]}
    for level in range(depth - 1, 0, -1):
        inner = {'type': 'record', 'name': f'L{level}',
                 'fields': [{'name': 'f0', 'type': inner}] +
                           [{'name': f'f{i}', 'type': f'L{level + 1}'} for i in range(1, width)]}
    return envelope([{'name': 'e', 'type': inner}])


def nested_arrays(depth):
    t = 'long'
    for _ in range(depth):
        t = {'type': 'array', 'items': t}
    return envelope([{'name': 'a', 'type': t}])


def fixed(size, name='F'):
    return {'type': 'fixed', 'name': name, 'size': size}


# Schemas at and over the bounds of bridge/avro/schemabounds.h, with a value for each.
HOSTILE = {
    'fixed-2e9': envelope([{'name': 'f', 'type': fixed(2000000000)}]),
    'fixed-three-2e9': envelope([{'name': f'f{i}', 'type': fixed(2000000000, f'F{i}')}
                                 for i in range(3)]),
    'fixed-65536': envelope([{'name': 'f', 'type': fixed(65536)}]),
    'fixed-65537': envelope([{'name': 'f', 'type': fixed(65537)}]),
    'fixed-negative': envelope([{'name': 'f', 'type': fixed(-1)}]),
    'fixed-17-references': envelope([{'name': 'fx', 'type': fixed(65536)}] +
                                    [{'name': f'g{i}', 'type': 'F'} for i in range(16)]),
    'record-self': {'type': 'record', 'name': 'R', 'fields': [
        {'name': 'op', 'type': 'string'}, {'name': 'again', 'type': 'R'}]},
    'record-self-full-name': envelope([{'name': 'r', 'type': {
        'type': 'record', 'name': 'R', 'fields': [{'name': 'again', 'type': 't.R'}]}}]),
    'record-cycle': envelope([{'name': 'a', 'type': {'type': 'record', 'name': 'A', 'fields': [
        {'name': 'b', 'type': {'type': 'record', 'name': 'B', 'namespace': 'u',
                               'fields': [{'name': 'a', 'type': 't.A'}]}}]}}]),
    'record-self-through-union': envelope([{'name': 'r', 'type': {
        'type': 'record', 'name': 'R', 'fields': [
            {'name': 'u', 'type': ['null', 'R']},
            {'name': 'a', 'type': {'type': 'array', 'items': 'R'}},
            {'name': 'm', 'type': {'type': 'map', 'values': 'R'}}]}}]),
    'nested-16-4': nested_records(5, 16),
    'nested-16-3': nested_records(4, 16),
    'arrays-31': nested_arrays(31),
    'arrays-32': nested_arrays(32),
    'union-65': envelope([{'name': 'u', 'type': [
        {'type': 'record', 'name': f'B{i}', 'fields': [{'name': 'v', 'type': 'int'}]}
        for i in range(65)]}]),
    'name-256': envelope([{'name': 'n' * 256, 'type': 'long'}]),
    'namespace-256': envelope([{'name': 'x', 'type': {
        'type': 'enum', 'name': 'N', 'namespace': 'n' * 256, 'symbols': ['a']}}]),
    'enum-and-map': envelope([
        {'name': 'e', 'type': {'type': 'enum', 'name': 'C', 'symbols': ['a', 'b', 'c']}},
        {'name': 'm', 'type': {'type': 'map', 'values': ['null', 'string', 'C']}}]),
}
# op "c" and enough zero bytes for the fields that follow it
HOSTILE_VALUE = b'\x02c' + b'\x00' * 16


def debezium_value_schemas():
    """Debezium's schema-change, transaction and heartbeat value schemas (dbzvalue.c)."""
    return {
        'heartbeat': {'type': 'record', 'name': 'Heartbeat',
                      'namespace': 'io.debezium.connector.common',
                      'fields': [{'name': 'ts_ms', 'type': 'long'}],
                      'connect.name': 'io.debezium.connector.common.Heartbeat'},
        'schema-change': {'type': 'record', 'name': 'SchemaChangeValue',
                          'namespace': 'io.debezium.connector.mariadb',
                          'fields': [{'name': 'databaseName', 'type': 'string'},
                                     {'name': 'ddl', 'type': ['null', 'string']}]},
        'transaction': {'type': 'record',
                        'name': 'io.debezium.connector.common.TransactionMetadataValue',
                        'fields': [{'name': 'status', 'type': 'string'},
                                   {'name': 'id', 'type': 'string'}]},
    }


def answer(schema_text, **extra):
    return json.dumps(dict({'schema': schema_text}, **extra), separators=(',', ':')).encode()


def schema_seeds(decode):
    """Registry answers + NUL + a message value (fuzz_schema.c)."""
    out = fresh('schema')
    files = [(t, os.path.join(ROOT, 'schemas', t + '.avsc')) for t in TABLES]
    files += [('fixture-debezium_users',
               os.path.join(ROOT, 'tests', 'unit', 'fixtures', 'decode', 'debezium_users.avsc')),
              ('kitchen_sink', os.path.join(HERE, 'schemas', 'kitchen_sink.avsc')),
              ('debezium_events', os.path.join(HERE, 'schemas', 'debezium_events.avsc'))]
    seeds = sorted(os.listdir(decode))
    for stem, path in files:
        with open(path, encoding='utf-8') as f:
            text = f.read()
        # the first plain (not framed) decode seed of this schema: its value without the selector
        plain = [n for n in seeds if n.startswith(stem + '-') and 'confluent' not in n and
                 'apicurio' not in n] or [n for n in seeds if n.startswith(stem)]
        with open(os.path.join(decode, plain[0]), 'rb') as f:
            value = f.read()[1:]
        write(os.path.join(out, stem + '.bin'), answer(text) + b'\0' + value)
    write(os.path.join(out, 'answer-with-subject.bin'),
          answer('"long"', subject='t-value', version=3, id=7, schemaType='AVRO',
                 references=[]) + b'\0\x02')
    for name, schema in debezium_value_schemas().items():
        write(os.path.join(out, 'debezium-' + name + '.bin'),
              answer(json.dumps(schema)) + b'\0\x02db\x00')
    for name, schema in HOSTILE.items():
        write(os.path.join(out, 'bounds-' + name + '.bin'),
              answer(json.dumps(schema, separators=(',', ':'))) + b'\0' + HOSTILE_VALUE)
    for name, data in (('not-json', b'{"schema":'), ('no-schema', b'{"error_code":40403}'),
                       ('schema-not-string', b'{"schema":{"type":"long"}}'),
                       ('schema-not-json', answer('{"type":'))):
        write(os.path.join(out, 'answer-' + name + '.bin'), data)


def logical_types():
    """The column types of fuzz_logical.c, read from its `types` table, as C wrote them."""
    with open(os.path.join(HERE, 'fuzz_logical.c'), encoding='utf-8') as f:
        source = f.read()
    table = source[source.index('static const char *const types[] = {'):]
    table = table[table.index('{') + 1:table.index('\n};')]
    entries = []
    current = ''
    # string literals in order; an entry ends at the comma after its last literal
    for literal, comma in re.findall(r'"((?:[^"\\]|\\.)*)"(\s*,)?', table):
        current += literal.replace('\\"', '"').replace('\\\\', '\\')
        if comma:
            entries.append(current)
            current = ''
    return entries


def strip_logical(schema):
    """The schema without logicalType: fastavro writes the same bytes from plain values."""
    if isinstance(schema, dict):
        return {k: strip_logical(v) for k, v in schema.items() if k != 'logicalType'}
    if isinstance(schema, list):
        return [strip_logical(v) for v in schema]
    return schema


PLAIN = {'long': 1777629600123456, 'int': 20574, 'string': 'Sgt. \u00e9/\u2603',
         'boolean': True, 'double': 1.5, 'float': 0.5, 'bytes': b'\x00\xff', 'null': None}
BY_NAME = {
    'io.debezium.time.Date': 20574, 'org.apache.kafka.connect.data.Date': -719162,
    'io.debezium.time.Time': 36000123, 'org.apache.kafka.connect.data.Time': 86399999,
    'io.debezium.time.MicroTime': 36000123456, 'io.debezium.time.NanoTime': -1999,
    'io.debezium.time.Year': 2026, 'io.debezium.time.ZonedTime': '10:00:00.5+02:00',
    'io.debezium.time.Timestamp': 1777629600123, 'io.debezium.time.MicroTimestamp':
    1777629600123456, 'io.debezium.time.NanoTimestamp': 1777629600123456789,
    'io.debezium.time.ZonedTimestamp': '2026-05-01T10:00:00.123456+02:00',
    'org.apache.kafka.connect.data.Timestamp': 1777629600123,
    'io.debezium.data.Json': '{"rank":"Sgt","n":[1,2.5]}',
}


def logical_value(schema, n):
    """A value of schema (a column type of fuzz_logical.c) that fastavro can write."""
    if isinstance(schema, list):
        return logical_value([b for b in schema if b != 'null'][0], n)
    if isinstance(schema, str):
        return PLAIN[schema]
    base = schema['type']
    name = schema.get('connect.name')
    if base == 'record':
        if name == 'io.debezium.data.VariableScaleDecimal':
            out = {}
            for field in schema['fields']:
                out[field['name']] = 2 if field['name'] == 'scale' else b'\xcf\xc7'
            return out
        return {f['name']: logical_value(f['type'], n) for f in schema['fields']}
    if base == 'fixed':
        return bytes([0xff if n % 2 else 0x00] * max(schema['size'] - 1, 0)) + \
            (b'\x05' if schema['size'] else b'')
    if base == 'array':
        return [logical_value(schema['items'], n), logical_value(schema['items'], n + 1)]
    if base == 'map':
        return {'a': None, 'b': 7}
    if base == 'enum':
        return schema['symbols'][n % len(schema['symbols'])]
    if base == 'bytes' and ('decimal' in (schema.get('logicalType'), name) or
                            name == 'org.apache.kafka.connect.data.Decimal'):
        return b'\xcf\xc7' if n % 2 else b'\x00\x30\x39'
    if name in BY_NAME and isinstance(BY_NAME[name], type(PLAIN[base])) and \
            (base != 'int' or -2 ** 31 <= BY_NAME[name] < 2 ** 31):
        return BY_NAME[name]
    if base == 'int' and schema.get('logicalType') == 'time-millis':
        return 43200000
    if base == 'long' and schema.get('logicalType', '').endswith('micros'):
        return 1777629600123456
    if base == 'long' and schema.get('logicalType', '').endswith('millis'):
        return 1777629600123
    return PLAIN[base]


def logical_seeds():
    """fuzz_logical.c's inputs: every column type alone (a refused one stops a row at its
    column), and eight at a time, with values written for them."""
    out = fresh('logical')
    types = logical_types()
    per_seed = 8
    singles = [[index] for index in range(len(types))]
    mixed = [[(k * per_seed + i) % len(types) for i in range(per_seed)]
             for k in range((len(types) + per_seed - 1) // per_seed + 6)]
    for k, indexes in enumerate(mixed + singles):
        resource = k % 10
        top = 0 if k < len(types) // per_seed + 3 or k >= len(mixed) else 1 + k % 3
        op = 'cud'[k % 3]
        pairs = []
        columns = []
        for i, index in enumerate(indexes):
            nullable = (k + i) % 3 == 0 and len(indexes) > 1
            pairs += [i * 3 + k, index | (0x80 if nullable else 0)]
            text = types[index].replace('%d', str(i))
            column = json.loads(text)
            columns.append((f'c{i}', ['null', column] if nullable else column))
        value = {'type': 'record', 'name': 'Value', 'fields': [
            {'name': name, 'type': t} for name, t in columns]}
        schema = {'type': 'record', 'name': 'Envelope', 'namespace': 'perscom.fuzz', 'fields': [
            {'name': 'before', 'type': ['null', value]},
            {'name': 'after', 'type': ['null', 'Value']},
            {'name': 'op', 'type': 'string'}, {'name': 'ts_ms', 'type': 'long'}]}
        row = {name: logical_value(t, k) for name, t in columns}
        record = {'before': row if op in 'ud' else None, 'after': row if op in 'cu' else None,
                  'op': op, 'ts_ms': 1777629600123}
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, fastavro.parse_schema(strip_logical(schema)), record)
        head = bytes([resource + 10 * top, len(indexes) - 1] + pairs)
        stem = f'logical-{k:02d}' if k < len(mixed) else f'logical-type-{indexes[0]:02d}'
        write(os.path.join(out, f'{stem}-{op}.bin'), head + buf.getvalue())


def main():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(ROOT, 'tests', 'golden', 'gen_cases.py'),
                        tmp, '--seed', '7', '--per-table', '3', '--debezium-per-table', '2',
                        '--exact-per-table', '2'],
                       check=True)
        with open(os.path.join(tmp, 'cases.json'), encoding='utf-8') as f:
            cases = json.load(f)['cases']
        decode = fresh('decode')
        render = fresh('render')
        for n, case in enumerate(cases):
            if 'config' in case:  # Debezium-shaped and exactness: render seeds only, below
                if n % 2 == 0:
                    change = {'before': dbz_json_row(case['before']),
                              'after': dbz_json_row(case['after']),
                              'ts_us': case['envelope']['source']['ts_us']}
                    selector = TABLES.index(case['table']) + 10 * ACTIONS[case['envelope']['op']]
                    text = json.dumps(change, ensure_ascii=(n % 2 == 0), separators=(',', ':'))
                    write(os.path.join(render, f"{case['table']}-{case['kind']}-{case['id']}.json"),
                          bytes([selector]) + text.encode())
                continue
            index = TABLES.index(case['table'])
            with open(os.path.join(tmp, case['message']), 'rb') as f:
                avro = f.read()
            stem = f"{case['table']}-{case['kind']}-{case['id']}"
            write(os.path.join(decode, stem + '.bin'), bytes([index]) + avro)
            if n % 3 == 0:
                framed = b'\x00' + struct.pack('>i', index + 1) + avro
                write(os.path.join(decode, stem + '-confluent.bin'), bytes([0x80]) + framed)
            change = {'before': json_row(case['before'], n), 'after': json_row(case['after'], n)}
            env = case['envelope']
            change['ts_us'] = env['source']['ts_us'] or env['source']['ts_ms'] * 1000
            for key in ('request_id', 'trace_id'):
                if key in case['headers']:
                    change[key] = case['headers'][key]
            change['topic'] = case['topic']
            change['partition'] = case['partition']
            change['offset'] = case['offset']
            selector = index + 10 * ACTIONS[case['envelope']['op']]
            text = json.dumps(change, ensure_ascii=(n % 2 == 0), separators=(',', ':'))
            write(os.path.join(render, stem + '.json'), bytes([selector]) + text.encode())
        # Nesting past json_encode's depth of 512, in a custom field and in a column.
        deep = '[' * 600 + ']' * 600
        write(os.path.join(render, 'deep-custom-field.json'),
              bytes([6]) + json.dumps({'after': {'id': 1, 'data': '{"x":' + deep + '}'},
                                       'ts_us': 0}).encode())
        write(os.path.join(render, 'deep-column.json'),
              bytes([6]) + ('{"after":{"id":1,"text":' + deep + '}}').encode())
        # Custom-field texts PERSCOM's model reads (null, lists) or cannot load (scalars), and
        # hidden names among a users' custom fields (selector 9: users, created).
        for n, text in enumerate(gen_cases.EXACT_CUSTOM):
            write(os.path.join(render, f'custom-field-{n:02d}.json'),
                  bytes([9]) + json.dumps({'after': {'id': 1, 'data': text}}).encode())
        # Maps that PHP writes as [] or as a list, nested in lists and records; updated
        # with only their order changed (selector 12: calendars, updated).
        maps = {'m': {}, 'l': {'0': 5, '1': 6}, 'o': {'b': 1, 'a': 2},
                'r': {'m': {'0': [{}]}, 'e': {}}}
        moved = dict(maps, o={'a': 2, 'b': 1})
        write(os.path.join(render, 'maps-reordered.json'),
              bytes([12]) + json.dumps({'before': dict(maps, id=1),
                                        'after': dict(moved, id=1)}).encode())
        fixtures = os.path.join(ROOT, 'tests', 'unit', 'fixtures', 'decode')
        with open(os.path.join(fixtures, 'ranks_update.bin'), 'rb') as f:
            write(os.path.join(decode, 'fixture-ranks_update.bin'), bytes([6]) + f.read())
        with open(os.path.join(fixtures, 'debezium_users.bin'), 'rb') as f:
            dbz = f.read()
        write(os.path.join(decode, 'fixture-debezium_users.bin'), bytes([10]) + dbz)
        write(os.path.join(decode, 'fixture-debezium_users-confluent.bin'),
              bytes([0x80]) + b'\x00' + struct.pack('>i', 11) + dbz)
        kitchen_seeds(decode)
        debezium_seeds(decode)
        write(os.path.join(decode, 'unknown-schema-id.bin'),
              bytes([0x80]) + b'\x00' + struct.pack('>i', 404) + dbz)
        schema_seeds(decode)
    logical_seeds()

    conf = fresh('conf')
    sources = [os.path.join(ROOT, 'tests', 'unit', 'fixtures', 'conf'), os.path.join(ROOT, 'examples'),
               os.path.join(ROOT, 'tests', 'golden')]
    for d in sources:
        for name in sorted(os.listdir(d)):
            if name.endswith('.yaml'):
                prefix = os.path.basename(d)
                shutil.copyfile(os.path.join(d, name), os.path.join(conf, prefix + '-' + name))
    admin_seeds(fresh('admin'))
    hookrow_seeds(fresh('hookrow'))
    for name in ('decode', 'render', 'conf', 'admin', 'schema', 'logical', 'hookrow'):
        print(f'{name}: {len(os.listdir(os.path.join(CORPUS, name)))} seeds', file=sys.stderr)


def hookrow_seeds(out):
    """fuzz_hookrow.c's inputs from tests/integration/records.py's webhooks helpers."""
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
    import records  # noqa: E402  (needs fastavro only)

    good = records.webhook_row(42, 'https://hooks.example/in?token=a%20b&x=1',
                               ['user.created', 'rankrecord.deleted'], 's3cret')
    get = records.webhook_row(7, 'http://127.0.0.1:9000/perscom?a=1', ['event.updated'],
                              'rotated', method='get', description='GET hook')
    big = records.webhook_row(18446744073709551615, 'http://h/', ['submission.created'], 'x')
    refused = {
        'unknown-event': records.webhook_row(3, 'http://h/', ['user.created', 'webhook.fired'],
                                             's'),
        'bad-url': records.webhook_row(4, 'javascript:alert(1)', ['user.created'], 's'),
        'bad-method': records.webhook_row(5, 'http://h/', ['user.created'], 's',
                                          method='delete'),
        'empty-secret': records.webhook_row(6, 'http://h/', ['user.created'], ''),
        'events-not-json': records.webhook_row(8, 'http://h/', 'user.created', 's'),
        'events-empty': records.webhook_row(9, 'http://h/', [], 's'),
    }
    ts = 1777629600123

    def seed(name, selector, key, value):
        key = key or b''
        write(os.path.join(out, name + '.bin'),
              bytes([selector]) + struct.pack('>H', len(key)) + key + (value or b''))

    cases = [('create', 'c', good, None), ('update-get', 'u', get, good),
             ('snapshot', 'r', big, None), ('delete', 'd', None, good)]
    cases += [('refused-' + name, 'c', row, None) for name, row in sorted(refused.items())]
    for name, op, row, before in cases:
        key, value = records.webhooks_message(op, row, before=before, ts_ms=ts)
        seed(name, 0x10, key, value)
        key, value = records.webhooks_message(op, row, before=before, ts_ms=ts, value_id=1,
                                              key_id=3)
        seed(name + '-confluent', 0x90, key, value)
    truncate = records.encode_webhooks(records.webhooks_envelope('t', ts_ms=ts))
    seed('truncate', 0x00, None, truncate)
    key, _ = records.webhooks_message('tombstone', webhook_id=42)
    seed('tombstone', 0x50, key, None)
    key, _ = records.webhooks_message('tombstone', webhook_id=42, key_id=3)
    seed('tombstone-confluent', 0xd0, key, None)
    # the key's schema id in Apicurio's header (8 bytes, big-endian), the key bare
    key, _ = records.webhooks_message('tombstone', webhook_id=42)
    seed('tombstone-apicurio', 0xf0, struct.pack('>q', 3) + key, None)
    # Debezium's default long ids (registry ids 2 and 4)
    long_key = io.BytesIO()
    long_key.write(struct.pack('>bI', 0, 4))
    fastavro.schemaless_writer(long_key, fastavro.parse_schema(
        {'type': 'record', 'name': 'Key', 'fields': [{'name': 'id', 'type': 'long'}]}),
        {'id': 9001})
    seed('tombstone-long-key', 0xc0, long_key.getvalue(), None)
    with open(os.path.join(ROOT, 'schemas', 'webhooks.avsc')) as f:
        schema = json.load(f)
    value_type = schema['fields'][0]['type'][1]
    value_type['fields'][0]['type'] = 'long'
    long_row = dict(good, id=42)
    body = io.BytesIO()
    body.write(struct.pack('>bI', 0, 2))
    fastavro.schemaless_writer(body, fastavro.parse_schema(schema),
                               records.webhooks_envelope('c', None, long_row, ts))
    seed('create-long-id', 0x90, None, body.getvalue())


# fuzz_admin's control byte: chunk size (bits 0-2), idle connections (3-4), shut (5),
# not ready (6), two clients (7)
SHUT, NOT_READY, TWO = 0x20, 0x40, 0x80


def chunk(bits):
    """Chunks of 1 << (bits - 1) bytes (bits 1-7)."""
    return bits


def idle(n):
    return n << 3


KUBE = (b'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:9400\r\nUser-Agent: kube-probe/1.29\r\n'
        b'Accept: */*\r\nConnection: close\r\n\r\n')
PROMETHEUS = (b'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9400\r\n'
              b'User-Agent: Prometheus/2.53.0\r\nAccept: application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;'
              b'q=0.1,*/*;q=0.1\r\nAccept-Encoding: gzip\r\n'
              b'X-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n')
CURL = (b'GET /readyz HTTP/1.1\r\nHost: 127.0.0.1:9400\r\nUser-Agent: curl/7.88.1\r\n'
        b'Accept: */*\r\n\r\n')
# the first bytes of a TLS 1.3 ClientHello: no line ends at all
TLS = bytes.fromhex('16030100f8010000f40303') + bytes(range(32)) + b'\x20' + bytes(32)


def admin_seeds(admin):
    padded = b'GET /healthz HTTP/1.1\r\nX-Pad: '
    exact = padded + b'p' * (1024 - len(padded) - 4) + b'\r\n\r\n'
    seeds = [
        ('healthz-kube', SHUT, KUBE),
        ('healthz-kube-open', 0, KUBE),
        ('readyz-curl', SHUT, CURL),
        ('readyz-not-ready', SHUT | NOT_READY, CURL),
        ('metrics-prometheus', SHUT, PROMETHEUS),
        ('metrics-failing', SHUT | NOT_READY, PROMETHEUS),
        ('head-healthz-1.0', SHUT, b'HEAD /healthz HTTP/1.0\r\n\r\n'),
        ('head-metrics', SHUT, b'HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n'),
        ('head-readyz-not-ready', SHUT | NOT_READY, b'HEAD /readyz HTTP/1.1\r\n\r\n'),
        ('query', SHUT, b'GET /healthz?verbose=1&x=%20 HTTP/1.1\r\n\r\n'),
        ('lf-only', SHUT, b'GET /healthz HTTP/1.1\nHost: a\n\n'),
        ('lf-crlf', SHUT, b'GET /readyz HTTP/1.1\n\r\n'),
        ('pieces-1', SHUT | chunk(1), KUBE),
        ('pieces-4', SHUT | chunk(3), PROMETHEUS),
        ('pieces-64', chunk(7), PROMETHEUS),
        ('behind-idle-3', SHUT | idle(3), KUBE),
        ('behind-idle-1-trickled', idle(1) | chunk(1), CURL),
        ('two-clients', TWO | SHUT, KUBE),
        ('two-clients-trickled', TWO | idle(2) | chunk(2), CURL),
        ('post-405', SHUT, b'POST /healthz HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello'),
        ('delete-405', SHUT, b'DELETE /nothing HTTP/1.1\r\n\r\n'),
        ('lowercase-405', SHUT, b'get /healthz HTTP/1.1\r\n\r\n'),
        ('root-404', SHUT, b'GET / HTTP/1.1\r\n\r\n'),
        ('slash-404', SHUT, b'GET /healthz/ HTTP/1.1\r\n\r\n'),
        ('longer-404', SHUT, b'GET /metricsx HTTP/1.1\r\n\r\n'),
        ('absolute-404', SHUT, b'GET http://127.0.0.1:9400/healthz HTTP/1.1\r\n\r\n'),
        ('no-version-400', SHUT, b'GET /healthz\r\n\r\n'),
        ('smtp-400', SHUT, b'GET /healthz SMTP/1.1\r\n\r\n'),
        ('http2-400', SHUT, b'GET /healthz HTTP/2.0\r\n\r\n'),
        ('http2-preface-400', SHUT, b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
        ('long-version-400', SHUT, b'GET /healthz HTTP/1.10\r\n\r\n'),
        ('no-method-400', SHUT, b' /healthz HTTP/1.1\r\n\r\n'),
        ('no-target-400', SHUT, b'GET  HTTP/1.1\r\n\r\n'),
        ('garbage-400', SHUT, b'garbage\r\n\r\n'),
        ('empty-line-400', SHUT, b'\r\n\r\n'),
        ('nul-400', SHUT, b'GET /healthz\x00 HTTP/1.1\r\n\r\n'),
        ('pipelined', SHUT, b'GET /healthz HTTP/1.1\r\n\r\nGET /readyz HTTP/1.1\r\n\r\n'),
        ('chunked-body', SHUT,
         b'GET /healthz HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
        ('exactly-1024', SHUT, exact),
        ('over-1024-431', SHUT, exact[:-4] + b'pp\r\n\r\n'),
        ('over-1024-431-trickled', chunk(7), b'GET /healthz HTTP/1.1\r\n' + b'X: y\r\n' * 300),
        ('incomplete-shut', SHUT, b'GET /healthz HTTP/1.1\r\nHost: x\r\n'),
        ('incomplete-open', 0, b'GET /healthz HTTP/1.1\r\nHost: x\r\n'),
        ('slowloris', idle(1) | chunk(1), b'GET /healthz HTTP/1.1\r\nX-Slow: aaaaaaaa'),
        # 3 idle connections + an incomplete head, write side open: the 5 ms listener
        ('slowloris-timed-out', idle(3) | chunk(1), b'GET /healthz HTTP/1.1\r\nX-Slow: aaaa'),
        ('cr-only', SHUT, b'GET /healthz HTTP/1.1\r\r\r\r'),
        ('tls-hello', SHUT, TLS),
        ('empty', SHUT, b''),
    ]
    for name, control, data in seeds:
        write(os.path.join(admin, name + '.bin'), bytes([control]) + data)


if __name__ == '__main__':
    main()
