"""The command line: usage errors exit 2 with a message that names the problem.

No broker is needed: `render` reads one message value from standard input and sends nothing.
"""
import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(REPO, 'tests', 'golden', 'bridge.yaml')
TOPIC = 'perscom.golden.records_ranks'
EXIT_USAGE = 2


def binary():
    path = os.environ.get('PERSCOM_BRIDGE_BIN', os.path.join(REPO, 'build', 'perscom-bridge'))
    assert os.access(path, os.X_OK), 'no bridge binary at %s (build first)' % path
    return path


def render(*args, stdin=b''):
    return subprocess.run([binary(), 'render', '--config', CONFIG] + list(args), input=stdin,
                          capture_output=True, timeout=30)


@pytest.mark.parametrize('option,value', [
    ('--partition', 'abc'), ('--partition', '12x'), ('--partition', '-1'),
    ('--partition', ''), ('--partition', '2147483648'),
    ('--offset', '12x'), ('--offset', 'abc'), ('--offset', '-5'), ('--offset', '1e3'),
])
def test_render_refuses_a_position_that_is_not_a_whole_number(option, value):
    proc = render('--topic', TOPIC, option, value)
    assert proc.returncode == EXIT_USAGE, proc
    err = proc.stderr.decode()
    assert option in err and repr(value).strip('"') in err, err
    assert proc.stdout == b''


def test_render_refuses_a_header_it_does_not_use():
    proc = render('--topic', TOPIC, '--header', 'foo=bar')
    assert proc.returncode == EXIT_USAGE, proc
    err = proc.stderr.decode()
    assert '--header foo' in err and 'request_id' in err and 'trace_id' in err, err


def test_render_of_an_unconfigured_topic_is_a_usage_error_naming_the_topics():
    proc = render('--topic', 'perscom.other.nothing', stdin=b'\x00')
    assert proc.returncode == EXIT_USAGE, proc
    err = proc.stderr.decode()
    assert 'perscom.other.nothing matches no entry of topics' in err, err
    assert 'configured topics:' in err and TOPIC in err, err
    assert 'undeliverable' not in err, err


def test_render_accepts_whole_numbers():
    # An empty value is a tombstone: not an event, exit 0.
    proc = render('--topic', TOPIC, '--partition', '7', '--offset', '9007199254740993')
    assert proc.returncode == 0, proc
    assert proc.stdout.startswith(b'# not an event'), proc.stdout


def test_basic_auth_over_plain_http_is_warned(tmp_path):
    conf = tmp_path / 'bridge.yaml'
    conf.write_text(open(CONFIG).read().replace(
        'kafka:', 'schema_registry:\n  url: http://127.0.0.1:8081\n  username: u\n'
        '  password: p\nkafka:', 1).replace('../../schemas/', os.path.join(REPO, 'schemas') + '/'))
    proc = subprocess.run([binary(), 'check-config', str(conf)], capture_output=True, timeout=30)
    assert proc.returncode == 0, proc
    assert b'warning: schema_registry: basic auth over http:// sends the password in clear' \
        in proc.stderr, proc.stderr
    assert b'p\n' not in proc.stderr
