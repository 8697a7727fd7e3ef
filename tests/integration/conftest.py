"""Fixtures of the integration tests: a real Kafka broker (one per session), a Schema Registry
stand-in, a webhook receiver, and bridge processes.

The broker never skips: if it does not come up, every test that needs it errors with the
broker's log tail.
"""
import itertools
import os
import tempfile
import uuid

import pytest

from .bridge import Bridge, make_config
from .kafka_broker import Broker
from .receiver import Receiver
from .registry import SchemaRegistry


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'debezium: the Debezium chain (MariaDB, Kafka Connect, the Debezium '
        'connector, the Apicurio converter); run alone with '
        '`pytest tests/integration/test_debezium.py` or `-m debezium`')


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, 'rep_' + rep.when, rep)


@pytest.fixture(scope='session')
def workdir():
    keep = os.environ.get('IT_WORKDIR')
    if keep:
        os.makedirs(keep, exist_ok=True)
        return keep
    return tempfile.mkdtemp(prefix='perscom-it-')


@pytest.fixture(scope='session')
def kafka(workdir):
    broker = Broker(os.path.join(workdir, 'kafka'))
    try:
        broker.start()
    except Exception as e:  # fail loudly, never skip
        pytest.fail('Kafka broker did not start: %s' % e, pytrace=False)
    yield broker
    broker.stop()


@pytest.fixture(scope='session')
def registry():
    reg = SchemaRegistry().start()
    yield reg
    reg.stop()


@pytest.fixture(scope='session')
def faults_summary(request, workdir):
    """add(line): prints one `FAULTS <scenario>: ...` line and appends it to
    <workdir>/faults-summary.txt ($IT_WORKDIR when set); the terminal summary repeats them."""
    path = os.path.join(workdir, 'faults-summary.txt')
    open(path, 'w').close()
    lines = []
    request.config._faults_summary = (path, lines)

    def add(line):
        print(line)
        lines.append(line)
        with open(path, 'a') as f:
            f.write(line + '\n')
    return add


@pytest.fixture(scope='session')
def debezium_summary(request, workdir):
    """add(line): prints one `DEBEZIUM ...` line and appends it to
    <workdir>/debezium-summary.txt; the terminal summary repeats them."""
    path = os.path.join(workdir, 'debezium-summary.txt')
    open(path, 'w').close()
    lines = []
    request.config._debezium_summary = (path, lines)

    def add(line):
        print(line)
        lines.append(line)
        with open(path, 'a') as f:
            f.write(line + '\n')
    return add


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for attr, title in (('_faults_summary', 'fault-injection summary'),
                        ('_debezium_summary', 'Debezium chain summary')):
        info = getattr(config, attr, None)
        if not info:
            continue
        path, lines = info
        terminalreporter.section('%s (%s)' % (title, path))
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def receiver():
    rec = Receiver().start()
    yield rec
    rec.stop()


_counter = itertools.count(1)


@pytest.fixture
def uniq(request):
    """A short name unique to this test, usable in topic and group names."""
    return 't%d%s' % (next(_counter), uuid.uuid4().hex[:6])


@pytest.fixture
def bridges(request, workdir, kafka):
    """Factory: bridges(name, **make_config kwargs without brokers) -> Bridge (not started).
    Every bridge is stopped at teardown; a failed test prints their log tails."""
    made = []

    def factory(name, group_id, topics, hooks, env=None, **kw):
        conf = make_config(kafka.bootstrap, group_id, topics, hooks, **kw)
        b = Bridge(os.path.join(workdir, request.node.name, name), conf, env=env)
        made.append(b)
        return b

    yield factory
    for b in made:
        b.stop()
    rep = getattr(request.node, 'rep_call', None)
    if rep is not None and rep.failed:
        for b in made:
            print(b.log_tail(120))
        print(kafka.log_tail(20))
