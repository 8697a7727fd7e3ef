#!/usr/bin/env python3
"""Golden test: perscom-bridge against PHP, byte for byte.

usage: run_golden.py PERSCOM_BRIDGE [--keep DIR] [--seed N] [--per-table N] [--verbose]

Generates the cases (gen_cases.py: the committed schemas, then the Debezium-shaped topics),
computes PHP's expectation (expected.php), then renders every case with `perscom-bridge render`
and compares the printed URL, Signature and body with PHP's.
Prints "N passed, M failed"; exits non-zero on any failure or when fewer than 200 cases ran.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, 'bridge.yaml')
MIN_CASES = 200


def parse_render_output(stdout, hook_name):
    """Finds the request of hook_name in the render command's output.

    Returns {method, url, headers: {name: value}, body} (bytes decoded as UTF-8), or raises
    ValueError saying what is wrong.
    """
    lines = stdout.split(b'\n')
    marker = b'### hook ' + hook_name.encode()
    try:
        start = lines.index(marker)
    except ValueError:
        raise ValueError(f'no "### hook {hook_name}" block in the output') from None
    i = start + 1
    if i >= len(lines) or b' ' not in lines[i]:
        raise ValueError('no request line after the hook marker')
    method, url = lines[i].split(b' ', 1)
    i += 1
    headers = {}
    while i < len(lines) and lines[i] != b'':
        if b': ' not in lines[i]:
            raise ValueError(f'bad header line {lines[i]!r}')
        name, value = lines[i].split(b': ', 1)
        headers[name.decode()] = value.decode()
        i += 1
    if i + 2 >= len(lines) or lines[i + 2] != b'':
        raise ValueError('the block does not end with body and a blank line')
    body = lines[i + 1]
    return {'method': method.decode(), 'url': url.decode(), 'headers': headers,
            'body': body.decode()}


def compare(expected, got):
    """A list of differences (empty when equal)."""
    problems = []
    if got['method'] != expected['method']:
        problems.append(f"method: expected {expected['method']}, got {got['method']}")
    if got['url'] != expected['url']:
        problems.append(f"url:\n  expected {expected['url']}\n  got      {got['url']}")
    signature = got['headers'].get('Signature')
    if signature != expected['signature']:
        problems.append(f"Signature: expected {expected['signature']}, got {signature}")
    if got['headers'].get('Content-Type') != 'application/json':
        problems.append(f"Content-Type: got {got['headers'].get('Content-Type')}")
    if got['body'] != expected['body']:
        body_e, body_g = expected['body'], got['body']
        at = next((k for k in range(min(len(body_e), len(body_g))) if body_e[k] != body_g[k]),
                  min(len(body_e), len(body_g)))
        lo, hi = max(0, at - 60), at + 60
        problems.append(f'body differs at char {at}:\n  expected ...{body_e[lo:hi]}'
                        f'\n  got      ...{body_g[lo:hi]}')
    return problems


def render_command(binary, case, work):
    config = os.path.join(work, case['config']) if 'config' in case else CONFIG
    cmd = [binary, 'render', '--config', config, '--topic', case['topic'],
           '--partition', str(case['partition']), '--offset', str(case['offset'])]
    for name in ('request_id', 'trace_id'):
        if name in case['headers']:
            cmd += ['--header', f"{name}={case['headers'][name]}"]
    cmd += ['--hook', case['hook']]
    return cmd


def generate(work, seed, per_table):
    subprocess.run([sys.executable, os.path.join(HERE, 'gen_cases.py'), work, '--seed', str(seed),
                    '--per-table', str(per_table)], check=True)
    subprocess.run(['php', os.path.join(HERE, 'expected.php'), os.path.join(work, 'cases.json'),
                    os.path.join(work, 'expected.json')], check=True)
    with open(os.path.join(work, 'cases.json'), encoding='utf-8') as f:
        cases = json.load(f)['cases']
    with open(os.path.join(work, 'expected.json'), encoding='utf-8') as f:
        expected = {e['id']: e for e in json.load(f)}
    return cases, expected


def run(binary, work, seed, per_table, verbose):
    cases, expected = generate(work, seed, per_table)
    passed = failed = 0
    for case in cases:
        cmd = render_command(binary, case, work)
        with open(os.path.join(work, case['message']), 'rb') as message:
            proc = subprocess.run(cmd, stdin=message, capture_output=True, timeout=30)
        problems = []
        if proc.returncode != 0:
            problems.append(f'exit status {proc.returncode}: '
                            f'{proc.stderr.decode(errors="replace").strip()}')
        else:
            try:
                got = parse_render_output(proc.stdout, case['hook'])
                problems = compare(expected[case['id']], got)
            except ValueError as e:
                problems.append(str(e))
        if problems:
            failed += 1
            if failed <= 20 or verbose:
                print(f"FAIL case {case['id']} ({case['table']} {case['kind']} "
                      f"hook {case['hook']})")
                print('  command: ' + ' '.join(cmd) + f" < {case['message']}")
                for p in problems:
                    print('  ' + p)
        else:
            passed += 1
            if verbose:
                print(f"ok   case {case['id']}")
    return passed, failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('binary', help='path of the perscom-bridge binary')
    parser.add_argument('--keep', metavar='DIR', help='write cases here and keep them')
    parser.add_argument('--seed', type=int, default=20260501)
    parser.add_argument('--per-table', type=int, default=25)
    parser.add_argument('--verbose', action='store_true')
    args = parser.parse_args()

    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        print(f'run_golden: {binary} is not an executable', file=sys.stderr)
        return 2
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        passed, failed = run(binary, args.keep, args.seed, args.per_table, args.verbose)
    else:
        with tempfile.TemporaryDirectory(prefix='golden-') as work:
            passed, failed = run(binary, work, args.seed, args.per_table, args.verbose)
    print(f'{passed} passed, {failed} failed')
    if failed or passed + failed < MIN_CASES:
        if passed + failed < MIN_CASES:
            print(f'run_golden: only {passed + failed} cases ran, at least {MIN_CASES} required')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
