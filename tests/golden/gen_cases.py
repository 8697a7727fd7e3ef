#!/usr/bin/env python3
"""Generates the golden cases: deterministic (seeded) record changes of all ten PERSCOM tables.

Writes OUT/cases.json (the typed values, read by expected.php) and one plain Avro binary message
per case, OUT/messages/<id>.avro, written with schemas/<table>.avsc (read by perscom-bridge).

Then the same tables as the Debezium MySQL/MariaDB connector shapes them (dbz_schema below), with
Debezium's default bigint.unsigned.handling.mode=long and with =precise: OUT/debezium/<mode>/
<table>.avsc, OUT/bridge-debezium.yaml (the render configuration of those topics) and cases whose
columns are typed as the database holds them ("bool", "json", "int", "decimal", "date",
"clock", "bytes"; see expected.php).

usage: gen_cases.py OUT_DIR [--seed N] [--per-table N] [--debezium-per-table N]
"""
import argparse
import base64
import copy
import datetime
import decimal
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


# ---- the Debezium-shaped variant ------------------------------------------------------------

DBZ_MODES = ['long', 'precise']  # bigint.unsigned.handling.mode
DBZ_TOPIC = {'long': 'perscom.golden-dbz.%s', 'precise': 'perscom.golden-dbzp.%s'}
UINT64_MAX = 2**64 - 1


def connect_decimal(precision, scale, logical=True):
    """Kafka Connect's Decimal as Apicurio's (and Confluent's) AvroData writes it."""
    t = {'type': 'bytes', 'connect.version': 1,
         'connect.parameters': {'scale': str(scale), 'connect.decimal.precision': str(precision)},
         'connect.name': 'org.apache.kafka.connect.data.Decimal'}
    if logical:
        t.update({'scale': scale, 'precision': precision, 'logicalType': 'decimal'})
    return t


def debezium(name, base):
    return {'type': base, 'connect.version': 1, 'connect.name': name}


# How a DATETIME/TIMESTAMP column arrives, by time.precision.mode and column type; the columns of
# a table take them in turn.
TIME_REPS = [
    ('micro', debezium('io.debezium.time.MicroTimestamp', 'long')),
    ('zoned', debezium('io.debezium.time.ZonedTimestamp', 'string')),
    ('milli', debezium('io.debezium.time.Timestamp', 'long')),
    ('connect', dict(debezium('org.apache.kafka.connect.data.Timestamp', 'long'),
                     logicalType='timestamp-millis')),
    ('date', debezium('io.debezium.time.Date', 'int')),
]

# Columns PERSCOM's tables lack, of every other logical type: (name, Avro type, kind, nullable).
DBZ_EXTRAS = [
    ('pay_grade', connect_decimal(5, 2), 'decimal', True),
    ('balance', connect_decimal(30, 4, logical=False), 'decimal', False),
    ('big_counter', connect_decimal(20, 0), 'decimal', False),
    ('born_on', debezium('io.debezium.time.Date', 'int'), 'date', True),
    ('muster', debezium('io.debezium.time.MicroTime', 'long'), 'clock', False),
    ('muster_ms', debezium('io.debezium.time.Time', 'int'), 'clock', True),
    ('year_joined', debezium('io.debezium.time.Year', 'int'), 'year', False),
    ('zoned_time', debezium('io.debezium.time.ZonedTime', 'string'), 'zoned_time', True),
    ('level', {'type': 'int', 'connect.type': 'int16'}, 'int16', False),
    ('settings', debezium('io.debezium.data.Json', 'string'), 'text_json', True),
    ('blob', {'type': 'bytes'}, 'bytes', True),
]


def nullable(t, is_nullable):
    return ['null', t] if is_nullable else t


def dbz_schema(table, mode):
    """schemas/<table>.avsc as the Debezium connector shapes the table: ids as long or as
    Decimal(20,0), TINYINT(1) as int16, JSON columns as text, datetimes in turn as each of
    TIME_REPS, then DBZ_EXTRAS. Returns (schema, [(name, column kind, representation)])."""
    with open(os.path.join(SCHEMAS, table + '.avsc'), encoding='utf-8') as f:
        schema = json.load(f)
    schema = copy.deepcopy(schema)
    value = [t for t in schema['fields'][0]['type'] if t != 'null'][0]
    columns = []
    fields = []
    time_turn = 0
    for field in value['fields']:
        name = field['name']
        base, is_nullable = non_null(field['type'])
        if name == 'data' and table in CUSTOM_FIELD_TABLES:
            rep = debezium('io.debezium.data.Json', 'string') if len(fields) % 2 else 'string'
            fields.append({'name': name, 'type': nullable(rep, is_nullable)})
            columns.append((name, 'custom', None))
            continue
        if is_time(base):
            rep_name, rep = TIME_REPS[(time_turn + len(table)) % len(TIME_REPS)]
            time_turn += 1
            columns.append((name, 'time', rep_name))
        elif base == 'long':
            rep = connect_decimal(20, 0) if mode == 'precise' else 'long'
            columns.append((name, 'id', mode))
        elif base == 'boolean':
            rep = {'type': 'int', 'connect.type': 'int16'}
            columns.append((name, 'bool', None))
        elif base == 'int':
            rep = {'type': 'int', 'connect.type': 'int16'}
            columns.append((name, 'int16', None))
        elif isinstance(base, dict) and base.get('type') == 'array':
            rep = debezium('io.debezium.data.Json', 'string') if len(fields) % 2 else 'string'
            columns.append((name, 'json', None))
        elif base == 'string':
            rep = 'string'
            columns.append((name, 'string', None))
        else:
            raise SystemExit(f'{table}.{name}: unsupported column type {base!r}')
        new = {'name': name, 'type': nullable(rep, is_nullable)}
        if is_nullable:
            new['default'] = None
        fields.append(new)
    for name, rep, kind, is_nullable in DBZ_EXTRAS:
        new = {'name': name, 'type': nullable(rep, is_nullable)}
        if is_nullable:
            new['default'] = None
        fields.append(new)
        columns.append((name, kind, None))
    value['fields'] = fields
    return schema, columns


def unscaled_bytes(unscaled):
    """Big-endian two's complement in the fewest bytes, as Java's BigInteger.toByteArray()."""
    length = max(1, (unscaled + (unscaled < 0)).bit_length() // 8 + 1)
    return unscaled.to_bytes(length, 'big', signed=True)


def rand_unsigned_id(rng, nullable_fk):
    r = rng.random()
    if nullable_fk and r < 0.2:
        return None
    if r < 0.3:
        return rng.randint(1, 100000)
    if r < 0.5:
        return rng.randint(2**63 - 5, 2**63 + 5)  # both sides of PHP_INT_MAX
    if r < 0.6:
        return UINT64_MAX - rng.randint(0, 3)
    if r < 0.65:
        return 0
    return rng.randint(1, 2**53)


def zoned_text(rng, us):
    """io.debezium.time.ZonedTimestamp of us, in some offset, with as many digits as needed."""
    offset = rng.choice([0, 0, 7200, -16200, 50400])
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=us + offset * 10**6)
    frac = us % 10**6
    text = t.strftime('%Y-%m-%dT%H:%M:%S')
    if frac or rng.random() < 0.3:
        digits = rng.choice([6, 9]) if frac % 1000 else rng.choice([3, 6])
        text += ('.%06d' % frac + '000')[:digits + 1]
    if offset == 0:
        return text + 'Z'
    sign = '-' if offset < 0 else '+'
    return text + '%s%02d:%02d' % (sign, abs(offset) // 3600, abs(offset) % 3600 // 60)


def json_text(rng, items):
    r = rng.random()
    if r < 0.3:
        return json.dumps(items, separators=(',', ':')).replace('/', '\\/')  # PHP's json_encode
    if r < 0.6:
        return json.dumps(items)                                              # MySQL's JSON type
    if r < 0.7:
        return json.dumps({str(i): v for i, v in enumerate(items)})           # list-like object
    if r < 0.8:
        return rng.choice(['{}', '[]', ' [ ] ', '"pt15m"', 'null', '{"1":"a","0":"b"}'])
    return json.dumps(items, ensure_ascii=False, indent=rng.choice([None, 1]))


def rand_clock(rng):
    r = rng.random()
    if r < 0.1:
        return rng.choice([0, -1, 3020399 * 10**6, -3020399 * 10**6, 86399999999])
    us = rng.randint(0, 86399) * 10**6
    if r < 0.5:
        us += rng.randint(0, 999999)
    return -us if r > 0.9 else us


def exact_decimal(unscaled, scale):
    """The decimal unscaled * 10^-scale, exactly (no context rounding), and its text as the
    database prints it: scale fraction digits, at least one integer digit."""
    digits = str(abs(unscaled)).rjust(scale + 1, '0')
    text = ('-' if unscaled < 0 else '') + digits[:len(digits) - scale]
    if scale:
        text += '.' + digits[len(digits) - scale:]
    value = decimal.Decimal((int(unscaled < 0), tuple(int(c) for c in str(abs(unscaled))), -scale))
    return value, text


def rand_decimal(rng, precision, scale):
    unscaled = rng.randint(-(10**precision - 1), 10**precision - 1)
    if rng.random() < 0.1:
        unscaled = rng.choice([0, 1, -1, 10**precision - 1, -(10**precision - 1)])
    elif rng.random() < 0.3:
        unscaled = rng.randint(-999, 999)
    return unscaled


def dbz_column(rng, column, avro_type):
    """(case column [kind, value], Avro datum) of one Debezium-shaped column."""
    name, kind, rep = column
    base, is_nullable = non_null(avro_type)
    if is_nullable and kind not in ('id', 'custom') and rng.random() < 0.15:
        return ['value', None], None
    if kind == 'custom':
        text = rand_custom(rng)
        return ['value', text], text
    if kind == 'id':
        value = rand_unsigned_id(rng, is_nullable)
        if rep == 'long' and value is not None:
            value = value % 2**63  # the long mode's range; wrapped values are not generated
        if value is None:
            return ['value', None], None
        if rep == 'precise':
            return ['int', str(value)], decimal.Decimal(value)
        return ['value', value], value
    if kind == 'bool':
        value = rng.choice([0, 1, 1, 0, 0, 1, 2, -1])
        return ['bool', value], value
    if kind == 'int16':
        value = rng.randint(-3, 3)
        return ['value', value], value
    if kind == 'string':
        text = rand_text(rng)
        return ['value', text], text
    if kind == 'json':
        pool = ['pt15m', 'pt1h', 'p1d', 'mail', 'database', '/x', '\u00e9\U0001f600']
        text = json_text(rng, [rng.choice(pool) for _ in range(rng.randint(0, 3))])
        return ['json', text], text
    if kind == 'time':
        us = rand_time(rng)
        if rep == 'micro':
            return ['time', us], us
        if rep in ('milli', 'connect'):
            ms = us // 1000
            return ['time', ms * 1000], ms
        if rep == 'zoned':
            us = max(us, -62135596800 * 10**6)  # year 1 at the earliest
            return ['time', us], zoned_text(rng, us)
        days = us // (86400 * 10**6)
        return ['date', days], days
    if kind == 'decimal':
        precision, scale = {'pay_grade': (5, 2), 'balance': (30, 4), 'big_counter': (20, 0)}[name]
        if name == 'big_counter':
            unscaled = rand_unsigned_id(rng, False)
        else:
            unscaled = rand_decimal(rng, precision, scale)
        value, text = exact_decimal(unscaled, scale)
        return ['decimal', text], value if base.get('logicalType') else unscaled_bytes(unscaled)
    if kind == 'date':
        days = rng.randint(-719162, 2932896) if rng.random() < 0.2 else rng.randint(-30000, 30000)
        return ['date', days], days
    if kind == 'clock':
        us = rand_clock(rng)
        if base.get('connect.name') == 'io.debezium.time.Time':
            ms = rng.randint(-86399999, 86399999)  # an int of ms holds up to about 596 hours
            return ['clock', ms * 1000], ms
        return ['clock', us], us
    if kind == 'year':
        value = rng.randint(1901, 2155)
        return ['value', value], value
    if kind == 'zoned_time':
        text = '%02d:%02d:%02d%sZ' % (rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59),
                                      rng.choice(['', '.5', '.123456']))
        return ['value', text], text
    if kind == 'text_json':
        text = json.dumps({'k': rng.randint(0, 9), 'list': [1, 2]}, indent=rng.choice([None, 1]))
        return ['value', text], text
    if kind == 'bytes':
        raw = bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 7)))
        return ['bytes', raw.hex()], raw
    raise SystemExit(f'{name}: unknown kind {kind}')


def make_dbz_row(rng, columns, avro_fields):
    row, datum = [], {}
    for column, field in zip(columns, avro_fields):
        (kind, value), avro = dbz_column(rng, column, field['type'])
        row.append([column[0], kind, value])
        datum[column[0]] = avro
    return row, datum


def make_dbz_case(rng, index, table, mode, columns, avro_fields):
    op = rng.choice(['c', 'u', 'u', 'd'])
    before = after = None
    before_datum = after_datum = None
    row, datum = make_dbz_row(rng, columns, avro_fields)
    kind = op
    if op == 'c':
        after, after_datum = row, datum
    elif op == 'd':
        before, before_datum = row, datum
    else:
        before, before_datum = row, datum
        after, after_datum = [list(c) for c in row], dict(datum)
        for i in rng.sample(range(1, len(columns)), k=rng.randint(0, 4)):
            (k, v), avro = dbz_column(rng, columns[i], avro_fields[i]['type'])
            after[i] = [columns[i][0], k, v]
            after_datum[columns[i][0]] = avro
        kind = 'u' if after != before else 'u-same'
    ts_ms = rng.randint(946684800000, 2145916799000)
    envelope = {
        'op': op,
        'source': {'connector': 'mariadb', 'db': 'perscom', 'table': table, 'ts_ms': ts_ms,
                   'ts_us': ts_ms * 1000 + rng.randint(0, 999)},
        'ts_ms': ts_ms + 5, 'ts_us': None,
    }
    case = {
        'id': f'{index:04d}',
        'kind': f'dbz-{mode}-{kind}',
        'table': table,
        'topic': DBZ_TOPIC[mode] % table,
        'config': 'bridge-debezium.yaml',
        'partition': rng.choice([0, 1, 2]),
        'offset': rng.randint(0, 10**6),
        'headers': {},
        'hook': HOOKS[index % len(HOOKS)]['name'],
        'envelope': envelope,
        'before': before,
        'after': after,
        'message': f'messages/{index:04d}.avro',
    }
    record = {'before': before_datum, 'after': after_datum, 'source': envelope['source'],
              'op': op, 'ts_ms': envelope['ts_ms'], 'ts_us': None}
    return case, record


def yaml_string(text):
    """A YAML double-quoted scalar (JSON's escapes, non-ASCII kept as it is)."""
    return json.dumps(text, ensure_ascii=False)


def write_dbz_config(out_dir):
    lines = ['# written by gen_cases.py: the Debezium-shaped topics (format avro)',
             'kafka:', '  brokers: "127.0.0.1:9"', '  group_id: perscom-bridge-golden', 'topics:']
    for mode in DBZ_MODES:
        for table in TABLES:
            lines += ['  - name: ' + DBZ_TOPIC[mode] % table, '    format: avro',
                      f'    schema: debezium/{mode}/{table}.avsc']
    lines.append('hooks:')
    for hook in HOOKS:
        lines += ['  - name: ' + hook['name'], '    url: ' + yaml_string(hook['url']),
                  '    method: ' + hook['method'], '    secret: ' + yaml_string(hook['secret']),
                  '    events: ["*"]']
    with open(os.path.join(out_dir, 'bridge-debezium.yaml'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')


def dbz_cases(rng, out_dir, first_index, per_table):
    cases = []
    index = first_index
    for mode in DBZ_MODES:
        os.makedirs(os.path.join(out_dir, 'debezium', mode), exist_ok=True)
        for table in TABLES:
            schema, columns = dbz_schema(table, mode)
            with open(os.path.join(out_dir, 'debezium', mode, table + '.avsc'), 'w',
                      encoding='utf-8') as f:
                json.dump(schema, f, indent=1)
            parsed = fastavro.parse_schema(schema)
            value = [t for t in schema['fields'][0]['type'] if t != 'null'][0]
            for _ in range(per_table):
                case, record = make_dbz_case(rng, index, table, mode, columns, value['fields'])
                buf = io.BytesIO()
                fastavro.schemaless_writer(buf, parsed, record)
                with open(os.path.join(out_dir, case['message']), 'wb') as f:
                    f.write(buf.getvalue())
                cases.append(case)
                index += 1
    write_dbz_config(out_dir)
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir')
    parser.add_argument('--seed', type=int, default=20260501)
    parser.add_argument('--per-table', type=int, default=25)
    parser.add_argument('--debezium-per-table', type=int, default=8,
                        help='cases per table and bigint.unsigned.handling.mode')
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
    cases += dbz_cases(random.Random(args.seed + 1), args.out_dir, index, args.debezium_per_table)
    with open(os.path.join(args.out_dir, 'cases.json'), 'w', encoding='utf-8') as f:
        json.dump({'hooks': HOOKS, 'cases': cases}, f, ensure_ascii=True, indent=1)
    print(f'{len(cases)} cases written to {args.out_dir}', file=sys.stderr)


if __name__ == '__main__':
    main()
