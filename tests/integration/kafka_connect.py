"""Kafka Connect standalone with the Debezium MariaDB connector and Apicurio's AvroConverter.

The jars come from tests/debezium/lib (tests/debezium/fetch.sh): the worker's classpath in
lib/worker, the connector and the converter as plugins in lib/plugins (plugin.path), each in
its own class loader. The worker runs `org.apache.kafka.connect.cli.ConnectStandalone` against
the test broker, keeps source offsets in a file, serves its REST API on a free loopback port,
and lets Connect create the connector's topics (the test broker does not auto-create them).

The connector (`DebeziumConnector.config()`):
- topic.prefix `perscom`, database `perscom_tenant1` (topics `perscom.perscom_tenant1.<table>`,
  schema changes on `perscom`, transactions on `perscom.transaction`, heartbeats on
  `__debezium-heartbeat.perscom`);
- key and value through `io.apicurio.registry.utils.converter.AvroConverter` with Confluent
  framing: `apicurio.registry.as-confluent=true`, `use-id=contentId`, `headers.enabled=false`,
  `auto-register=true`, registry URL = the stand-in's Apicurio API;
- schema history in a Kafka topic;
- options: `bigint.unsigned.handling.mode` (None = Debezium's default `long`, or `precise`),
  `heartbeat.interval.ms`, `provide.transaction.metadata`, and any further connector keys.
"""
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

from . import server_proc
from .kafka_broker import LOG4J_CONF, _java, free_port
from .mariadb import REPL_PASSWORD, REPL_USER

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEBEZIUM_DIR = os.path.join(REPO, 'tests', 'debezium')
LIB_DIR = os.path.join(DEBEZIUM_DIR, 'lib')
WORKER_LIB = os.path.join(LIB_DIR, 'worker')
PLUGIN_DIR = os.path.join(LIB_DIR, 'plugins')
START_TIMEOUT_S = 120
CONNECTOR_CLASS = 'io.debezium.connector.mariadb.MariaDbConnector'
CONVERTER_CLASS = 'io.apicurio.registry.utils.converter.AvroConverter'
TOPIC_PREFIX = 'perscom'
DATABASE = 'perscom_tenant1'


class ConnectError(RuntimeError):
    pass


def converter_settings(registry_url):
    """The converter keys of one side (prefix them with key.converter. / value.converter.)."""
    return {
        'apicurio.registry.url': registry_url,
        'apicurio.registry.auto-register': 'true',
        'apicurio.registry.as-confluent': 'true',
        'apicurio.registry.use-id': 'contentId',
        'apicurio.registry.headers.enabled': 'false',
    }


class DebeziumConnector:
    """The connector's configuration."""

    def __init__(self, mariadb, bootstrap, registry_url, name='perscom-mariadb',
                 history_topic='perscom-schema-history', bigint_mode=None, heartbeat_ms=None,
                 transaction_metadata=False, partitions=2, server_id=5401, extra=None):
        self.name = name
        self.mariadb = mariadb
        self.bootstrap = bootstrap
        self.registry_url = registry_url
        self.history_topic = history_topic
        self.bigint_mode = bigint_mode
        self.heartbeat_ms = heartbeat_ms
        self.transaction_metadata = transaction_metadata
        self.partitions = partitions
        self.server_id = server_id
        self.extra = dict(extra or {})

    def config(self):
        c = {
            'name': self.name,
            'connector.class': CONNECTOR_CLASS,
            'tasks.max': '1',
            'database.hostname': '127.0.0.1',
            'database.port': str(self.mariadb.port),
            'database.user': REPL_USER,
            'database.password': REPL_PASSWORD,
            'database.server.id': str(self.server_id),
            'database.ssl.mode': 'disable',
            'topic.prefix': TOPIC_PREFIX,
            'database.include.list': DATABASE,
            'schema.history.internal.kafka.bootstrap.servers': self.bootstrap,
            'schema.history.internal.kafka.topic': self.history_topic,
            'include.schema.changes': 'true',
            'snapshot.mode': 'initial',
            'topic.creation.default.replication.factor': '1',
            'topic.creation.default.partitions': str(self.partitions),
            'key.converter': CONVERTER_CLASS,
            'value.converter': CONVERTER_CLASS,
        }
        for side in ('key', 'value'):
            for k, v in converter_settings(self.registry_url).items():
                c['%s.converter.%s' % (side, k)] = v
        if self.bigint_mode:
            c['bigint.unsigned.handling.mode'] = self.bigint_mode
        if self.heartbeat_ms:
            c['heartbeat.interval.ms'] = str(self.heartbeat_ms)
        if self.transaction_metadata:
            c['provide.transaction.metadata'] = 'true'
        c.update(self.extra)
        return c


class KafkaConnect:
    """One Connect standalone worker running one connector."""

    def __init__(self, workdir, bootstrap, connector):
        self.workdir = os.path.abspath(workdir)
        self.bootstrap = bootstrap
        self.connector = connector
        self.rest_port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.rest_port
        self.log_path = os.path.join(self.workdir, 'server.log')
        self.stdout_path = os.path.join(self.workdir, 'stdout.log')
        self.worker_props = os.path.join(self.workdir, 'worker.properties')
        self.connector_json = os.path.join(self.workdir, 'connector.json')
        self.offsets_path = os.path.join(self.workdir, 'offsets.dat')
        self.proc = None
        self.timings = {}

    def _check_jars(self):
        if not os.path.isdir(WORKER_LIB) or not any(
                n.startswith('connect-runtime-') for n in os.listdir(WORKER_LIB)):
            raise ConnectError('no Kafka Connect runtime in %s: run tests/debezium/fetch.sh '
                               '(scripts/setup.sh does)' % WORKER_LIB)
        for plugin in ('debezium-connector-mariadb', 'apicurio-converter'):
            if not os.path.isdir(os.path.join(PLUGIN_DIR, plugin)):
                raise ConnectError('plugin %s missing in %s: run tests/debezium/fetch.sh'
                                   % (plugin, PLUGIN_DIR))

    def _write(self):
        os.makedirs(self.workdir, exist_ok=True)
        props = {
            'bootstrap.servers': self.bootstrap,
            # the connector sets its own converters; these are the worker's defaults
            'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
            'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
            'offset.storage.file.filename': self.offsets_path,
            'offset.flush.interval.ms': '1000',
            'plugin.path': PLUGIN_DIR,
            'plugin.discovery': 'hybrid_warn',
            'listeners': 'http://127.0.0.1:%d' % self.rest_port,
            'rest.advertised.host.name': '127.0.0.1',
            'rest.advertised.port': str(self.rest_port),
            'topic.creation.enable': 'true',
            'task.shutdown.graceful.timeout.ms': '5000',
        }
        with open(self.worker_props, 'w') as f:
            for k, v in props.items():
                f.write('%s=%s\n' % (k, v))
        with open(self.connector_json, 'w') as f:
            json.dump({'name': self.connector.name, 'config': self.connector.config()}, f,
                      indent=2)

    def start(self, timeout=START_TIMEOUT_S):
        """Starts the worker and waits until the connector and its task are RUNNING."""
        self._check_jars()
        self._write()
        t0 = time.monotonic()
        cmd = [_java(), '-Xmx768m', '-Xms64m', '-XX:+UseSerialGC', '-Djava.awt.headless=true',
               '-Dkafka.logs.dir=%s' % self.workdir,
               '-Dlog4j2.configurationFile=%s' % LOG4J_CONF,
               '-cp', os.path.join(WORKER_LIB, '*'),
               'org.apache.kafka.connect.cli.ConnectStandalone', self.worker_props,
               self.connector_json]
        out = open(self.stdout_path, 'ab')
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.workdir,
                                     start_new_session=True)
        out.close()
        self.wait_running(timeout, t0)
        self.timings['running_s'] = time.monotonic() - t0
        return self

    def _get(self, path, timeout=5):
        with urllib.request.urlopen(self.url + path, timeout=timeout) as r:
            return json.loads(r.read() or b'null')

    def _request(self, method, path, body=None, timeout=30):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b'null')

    def status(self):
        return self._get('/connectors/%s/status' % self.connector.name)

    def wait_running(self, timeout=START_TIMEOUT_S, t0=None):
        deadline = (t0 or time.monotonic()) + timeout
        last = None
        while True:
            if self.proc.poll() is not None:
                raise ConnectError('Kafka Connect exited with %d\n%s'
                                   % (self.proc.returncode, self.log_tail()))
            try:
                st = self.status()
                last = st
                tasks = st.get('tasks') or []
                if st['connector']['state'] == 'RUNNING' and tasks and \
                        all(t['state'] == 'RUNNING' for t in tasks):
                    return st
                failed = [t for t in tasks if t['state'] == 'FAILED']
                if failed or st['connector']['state'] == 'FAILED':
                    raise ConnectError('the connector failed: %s\n%s'
                                       % (json.dumps(st, indent=1)[:4000], self.log_tail()))
            except (urllib.error.URLError, ConnectionError, OSError, ValueError, KeyError):
                pass
            if time.monotonic() > deadline:
                raise ConnectError('the connector was not RUNNING within %d s (last status %s)'
                                   '\n%s' % (timeout, last, self.log_tail()))
            time.sleep(0.5)

    def log_contains(self, text):
        try:
            with open(self.log_path, 'rb') as f:
                return text.encode() in f.read()
        except FileNotFoundError:
            return False

    def wait_log(self, text, timeout):
        deadline = time.monotonic() + timeout
        while not self.log_contains(text):
            if self.proc.poll() is not None:
                raise ConnectError('Kafka Connect exited with %d\n%s'
                                   % (self.proc.returncode, self.log_tail()))
            if time.monotonic() > deadline:
                raise ConnectError('"%s" not in the Connect log within %d s\n%s'
                                   % (text, timeout, self.log_tail()))
            time.sleep(0.3)

    def reconfigure(self, timeout=START_TIMEOUT_S, **changes):
        """Changes connector options (DebeziumConnector attributes, e.g. heartbeat_ms=1000,
        transaction_metadata=True) and applies them through the REST API; the task restarts
        from its stored offset. Waits until it runs again."""
        for k, v in changes.items():
            if not hasattr(self.connector, k):
                raise AttributeError(k)
            setattr(self.connector, k, v)
        self._request('PUT', '/connectors/%s/config' % self.connector.name,
                      self.connector.config())
        time.sleep(1.0)  # the old task is being stopped; its status still says RUNNING
        return self.wait_running(timeout)

    def log_tail(self, lines=80):
        return server_proc.log_tail((self.stdout_path, self.log_path), lines,
                                    '(no Connect log written)')

    def stop(self, timeout=30):
        server_proc.stop_group(self.proc, timeout)
