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
    $raw = RAW_TIME[$table] ?? [];
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
        if ($kind === 'time') {
            $data[$name] = in_array($name, $raw, true) ? raw_time($value) : iso_time($value);
        } else {
            $data[$name] = $value;
        }
    }
    foreach ($custom as $key => $value) {
        /* columns (hidden ones and `data` included) and label win over custom fields */
        if (array_key_exists((string)$key, $row) || (string)$key === 'label') {
            continue;
        }
        $data[$key] = $value;
    }
    $id = $row['id'][1] ?? null;
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
        if ($kind === 'time') {
            $changes[$name] = raw_time($value);
        } elseif (is_array($value)) {
            $changes[$name] = json_encode($value);
        } else {
            $changes[$name] = $value; /* including the custom-field column's raw JSON text */
        }
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
