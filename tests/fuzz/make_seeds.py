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
           Debezium-shaped golden cases with {"$dec"}, {"$date"} and {"$clock"} columns, and
           two changes nested deeper than json_encode's limit of 512;
  conf/    the YAML files of tests/unit/fixtures/conf, examples/ and tests/golden.

Deterministic; run from anywhere: python3 tests/fuzz/make_seeds.py (needs fastavro).
"""
import base64
import datetime
import io
import json
import os
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
    path = os.path.join(CORPUS, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
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


def main():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(ROOT, 'tests', 'golden', 'gen_cases.py'),
                        tmp, '--seed', '7', '--per-table', '3', '--debezium-per-table', '2'],
                       check=True)
        with open(os.path.join(tmp, 'cases.json'), encoding='utf-8') as f:
            cases = json.load(f)['cases']
        decode = fresh('decode')
        render = fresh('render')
        for n, case in enumerate(cases):
            if 'config' in case:  # Debezium-shaped: render seeds only, below
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

    conf = fresh('conf')
    sources = [os.path.join(ROOT, 'tests', 'unit', 'fixtures', 'conf'), os.path.join(ROOT, 'examples'),
               os.path.join(ROOT, 'tests', 'golden')]
    for d in sources:
        for name in sorted(os.listdir(d)):
            if name.endswith('.yaml'):
                prefix = os.path.basename(d)
                shutil.copyfile(os.path.join(d, name), os.path.join(conf, prefix + '-' + name))
    for name in ('decode', 'render', 'conf'):
        print(f'{name}: {len(os.listdir(os.path.join(CORPUS, name)))} seeds', file=sys.stderr)


if __name__ == '__main__':
    main()
