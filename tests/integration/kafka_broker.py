"""A real Apache Kafka broker (KRaft, broker+controller in one JVM) for tests and the demo.

The jars come from tests/kafka/lib (tests/kafka/fetch.sh). The broker listens on 127.0.0.1 only,
on free ports, with its data and log in a directory of the caller's choosing.
"""
import glob
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid

from . import server_proc

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KAFKA_DIR = os.path.join(REPO, 'tests', 'kafka')
LIB_DIR = os.path.join(KAFKA_DIR, 'lib')
LOG4J_CONF = os.path.join(KAFKA_DIR, 'log4j2.properties')
START_TIMEOUT_S = 60


class BrokerError(RuntimeError):
    pass


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _java():
    java_home = os.environ.get('JAVA_HOME')
    if java_home and os.path.exists(os.path.join(java_home, 'bin', 'java')):
        return os.path.join(java_home, 'bin', 'java')
    java = shutil.which('java')
    if not java:
        raise BrokerError('java not found (scripts/setup.sh installs the JDK)')
    return java


class Broker:
    """One KRaft broker. start() formats the storage and waits until clients can connect."""

    def __init__(self, workdir, port=None, controller_port=None, num_partitions=8,
                 extra_props=None):
        self.workdir = os.path.abspath(workdir)
        self.extra_props = dict(extra_props or {})  # into server.properties (an authorizer...)
        self.port = port or free_port()
        self.controller_port = controller_port or free_port()
        while self.controller_port == self.port:
            self.controller_port = free_port()
        self.num_partitions = num_partitions
        self.data_dir = os.path.join(self.workdir, 'data')
        self.log_path = os.path.join(self.workdir, 'server.log')
        self.stdout_path = os.path.join(self.workdir, 'stdout.log')
        self.props_path = os.path.join(self.workdir, 'server.properties')
        self.proc = None
        self._log_mark = 0  # where this run's part of server.log begins (restarts append)

    @property
    def bootstrap(self):
        return '127.0.0.1:%d' % self.port

    def _classpath(self):
        jars = glob.glob(os.path.join(LIB_DIR, '*.jar'))
        if not any(os.path.basename(j).startswith('kafka_2.13-') for j in jars):
            raise BrokerError('no Kafka broker jar in %s: run tests/kafka/fetch.sh '
                              '(scripts/setup.sh does)' % LIB_DIR)
        return os.path.join(LIB_DIR, '*')

    def _write_properties(self):
        props = {
            'process.roles': 'broker,controller',
            'node.id': '1',
            'listeners': 'PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d'
                         % (self.port, self.controller_port),
            'advertised.listeners': 'PLAINTEXT://127.0.0.1:%d' % self.port,
            'controller.listener.names': 'CONTROLLER',
            'inter.broker.listener.name': 'PLAINTEXT',
            'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
            'controller.quorum.bootstrap.servers': '127.0.0.1:%d' % self.controller_port,
            'log.dirs': self.data_dir,
            'num.partitions': str(self.num_partitions),
            'auto.create.topics.enable': 'false',
            'offsets.topic.replication.factor': '1',
            'offsets.topic.num.partitions': '4',
            'transaction.state.log.replication.factor': '1',
            'transaction.state.log.min.isr': '1',
            'share.coordinator.state.topic.replication.factor': '1',
            'share.coordinator.state.topic.min.isr': '1',
            'group.initial.rebalance.delay.ms': '0',
            'log.flush.interval.messages': '1000000',
        }
        props.update(self.extra_props)
        with open(self.props_path, 'w') as f:
            for k, v in props.items():
                f.write('%s=%s\n' % (k, v))

    def _jvm(self, main, *args, heap='-Xmx512m'):
        return [_java(), heap, '-Xms64m', '-XX:+UseSerialGC', '-Djava.awt.headless=true',
                '-Dkafka.logs.dir=%s' % self.workdir,
                '-Dlog4j2.configurationFile=%s' % LOG4J_CONF,
                '-cp', self._classpath(), main] + list(args)

    def start(self, timeout=START_TIMEOUT_S, attempts=3):
        """Starts the broker; when a port was taken meanwhile, retries on new free ports."""
        for attempt in range(attempts):
            try:
                return self._start_once(timeout)
            except BrokerError:
                if attempt + 1 == attempts or 'BindException' not in self.log_tail(200):
                    raise
                self.stop()
                shutil.rmtree(self.data_dir, ignore_errors=True)
                for path in (self.log_path, self.stdout_path):
                    if os.path.exists(path):
                        os.rename(path, '%s.%d' % (path, attempt))
                self.port, self.controller_port = free_port(), free_port()
                while self.controller_port == self.port:
                    self.controller_port = free_port()

    def _start_once(self, timeout):
        os.makedirs(self.workdir, exist_ok=True)
        self._log_mark = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        self._write_properties()
        if not os.path.exists(os.path.join(self.data_dir, 'meta.properties')):
            cluster_id = self._cluster_id()
            fmt = subprocess.run(
                self._jvm('kafka.tools.StorageTool', 'format', '--standalone', '-t', cluster_id,
                          '-c', self.props_path, heap='-Xmx256m'),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
            if fmt.returncode != 0:
                raise BrokerError('formatting the broker storage failed (exit %d):\n%s'
                                  % (fmt.returncode, fmt.stdout.decode(errors='replace')))
        out = open(self.stdout_path, 'ab')
        self.proc = subprocess.Popen(self._jvm('kafka.Kafka', self.props_path),
                                     stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.workdir,
                                     start_new_session=True)
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BrokerError('the Kafka broker exited with %d while starting\n%s'
                                  % (self.proc.returncode, self.log_tail()))
            if self._started() and self._reachable():
                return self
            time.sleep(0.25)
        self.stop()
        raise BrokerError('the Kafka broker did not come up within %d s\n%s'
                          % (timeout, self.log_tail()))

    @staticmethod
    def _cluster_id():
        # A Kafka cluster id is a UUID in URL-safe base64 without padding (22 characters). The
        # storage tool's argument parser takes one that starts with '-' for an option (and
        # fails the start), which a random id does once in 64: the first character is made a
        # letter or digit by clearing the top bits it comes from ('-' and '_' are 62 and 63).
        import base64
        raw = bytearray(uuid.uuid4().bytes)
        raw[0] &= 0x7f  # the first character is one of the first 32: A-Z, a-f
        return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('=')

    def _started(self):
        try:
            with open(self.log_path, 'rb') as f:
                f.seek(self._log_mark)
                return b'Kafka Server started' in f.read()
        except FileNotFoundError:
            return False

    def _reachable(self):
        try:
            with socket.create_connection(('127.0.0.1', self.port), timeout=1):
                return True
        except OSError:
            return False

    def log_tail(self, lines=60):
        return server_proc.log_tail((self.stdout_path, self.log_path), lines,
                                    '(no broker log written)')

    def stop(self, timeout=20):
        server_proc.stop_group(self.proc, timeout)

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)

    def restart(self, down_s=0.0, kill=False, timeout=START_TIMEOUT_S, attempts=10):
        """Stops the broker (SIGTERM: controlled shutdown; kill: SIGKILL) and starts it again
        on the same ports with the same data directory, so clients reconnect to the address
        they know. A port still held by the old process is retried for a while, never moved.
        Returns (seconds down, seconds to come back)."""
        t0 = time.monotonic()
        if kill:
            self.kill9()
        else:
            self.stop(timeout=60)
        stopped = time.monotonic()
        time.sleep(down_s)
        for attempt in range(attempts):
            try:
                self._start_once(timeout)
                break
            except BrokerError:
                with open(self.log_path, 'rb') as f:
                    f.seek(self._log_mark)
                    bind = b'BindException' in f.read()
                if not bind or attempt + 1 == attempts:
                    raise
                self.stop()
                time.sleep(2)
        return stopped - t0, time.monotonic() - stopped

    # --- client-side helpers (confluent-kafka) -------------------------------------------

    def admin(self):
        from confluent_kafka.admin import AdminClient
        return AdminClient({'bootstrap.servers': self.bootstrap})

    def create_topics(self, names, partitions=8, timeout=30):
        """Creates the topics and waits until their metadata shows every partition's leader."""
        from confluent_kafka.admin import NewTopic
        admin = self.admin()
        futures = admin.create_topics([NewTopic(n, num_partitions=partitions,
                                                replication_factor=1) for n in names],
                                      operation_timeout=timeout)
        for name, fut in futures.items():
            fut.result(timeout=timeout)
        deadline = time.monotonic() + timeout
        while True:
            md = admin.list_topics(timeout=10)
            ready = all(n in md.topics and md.topics[n].error is None
                        and len(md.topics[n].partitions) == partitions
                        and all(p.leader >= 0 for p in md.topics[n].partitions.values())
                        for n in names)
            if ready:
                return
            if time.monotonic() > deadline:
                raise BrokerError('topics %s not ready within %d s' % (names, timeout))
            time.sleep(0.2)

    def create_acls(self, bindings, timeout=30):
        """Creates the ACLs (confluent_kafka.admin.AclBinding); needs an authorizer
        (extra_props). The broker applies them through its metadata log within milliseconds."""
        admin = self.admin()
        for fut in admin.create_acls(bindings, request_timeout=timeout).values():
            fut.result(timeout=timeout)

    def delete_all_acls(self, timeout=30):
        """Deletes every ACL; returns how many there were."""
        from confluent_kafka.admin import (AclBindingFilter, AclOperation, AclPermissionType,
                                           ResourcePatternType, ResourceType)
        every = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,
                                 AclOperation.ANY, AclPermissionType.ANY)
        admin = self.admin()
        return sum(len(fut.result(timeout=timeout))
                   for fut in admin.delete_acls([every], request_timeout=timeout).values())

    def end_offsets(self, topics):
        """{(topic, partition): high watermark} of every partition of the topics."""
        from confluent_kafka import Consumer, TopicPartition
        c = Consumer({'bootstrap.servers': self.bootstrap, 'group.id': 'it-offset-reader',
                      'enable.auto.commit': False})
        try:
            md = c.list_topics(timeout=10)
            result = {}
            for t in topics:
                for p in md.topics[t].partitions:
                    lo, hi = c.get_watermark_offsets(TopicPartition(t, p), timeout=10)
                    result[(t, p)] = hi
            return result
        finally:
            c.close()

    def fully_committed(self, group_id, topics):
        """True when the group's committed offset of every partition is its end offset
        (an empty partition counts when nothing is committed)."""
        ends = self.end_offsets(topics)
        committed = self.committed_offsets(group_id, topics)
        return all((committed.get(tp) or 0) == end for tp, end in ends.items())

    def partitions_of(self, topics):
        """[(topic, partition)] of every partition of the topics."""
        from confluent_kafka import Consumer
        c = Consumer({'bootstrap.servers': self.bootstrap, 'group.id': 'it-offset-reader',
                      'enable.auto.commit': False})
        try:
            md = c.list_topics(timeout=10)
            return [(t, p) for t in topics for p in md.topics[t].partitions]
        finally:
            c.close()

    def committed_offsets(self, group_id, topics):
        """{(topic, partition): committed offset or None} for the group, without joining it."""
        return {tp: offset for tp, (offset, _) in
                self.committed_progress(group_id, topics).items()}

    def committed_progress(self, group_id, topics):
        """{(topic, partition): (committed offset or None, metadata text)} for the group,
        without joining it; the metadata is the bridge's per-hook progress. Read with
        ackmeta.py: confluent-kafka reads the metadata as a C string, and librdkafka hands it
        over without a terminating NUL."""
        from . import ackmeta
        return ackmeta.committed(self.bootstrap, group_id, self.partitions_of(topics))
