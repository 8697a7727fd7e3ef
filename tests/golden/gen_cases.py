#!/usr/bin/env python3
"""Generates the golden cases: deterministic (seeded) record changes of all ten PERSCOM tables.

Writes OUT/cases.json (the typed values, read by expected.php) and one plain Avro binary message
per case, OUT/messages/<id>.avro, written with schemas/<table>.avsc (read by perscom-bridge).

usage: gen_cases.py OUT_DIR [--seed N] [--per-table N]
"""
import argparse
import io
import json
import os
import random
import sys

import fastavro

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.normpath(os.path.join(HERE, '..', '..', 'schemas'))

TABLES = [
    'records_assignments', 'records_awards', 'calendars', 'records_combat', 'events',
    'records_qualifications', 'records_ranks', 'records_service', 'submissions', 'users',
]
CUSTOM_FIELD_TABLES = {
    'records_assignments', 'records_awards', 'records_combat', 'records_qualifications',
    'records_ranks', 'records_service', 'submissions', 'users',
}

# Must agree with tests/golden/bridge.yaml (URL, method and secret are checked by the run).
HOOKS = [
    {'name': 'post-plain', 'method': 'POST', 'url': 'http://127.0.0.1:9/hook',
     'secret': 'golden-secret'},
    {'name': 'post-unicode', 'method': 'POST', 'url': 'http://127.0.0.1:9/hook/unicode',
     'secret': 's3cr3t/\u043a\u043b\u044e\u0447 "quoted" \\ \U0001f511'},
    {'name': 'get-plain', 'method': 'GET', 'url': 'http://127.0.0.1:9/get',
     'secret': 'get-secret'},
    {'name': 'get-query', 'method': 'GET', 'url': 'http://127.0.0.1:9/get?tenant=1&x=%20y',
     'secret': 'another secret'},
]

INT64_MAX = 2**63 - 1
INT64_MIN = -2**63

# Pieces of text that exercise the JSON escaper and the query encoder.
TEXT_PIECES = [
    'a', 'Z', '0', ' ', 'rank', 'Sgt. Smith', '/', '//', '"', "'", '\\', '\\u0041', '\x00', '\x01',
    '\x08', '\t', '\n', '\x0b', '\x0c', '\r', '\x1f', '\x7f', '<b>', '&amp;', '?', '=', '&', '+',
    '%', '#', '[', ']', '{', '}', '~', '-', '_', '.', ',', ':', ';', '\u00e9', '\u00df',
    '\u00a0', '\u043f\u0440\u0438\u0432\u0435\u0442', '\u65e5\u672c\u8a9e', '\u2028', '\u2029',
    '\ufeff', '\ufffd', '\U0001f600', '\U0001f1e9\U0001f1ea', '\U0001f468\u200d\U0001f4bb',
    '\U0010ffff', '\U00010000', '\u0800', '\u07ff', '\u0080',
]

# Custom-field JSON texts written by hand: number forms, whitespace, escapes, PHP quirks.
HANDWRITTEN_CUSTOM = [
    '{}',
    '[]',
    '{"a":1E5,"b":1.50,"c":-0,"d":-0.0,"e":0.1,"f":1e-7,"g":123456789012345678.0}',
    '  {"spaced" : [ 1 , 2 ] , "nested" : { } }  ',
    '{"slash":"a\\/b","u":"\\u00e9\\ud83d\\ude00","nul":"x\\u0000y"}',
    '{"list_like":{"0":"a","1":"b"},"not_list":{"1":"a","0":"b"},"gap":{"0":1,"2":2}}',
    '{"id":999,"label":"hijack","data":"inner","text":"shadow","password":"x","kept":true}',
    '{"0":"zero","5":"five","-1":"minus","01":"lead"}',
    '{"deep":{"a":{"b":{"c":[1,[2,[3,{"d":null}]]]}}},"empty_list":[],"empty_obj":{}}',
    '{"big":9223372036854775807,"small":-9223372036854775808,"f":1.7976931348623157e308}',
    '{"tiny":5e-324,"third":0.3333333333333333,"e25":1e25,"neg":-1.5e-7,"one":1.0}',
    '{"":"empty key","key with space":"v","k/slash":"v","k\\"q":"v","k\\u00e9":"v"}',
]


def rand_text(rng, allow_empty=True):
    if allow_empty and rng.random() < 0.08:
        return ''
    return ''.join(rng.choice(TEXT_PIECES) for _ in range(rng.randint(1, 10)))


def rand_id(rng):
    r = rng.random()
    if r < 0.1:
        return INT64_MAX - rng.randint(0, 5)
    if r < 0.15:
        return rng.randint(1, 2**53)
    return rng.randint(1, 100000)


def rand_fk(rng):
    r = rng.random()
    if r < 0.25:
        return None
    if r < 0.32:
        return INT64_MAX - rng.randint(0, 3)
    if r < 0.38:
        return INT64_MIN + rng.randint(0, 3)
    if r < 0.42:
        return 0
    return rng.randint(1, 5000)


def rand_time(rng):
    r = rng.random()
    if r < 0.04:
        return -1  # 1969-12-31T23:59:59.999999Z
    if r < 0.08:
        return rng.randint(-10**15, 0)  # before 1970
    if r < 0.12:
        return rng.randint(0, 999) * 1000000  # whole seconds
    # 2000-01-01 .. 2037-12-31
    return rng.randint(946684800 * 10**6, 2145916799 * 10**6)


def rand_float(rng):
    r = rng.random()
    if r < 0.3:
        return rng.choice([0.1, 1.0, -0.0, 0.0, 1e25, 1.5e-7, 123456789012345678.0, 1e15, 1e16,
                           1e17, 1e-4, 1e-5, 2.5, -3.75, 100.0, 1 / 3, 2**53 + 0.0, 5e-324])
    if r < 0.6:
        return round(rng.uniform(-1e6, 1e6), rng.randint(0, 6))
    return rng.uniform(-1, 1) * 10.0 ** rng.randint(-30, 30)


def rand_custom_value(rng, depth=0):
    r = rng.random()
    if depth > 2:
        r = r * 0.7
    if r < 0.1:
        return None
    if r < 0.2:
        return rng.choice([True, False])
    if r < 0.35:
        return rng.choice([rng.randint(-1000, 1000), INT64_MAX, INT64_MIN, 0])
    if r < 0.5:
        return rand_float(rng)
    if r < 0.7:
        return rand_text(rng)
    if r < 0.8:
        return [rand_custom_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if r < 0.85:
        # an object PHP turns into a list
        return {str(i): rand_custom_value(rng, depth + 1) for i in range(rng.randint(1, 3))}
    return {rand_key(rng): rand_custom_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def rand_key(rng):
    r = rng.random()
    if r < 0.1:
        return rng.choice(['id', 'label', 'data', 'text', 'name', 'user_id', 'password'])
    if r < 0.15:
        return str(rng.randint(0, 20))
    if r < 0.35:
        return rand_text(rng).replace('\x00', '')  # jansson keys cannot hold NUL
    return rng.choice(['rank', 'callsign', 'unit', 'notes', 'score', 'tags', 'answers',
                       'question_1', 'favourite', 'weight_kg']) + str(rng.randint(0, 9))


def rand_custom(rng):
    r = rng.random()
    if r < 0.15:
        return None
    if r < 0.35:
        return rng.choice(HANDWRITTEN_CUSTOM)
    fields = {}
    for _ in range(rng.randint(0, 6)):
        fields[rand_key(rng)] = rand_custom_value(rng)
    return json.dumps(fields, ensure_ascii=rng.random() < 0.5)


def non_null(avro_type):
    """The non-null branch of a nullable union, and whether it was nullable."""
    if isinstance(avro_type, list):
        rest = [t for t in avro_type if t != 'null']
        return rest[0], len(rest) < len(avro_type)
    return avro_type, False


def is_time(avro_type):
    return isinstance(avro_type, dict) and avro_type.get('logicalType') == 'timestamp-micros'


def rand_column(rng, table, name, avro_type):
    """A column value: ('time', us) | ('value', json) ; value None means SQL NULL."""
    base, nullable = non_null(avro_type)
    if nullable and rng.random() < 0.2:
        return ('value', None)
    if is_time(base):
        return ('time', rand_time(rng))
    if name == 'data' and table in CUSTOM_FIELD_TABLES:
        return ('value', rand_custom(rng))
    if name == 'id':
        return ('value', rand_id(rng))
    if base == 'long':
        value = rand_fk(rng)
        return ('value', value if value is not None or nullable else rng.randint(1, 9))
    if base == 'int':
        return ('value', rng.randint(0, 3))
    if base == 'boolean':
        return ('value', rng.random() < 0.5)
    if base == 'string':
        if name == 'type' and table == 'records_assignments':
            return ('value', rng.choice(['primary', 'secondary']))
        return ('value', rand_text(rng, allow_empty=True))
    if isinstance(base, dict) and base.get('type') == 'array':
        pool = ['pt15m', 'pt1h', 'p1d', 'mail', 'database', 'discord', 'broadcast', '/x',
                '\u00e9\U0001f600']
        return ('value', [rng.choice(pool) for _ in range(rng.randint(0, 3))])
    raise SystemExit(f'{table}.{name}: unsupported column type {avro_type!r}')


def row_columns(schema):
    value = schema['fields'][0]['type']
    value = [t for t in value if t != 'null'][0]
    return [(f['name'], f['type']) for f in value['fields']]


def make_row(rng, table, columns):
    return [[name] + list(rand_column(rng, table, name, t)) for name, t in columns]


def mutate_row(rng, table, columns, row):
    """A copy of row with one or more columns changed (or, rarely, a hidden one only)."""
    after = [list(c) for c in row]
    picks = rng.sample(range(len(columns)), k=min(len(columns), rng.randint(1, 4)))
    for i in picks:
        name, t = columns[i]
        if name == 'id':
            continue
        for _ in range(5):
            fresh = [name] + list(rand_column(rng, table, name, t))
            if fresh != after[i]:
                after[i] = fresh
                break
    # a typical Eloquent update also touches updated_at
    names = [c[0] for c in columns]
    if 'updated_at' in names and rng.random() < 0.7:
        i = names.index('updated_at')
        after[i] = ['updated_at', 'time', rand_time(rng)]
    return after


def to_avro_row(row):
    return {name: value for name, _kind, value in row}


def rand_uuid(rng):
    h = '%032x' % rng.getrandbits(128)
    return f'{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}'


def make_case(rng, index, table, schema, columns):
    r = rng.random()
    if r < 0.3:
        op = 'c'
    elif r < 0.5:
        op = 'd'
    else:
        op = 'u'
    row = make_row(rng, table, columns)
    before = after = None
    kind = op
    if op == 'c':
        after = row
    elif op == 'd':
        before = row
    else:
        before = row
        s = rng.random()
        if s < 0.15:
            after = [list(c) for c in row]  # no change at all: changes = []
            kind = 'u-same'
        elif s < 0.22:
            before = None  # no before image: every column counts as changed
            after = row
            kind = 'u-nobefore'
        elif s < 0.40 and table == 'users':
            after = [list(c) for c in row]
            i = [c[0] for c in after].index('password')
            after[i] = ['password', 'value', 'changed-' + str(index)]
            kind = 'u-hidden-only'
        else:
            after = mutate_row(rng, table, columns, row)
    source_ts_ms = rng.randint(946684800000, 2145916799000)
    source_ts_us = None
    if rng.random() < 0.7:
        source_ts_us = source_ts_ms * 1000 + rng.randint(0, 999)
    envelope = {
        'op': op,
        'source': {'connector': 'golden', 'db': 'perscom', 'table': table,
                   'ts_ms': source_ts_ms, 'ts_us': source_ts_us},
        'ts_ms': source_ts_ms + rng.randint(0, 5000) if rng.random() < 0.8 else None,
        'ts_us': None,
    }
    if envelope['ts_ms'] is not None and rng.random() < 0.5:
        envelope['ts_us'] = envelope['ts_ms'] * 1000 + rng.randint(0, 999)
    headers = {}
    if rng.random() < 0.5:
        headers['request_id'] = rand_uuid(rng)
    if rng.random() < 0.5:
        headers['trace_id'] = rand_uuid(rng) if rng.random() < 0.8 else 'trace/' + str(index)
    partition = rng.choice([0, 1, 2, 7, 11, 127])
    offset = rng.choice([0, 1, rng.randint(0, 10**6), rng.randint(0, 2**40), INT64_MAX - 1])
    hook = HOOKS[index % len(HOOKS)]['name']
    return {
        'id': f'{index:04d}',
        'kind': kind,
        'table': table,
        'topic': f'perscom.golden.{table}',
        'partition': partition,
        'offset': offset,
        'headers': headers,
        'hook': hook,
        'envelope': envelope,
        'before': before,
        'after': after,
        'message': f'messages/{index:04d}.avro',
    }


def write_message(out_dir, case, parsed_schema):
    env = case['envelope']
    record = {
        'before': to_avro_row(case['before']) if case['before'] is not None else None,
        'after': to_avro_row(case['after']) if case['after'] is not None else None,
        'source': env['source'],
        'op': env['op'],
        'ts_ms': env['ts_ms'],
        'ts_us': env['ts_us'],
    }
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, parsed_schema, record)
    with open(os.path.join(out_dir, case['message']), 'wb') as f:
        f.write(buf.getvalue())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir')
    parser.add_argument('--seed', type=int, default=20260501)
    parser.add_argument('--per-table', type=int, default=25)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    os.makedirs(os.path.join(args.out_dir, 'messages'), exist_ok=True)
    cases = []
    index = 0
    for table in TABLES:
        path = os.path.join(SCHEMAS, table + '.avsc')
        with open(path, encoding='utf-8') as f:
            schema = json.load(f)
        parsed = fastavro.parse_schema(schema)
        columns = row_columns(schema)
        for _ in range(args.per_table):
            case = make_case(rng, index, table, schema, columns)
            write_message(args.out_dir, case, parsed)
            cases.append(case)
            index += 1
    with open(os.path.join(args.out_dir, 'cases.json'), 'w', encoding='utf-8') as f:
        json.dump({'hooks': HOOKS, 'cases': cases}, f, ensure_ascii=True, indent=1)
    print(f'{len(cases)} cases written to {args.out_dir}', file=sys.stderr)


if __name__ == '__main__':
    main()
