<?php
/*
 * The golden expectation: an independent PHP implementation of the PERSCOM payload rules
 * (tests/golden/README.md), using PHP's own json_encode, hash_hmac, http_build_query and
 * date functions, as PERSCOM does.
 *
 * usage: php expected.php CASES_JSON OUT_JSON
 * Writes, per case: {id, method, url, signature, body} where body is "" for GET.
 */

const RESOURCES = [
    'records_assignments' => ['assignmentrecord', 'Assignment Record', true],
    'records_awards' => ['awardrecord', 'Award Record', true],
    'calendars' => ['calendar', 'Calendar', false],
    'records_combat' => ['combatrecord', 'Combat Record', true],
    'events' => ['event', 'Event', false],
    'records_qualifications' => ['qualificationrecord', 'Qualification Record', true],
    'records_ranks' => ['rankrecord', 'Rank Record', true],
    'records_service' => ['servicerecord', 'Service Record', true],
    'submissions' => ['submission', 'Submission', true],
    'users' => ['user', 'User', true],
];
const HIDDEN = [
    'users' => ['password', 'remember_token', 'discord_private_channel_id'],
];
const RAW_TIME = [
    'submissions' => ['read_at'],
];
/* The datetime columns of the ten models (their 'datetime' cast; read_at is raw). */
const DATETIME_COLUMNS = [
    'created_at', 'updated_at', 'email_verified_at', 'notes_updated_at', 'last_seen_at',
    'starts', 'ends', 'registration_deadline', 'read_at',
];
/* The namespace of derived request ids, as documented in README.md. */
const REQUEST_ID_NAMESPACE = '6f1c3a52-8d0e-4b7a-9c25-3e41d7f0b9a8';

function fail(string $message): void
{
    fwrite(STDERR, "expected.php: $message\n");
    exit(1);
}

/* Microseconds since the epoch -> [DateTimeImmutable of the second, microseconds]. */
function split_us(int $us): array
{
    $sec = intdiv($us, 1000000);
    $frac = $us % 1000000;
    if ($frac < 0) {
        $frac += 1000000;
        $sec -= 1;
    }
    return [new DateTimeImmutable('@' . $sec), $frac];
}

function iso_time(int $us): string
{
    [$date, $frac] = split_us($us);
    return $date->setTimezone(new DateTimeZone('UTC'))->format('Y-m-d\TH:i:s')
        . sprintf('.%06dZ', $frac);
}

function raw_time(int $us): string
{
    [$date] = split_us($us);
    return $date->setTimezone(new DateTimeZone('UTC'))->format('Y-m-d H:i:s');
}

function uuid5(string $namespace, string $name): string
{
    $ns = hex2bin(str_replace('-', '', $namespace));
    $hash = sha1($ns . $name, true);
    $bytes = substr($hash, 0, 16);
    $bytes[6] = chr((ord($bytes[6]) & 0x0f) | 0x50);
    $bytes[8] = chr((ord($bytes[8]) & 0x3f) | 0x80);
    $hex = bin2hex($bytes);
    return substr($hex, 0, 8) . '-' . substr($hex, 8, 4) . '-' . substr($hex, 12, 4) . '-'
        . substr($hex, 16, 4) . '-' . substr($hex, 20, 12);
}

/*
 * A column as the database holds it (cases of the Debezium-shaped topics) -> what PERSCOM's
 * model gives in `data` ($raw false) or getChanges() gives in `changes` ($raw true):
 *   bool    TINYINT(1) as an integer: the 'boolean' cast, (bool)
 *   json    JSON text: the 'array' cast, json_decode($text, true); set again, json_encode
 *   int     BIGINT UNSIGNED digits: PDO's integer when it fits, else its string
 *   decimal DECIMAL text as PDO reads it
 *   date    days: a datetime column's midnight, else 'Y-m-d' as PDO reads a DATE
 *   clock   microseconds of a TIME: 'H:i:s' (hours may pass 23 or be negative), '.u' when not 0
 *   bytes   hex of a BLOB: base64_encode (the bridge's form; PHP could not json_encode it)
 */
function column_value(string $table, string $name, string $kind, $value, bool $raw)
{
    if ($value === null) {
        return null;
    }
    $raw_time = $raw || in_array($name, RAW_TIME[$table] ?? [], true);
    switch ($kind) {
        case 'time':
            return $raw_time ? raw_time($value) : iso_time($value);
        case 'date':
            if (in_array($name, DATETIME_COLUMNS, true)) {
                return $raw_time ? raw_time($value * 86400000000) : iso_time($value * 86400000000);
            }
            return gmdate('Y-m-d', $value * 86400);
        case 'bool':
            return (bool)$value;
        case 'json':
            $decoded = json_decode($value, true);
            if (json_last_error() !== JSON_ERROR_NONE) {
                fail("JSON column $name is not JSON");
            }
            return $raw && $decoded !== null ? json_encode($decoded) : $decoded;
        case 'int':
            return (string)(int)$value === $value ? (int)$value : $value;
        case 'decimal':
            return $value;
        case 'clock':
            $abs = abs($value);
            $seconds = intdiv($abs, 1000000);
            $text = sprintf('%s%02d:%02d:%02d', $value < 0 ? '-' : '', intdiv($seconds, 3600),
                intdiv($seconds, 60) % 60, $seconds % 60);
            return $abs % 1000000 ? $text . sprintf('.%06d', $abs % 1000000) : $text;
        case 'bytes':
            return base64_encode(hex2bin($value));
        case 'value':
            return $raw && is_array($value) ? json_encode($value) : $value;
    }
    fail("unknown column kind $kind");
}

/* [name => [kind, value]] in column order. */
function columns(?array $row): array
{
    $out = [];
    foreach ($row ?? [] as [$name, $kind, $value]) {
        $out[$name] = [$kind, $value];
    }
    return $out;
}

function custom_fields(?string $text): array
{
    if ($text === null) {
        return [];
    }
    $shape = json_decode($text);
    if (json_last_error() !== JSON_ERROR_NONE) {
        fail('custom fields are not JSON: ' . json_last_error_msg());
    }
    if (is_array($shape) && count($shape) === 0) {
        return [];
    }
    if (!is_object($shape)) {
        fail('custom fields are not an object');
    }
    /* what Laravel's array cast makes of the column */
    return json_decode($text, true);
}

function build_data(string $table, array $row): array
{
    [$resource, $prefix, $has_custom] = RESOURCES[$table];
    $hidden = HIDDEN[$table] ?? [];
    $data = [];
    $custom = [];
    foreach ($row as $name => [$kind, $value]) {
        if (in_array($name, $hidden, true)) {
            continue;
        }
        if ($has_custom && $name === 'data') {
            $custom = custom_fields($value);
            continue;
        }
        $data[$name] = column_value($table, $name, $kind, $value, false);
    }
    foreach ($custom as $key => $value) {
        /* columns (hidden ones and `data` included) and label win over custom fields */
        if (array_key_exists((string)$key, $row) || (string)$key === 'label') {
            continue;
        }
        $data[$key] = $value;
    }
    $id = isset($row['id']) ? column_value($table, 'id', $row['id'][0], $row['id'][1], false)
        : null;
    $data['label'] = $prefix . ': ' . (is_int($id) || is_string($id) ? $id : '');
    return $data;
}

function build_changes(string $table, ?array $before, array $after): array
{
    $hidden = HIDDEN[$table] ?? [];
    $has_custom = RESOURCES[$table][2];
    $changes = [];
    foreach ($after as $name => [$kind, $value]) {
        if (in_array($name, $hidden, true)) {
            continue;
        }
        if ($before !== null && array_key_exists($name, $before)
            && $before[$name][0] === $kind && $before[$name][1] === $value) {
            continue;
        }
        /* the custom-field column's raw JSON text stays as it is ('value') */
        $changes[$name] = column_value($table, $name, $kind, $value, true);
    }
    return $changes;
}

function created_us(array $envelope): int
{
    $candidates = [
        $envelope['source']['ts_us'] ?? null,
        isset($envelope['source']['ts_ms']) ? $envelope['source']['ts_ms'] * 1000 : null,
        $envelope['ts_us'] ?? null,
        isset($envelope['ts_ms']) ? $envelope['ts_ms'] * 1000 : null,
    ];
    foreach ($candidates as $us) {
        if ($us !== null) {
            return $us;
        }
    }
    fail('no timestamp in the envelope');
}

function build_payload(array $case): array
{
    $table = $case['table'];
    [$resource] = RESOURCES[$table];
    $op = $case['envelope']['op'];
    $action = ['c' => 'created', 'u' => 'updated', 'd' => 'deleted'][$op];
    $before = $case['before'] === null ? null : columns($case['before']);
    $after = $case['after'] === null ? null : columns($case['after']);
    $row = $action === 'deleted' ? $before : $after;
    $request_id = $case['headers']['request_id']
        ?? uuid5(REQUEST_ID_NAMESPACE, $case['topic'] . '/' . $case['partition'] . '/'
            . $case['offset']);
    return [
        'event' => $resource . '.' . $action,
        'created' => iso_time(created_us($case['envelope'])),
        'request_id' => $request_id,
        'trace_id' => $case['headers']['trace_id'] ?? null,
        'data' => build_data($table, $row),
        'changes' => $action === 'updated' ? build_changes($table, $before, $after) : [],
    ];
}

if ($argc !== 3) {
    fail('usage: php expected.php CASES_JSON OUT_JSON');
}
$input = json_decode(file_get_contents($argv[1]), true, 512, JSON_THROW_ON_ERROR);
$hooks = [];
foreach ($input['hooks'] as $hook) {
    $hooks[$hook['name']] = $hook;
}
$out = [];
foreach ($input['cases'] as $case) {
    $hook = $hooks[$case['hook']];
    $payload = build_payload($case);
    $json = json_encode($payload);
    if ($json === false) {
        fail("case {$case['id']}: json_encode: " . json_last_error_msg());
    }
    $url = $hook['url'];
    $body = $json;
    if ($hook['method'] === 'GET') {
        $query = http_build_query($payload, '', '&', PHP_QUERY_RFC3986);
        if ($query !== '') {
            $url .= (str_contains($url, '?') ? '&' : '?') . $query;
        }
        $body = '';
    }
    $out[] = [
        'id' => $case['id'],
        'hook' => $hook['name'],
        'method' => $hook['method'],
        'url' => $url,
        'signature' => hash_hmac('sha256', $json, $hook['secret']),
        'body' => $body,
    ];
}
file_put_contents($argv[2], json_encode($out, JSON_PRETTY_PRINT | JSON_THROW_ON_ERROR));
fwrite(STDERR, count($out) . " expectations written to {$argv[2]}\n");
