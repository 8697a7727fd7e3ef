"""The container image for real.

tests/deploy/build_image.sh builds it; this runs it with podman the way deploy/base runs it:
as uid 65532 with a read-only root filesystem, no capabilities and no privilege escalation,
the ConfigMap's bridge.yaml (from `kustomize build deploy/base`) and the Secret's files
mounted read-only where the StatefulSet mounts them, POD_NAME set, the image's own ENTRYPOINT
and CMD; host network, against the integration tests' real Kafka broker, Schema Registry
stand-in and signature-checking receiver. Only the addresses in bridge.yaml (brokers,
registry, hook URLs, admin.listen) are changed to the test's loopback ones, and loopback is
allowed through the outbound request guard (egress.allow).

A missing podman or image fails, never skips. The figures (stop time, restart-to-ready time,
RSS) are printed at the end of the run and written to build-image/image-figures.json.
"""
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
import yaml

from integration import records
from integration.records import wait_until

from . import check_manifests as cm

pytestmark = pytest.mark.timeout(600)

IMAGE = os.environ.get('BR_IMAGE', 'localhost/perscom-bridge:test')
CONTAINERS_CONF = os.path.join(cm.REPO, 'tests', 'deploy', 'containers.conf')
FIGURES = os.path.join(cm.REPO, 'build-image', 'image-figures.json')
POD = 'perscom-bridge-0'
PARTITIONS = 8
SECRETS = {'discord': 'discord-s3cret-\u00e9', 'reports': 'reports-s3cret'}
RANKS, USERS = 'records_ranks', 'users'
LOAD = int(os.environ.get('BR_IMAGE_LOAD', '10000'))  # backlog of the RSS measurement


def podman(*args, check=True, timeout=120):
    env = dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF)
    proc = subprocess.run(['podman'] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=env, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError('podman %s: exit %d\n%s%s' % (' '.join(args), proc.returncode,
                                                           proc.stdout, proc.stderr))
    return proc


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def http_get(port, path):
    try:
        with urllib.request.urlopen('http://127.0.0.1:%d%s' % (port, path), timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except urllib.error.URLError:
        return 0, ''


class Pod:
    """What `kustomize build deploy/base` says about the pod."""

    def __init__(self, objects):
        sts = next(o for o in objects if o['kind'] == 'StatefulSet')
        spec = sts['spec']['template']['spec']
        self.container = spec['containers'][0]
        self.grace_s = spec['terminationGracePeriodSeconds']
        self.run_as = spec['securityContext']['runAsUser']
        self.fs_group = spec['securityContext'].get('fsGroup')
        self.memory_limit_mib = cm.memory_mib(self.container['resources']['limits']['memory'])
        mounts = {m['name']: m['mountPath'] for m in self.container['volumeMounts']}
        volumes = {v['name']: v for v in spec['volumes']}
        self.config_mount = next(mounts[n] for n, v in volumes.items() if 'configMap' in v)
        secret = next((n, v) for n, v in volumes.items() if 'secret' in v)
        self.secret_mount = mounts[secret[0]]
        self.secret_mode = secret[1]['secret'].get('defaultMode', 0o644)
        self.secret_items = [i['path'] for i in secret[1]['secret']['items']]
        cmap = next(o for o in objects if o['kind'] == 'ConfigMap')
        self.config_text = cmap['data'][cm.CONFIG_KEY]
        self.env_names = [e['name'] for e in self.container.get('env', [])]


@pytest.fixture(scope='module')
def image():
    if shutil.which('podman') is None:
        pytest.fail('podman is missing: scripts/setup.sh installs it', pytrace=False)
    if podman('image', 'exists', IMAGE, check=False).returncode != 0:
        pytest.fail('image %s not found: tests/deploy/build_image.sh builds it' % IMAGE,
                    pytrace=False)
    return IMAGE


@pytest.fixture(scope='module')
def pod():
    objects, err = cm.build(os.path.join(cm.DEPLOY, 'base'))
    assert objects is not None, 'kustomize build deploy/base: %s' % err
    return Pod(objects)


@pytest.fixture(scope='module')
def figures():
    result = {}
    yield result
    os.makedirs(os.path.dirname(FIGURES), exist_ok=True)
    with open(FIGURES, 'w') as f:
        json.dump(result, f, indent=2, sort_keys=True)
    print('\nimage figures (%s): %s' % (FIGURES, json.dumps(result, sort_keys=True)))


class Container:
    """One bridge container, run as deploy/base runs the pod."""

    def __init__(self, image, pod, workdir, config):
        self.image = image
        self.pod = pod
        self.name = 'perscom-bridge-test-%d' % os.getpid()
        self.config_dir = os.path.join(workdir, 'configmap')
        self.secret_dir = os.path.join(workdir, 'secret')
        self.log_path = os.path.join(workdir, 'container.log')
        # The ConfigMap: world-readable files, as Kubernetes mounts them.
        os.makedirs(self.config_dir, mode=0o755, exist_ok=True)
        os.chmod(self.config_dir, 0o755)
        path = os.path.join(self.config_dir, cm.CONFIG_KEY)
        with open(path, 'w') as f:
            yaml.safe_dump(config, f, sort_keys=False, allow_unicode=True)
        os.chmod(path, 0o644)
        # The Secret: one file per item, the StatefulSet's defaultMode, group fsGroup (the
        # kubelet sets both); each file ends with a newline, as `kubectl create secret
        # --from-file` of a file written by an editor would.
        os.makedirs(self.secret_dir, exist_ok=True)
        os.chown(self.secret_dir, 0, pod.fs_group)
        os.chmod(self.secret_dir, 0o750)
        for item in pod.secret_items:
            p = os.path.join(self.secret_dir, item)
            with open(p, 'w', encoding='utf-8') as f:
                f.write(SECRETS[item] + '\n')
            os.chown(p, 0, pod.fs_group)
            os.chmod(p, pod.secret_mode)

    def run(self):
        podman('rm', '-f', '--ignore', self.name)
        args = ['run', '-d', '--name', self.name, '--label', 'perscom-bridge-test=1',
                '--user', '%d:%d' % (self.pod.run_as, self.pod.run_as),
                '--group-add', str(self.pod.fs_group),
                '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
                '--network', 'host', '-e', 'POD_NAME=%s' % POD,
                '-v', '%s:%s:ro' % (self.config_dir, self.pod.config_mount),
                '-v', '%s:%s:ro' % (self.secret_dir, self.pod.secret_mount),
                self.image]
        podman(*args)
        return self

    def start(self):
        podman('start', self.name)

    def stop(self, timeout):
        """podman stop (SIGTERM, SIGKILL after timeout s); returns the seconds it took."""
        t0 = time.monotonic()
        podman('stop', '-t', str(timeout), self.name, timeout=timeout + 30)
        return time.monotonic() - t0

    def inspect(self, fmt):
        return podman('inspect', '--format', fmt, self.name).stdout.strip()

    def running(self):
        return self.inspect('{{.State.Running}}') == 'true'

    def assert_running(self):
        if not self.running():
            raise AssertionError('the container exited with %s\n%s' % (
                self.inspect('{{.State.ExitCode}}'), self.log_tail()))

    def proc_status(self):
        """/proc/<pid>/status of the bridge (the container's PID 1) as a dict."""
        pid = self.inspect('{{.State.Pid}}')
        with open('/proc/%s/status' % pid) as f:
            return dict(line.rstrip('\n').split(':\t', 1) for line in f if ':\t' in line)

    def kib(self, field):
        try:
            return int(self.proc_status()[field].split()[0])
        except (FileNotFoundError, ProcessLookupError, KeyError, ValueError):
            return None

    def log_text(self):
        return podman('logs', self.name, check=False).stdout + podman(
            'logs', self.name, check=False).stderr

    def log_tail(self, lines=80):
        return '\n'.join(self.log_text().splitlines()[-lines:])

    def remove(self):
        with open(self.log_path, 'w') as f:
            f.write(self.log_text())
        podman('rm', '-f', '--ignore', self.name, check=False)


def produce(kafka, table, schema_id, ids):
    """`created` changes of the rows ids, Confluent-framed; {id: producer report}."""
    prod = records.Producer(kafka.bootstrap)
    topic = 'perscom.perscom.%s' % table
    for rid in ids:
        value = records.encode(table, records.envelope(table, 'created', rid), schema_id)
        prod.send(topic, value, key=b'k%d' % rid, meta=rid)
    return {m['meta']: m for m in prod.flush(timeout=120)}


def delivered(receiver, hook, event):
    return [r for r in receiver.delivered(hook) if r.event == event]


def test_image_metadata(image):
    """The runtime stage as the Dockerfile says: numeric user, entrypoint, command, port,
    labels."""
    cfg = json.loads(podman('image', 'inspect', image).stdout)[0]
    conf = cfg['Config']
    assert conf['User'] == '65532:65532'
    assert conf['Entrypoint'] == ['perscom-bridge']
    assert conf['Cmd'] == ['run', '--config', '/etc/perscom-bridge/bridge.yaml']
    assert '9400/tcp' in conf['ExposedPorts']
    assert conf.get('StopSignal') in ('SIGTERM', '15')
    labels = cfg['Labels']
    assert labels['org.opencontainers.image.title'] == 'perscom-bridge'
    assert labels['org.opencontainers.image.licenses'] == 'MIT'
    assert labels['org.opencontainers.image.version'] == '0.1.0'
    version = podman('run', '--rm', '--read-only', '--cap-drop', 'ALL', image,
                     '--version').stdout
    assert version.startswith('perscom-bridge 0.1.0 (librdkafka 2.8.'), version


def test_image_delivers_stops_cleanly_and_resumes_without_redelivery(
        image, pod, figures, kafka, registry, receiver, workdir):
    # the topics the base's bridge.yaml subscribes to (pattern perscom\.perscom\..*)
    kafka.create_topics(['perscom.perscom.%s' % t for t in (RANKS, USERS)],
                        partitions=PARTITIONS)
    ids = {t: registry.register(records.schema_text(t)) for t in (RANKS, USERS)}

    conf = yaml.safe_load(pod.config_text)
    conf['kafka']['brokers'] = kafka.bootstrap
    conf['schema_registry']['url'] = registry.url
    for hook in conf['hooks']:
        hook['url'] = receiver.url(hook['name'])
        receiver.add_hook(hook['name'], SECRETS[hook['name']])
        assert hook['secret_file'].startswith(pod.secret_mount + '/')
    conf['egress'] = {'allow': ['127.0.0.1/32']}  # the receiver is on loopback
    admin_port = free_port()
    conf['admin']['listen'] = '127.0.0.1:%d' % admin_port
    group = conf['kafka']['group_id']
    topics = ['perscom.perscom.%s' % t for t in (RANKS, USERS)]
    assert 'POD_NAME' in pod.env_names

    ranks1 = produce(kafka, RANKS, ids[RANKS], range(1, 101))
    users1 = produce(kafka, USERS, ids[USERS], range(1, 51))
    box = Container(image, pod, os.path.join(workdir, 'image'), conf)
    try:
        t0 = time.monotonic()
        box.run()
        wait_until(lambda: box.assert_running() or http_get(admin_port, '/readyz')[0] == 200,
                   60, '/readyz 200')
        figures['start_to_ready_s'] = round(time.monotonic() - t0, 2)
        figures['rss_idle_mib'] = round(box.kib('VmRSS') / 1024, 1)

        # 1. a batch delivered, signatures valid
        wait_until(lambda: box.assert_running() or (
            len(delivered(receiver, 'discord', 'rankrecord.created')) >= 100 and
            len(delivered(receiver, 'reports', 'rankrecord.created')) >= 100 and
            len(delivered(receiver, 'reports', 'user.created')) >= 50), 90,
            'the first batch at both hooks')
        reqs = receiver.snapshot()
        assert reqs and all(r.sig_ok for r in reqs), 'a bad signature'
        assert {r.method for r in receiver.snapshot('discord')} == {'POST'}
        assert {r.method for r in receiver.snapshot('reports')} == {'GET'}
        assert {r.record_id for r in delivered(receiver, 'discord', 'rankrecord.created')} == \
            set(ranks1)
        assert {r.record_id for r in delivered(receiver, 'reports', 'user.created')} == \
            set(users1)
        assert not delivered(receiver, 'discord', 'user.created'), 'discord is not subscribed'

        # 2. admin endpoints, every metric the alerts use
        assert http_get(admin_port, '/healthz')[0] == 200
        status, body = http_get(admin_port, '/readyz')
        assert status == 200 and body.startswith('ok'), (status, body)
        status, metrics = http_get(admin_port, '/metrics')
        assert status == 200
        assert 'perscom_bridge_messages_total 150' in metrics
        assert 'perscom_bridge_partitions_assigned %d' % (2 * PARTITIONS) in metrics
        rules, err = cm.build(os.path.join(cm.DEPLOY, 'overlays', 'monitoring'))
        assert rules is not None, err
        used = set()
        for obj in rules:
            if obj['kind'] == 'PrometheusRule':
                for group_ in obj['spec']['groups']:
                    for rule in group_['rules']:
                        used |= {n for n in cm.metric_selectors(rule['expr'])
                                 if n.startswith('perscom_bridge_')}
        assert used, 'no perscom_bridge_ metric in the alerts'
        for name in sorted(used - cm.PLANNED_METRICS):
            assert '# TYPE %s ' % name in metrics, '%s is not in /metrics' % name

        # 3. the container as the pod runs it: PID 1, uid 65532, no capabilities, read-only
        status = box.proc_status()
        assert status['NSpid'].split()[-1] == '1', status['NSpid']
        assert status['Uid'].split()[0] == str(pod.run_as)
        assert int(status['CapEff'], 16) == 0
        assert status['NoNewPrivs'].strip() == '1'
        assert box.inspect('{{.HostConfig.ReadonlyRootfs}}') == 'true'

        # 4. static membership: the group member's instance id is the pod name
        admin = kafka.admin()
        desc = admin.describe_consumer_groups([group])[group].result(timeout=20)
        assert [m.group_instance_id for m in desc.members] == [POD]

        # 5. SIGTERM (podman stop): exit 0, everything delivered committed
        wait_until(lambda: kafka.fully_committed(group, topics), 30, 'group fully committed')
        took = box.stop(timeout=pod.grace_s)
        assert box.inspect('{{.State.ExitCode}}') == '0', box.log_tail()
        assert took < pod.grace_s, 'stop took %.1f s' % took
        assert 'stopped:' in box.log_text()
        figures['stop_s'] = round(took, 2)
        assert kafka.fully_committed(group, topics)
        # a static member does not leave the group when it stops: the broker keeps its
        # partitions for it until session.timeout.ms, so a quick restart gets them back
        desc = admin.describe_consumer_groups([group])[group].result(timeout=20)
        assert [m.group_instance_id for m in desc.members] == [POD], desc.members

        # 6. restart: new changes delivered, nothing committed before delivered again
        seen = len(receiver.snapshot())
        ranks2 = produce(kafka, RANKS, ids[RANKS], range(101, 201))
        t0 = time.monotonic()
        box.start()
        wait_until(lambda: box.assert_running() or http_get(admin_port, '/readyz')[0] == 200,
                   60, '/readyz 200 after the restart')
        figures['restart_to_ready_s'] = round(time.monotonic() - t0, 2)
        wait_until(lambda: box.assert_running() or (
            {r.record_id for r in delivered(receiver, 'discord', 'rankrecord.created')} >=
            set(ranks2) and
            {r.record_id for r in delivered(receiver, 'reports', 'rankrecord.created')} >=
            set(ranks2)), 90, 'the second batch at both hooks')
        wait_until(lambda: kafka.fully_committed(group, topics), 30, 'group fully committed')
        time.sleep(2)
        after = receiver.snapshot()[seen:]
        again = sorted({(r.hook, r.event, r.record_id) for r in after
                        if r.event == 'user.created' or r.record_id not in ranks2})
        assert not again, 'delivered again after the restart: %s' % again[:10]
        assert all(r.sig_ok for r in after)
        assert len(after) == 2 * len(ranks2), 'expected one request per hook and change'

        # 7. RSS under a backlog, against the StatefulSet's memory limit
        n_before = len(receiver.snapshot())
        produce(kafka, RANKS, ids[RANKS], range(1001, 1001 + LOAD))
        peak = [0]

        def all_in():
            box.assert_running()
            peak[0] = max(peak[0], box.kib('VmHWM') or 0)
            return len(receiver.snapshot()) - n_before >= 2 * LOAD
        t0 = time.monotonic()
        wait_until(all_in, 300, 'the %d-event backlog at both hooks' % LOAD, interval=0.1)
        took = time.monotonic() - t0
        wait_until(lambda: kafka.fully_committed(group, topics), 60, 'group fully committed')
        peak_mib = max(peak[0], box.kib('VmHWM') or 0) / 1024
        figures['backlog_events'] = LOAD
        figures['backlog_requests_per_s'] = round(2 * LOAD / took)
        figures['rss_peak_mib'] = round(peak_mib, 1)
        figures['memory_limit_mib'] = pod.memory_limit_mib
        assert peak_mib < pod.memory_limit_mib, 'peak RSS %.1f MiB over the limit' % peak_mib
        took = box.stop(timeout=pod.grace_s)
        assert box.inspect('{{.State.ExitCode}}') == '0', box.log_tail()
    except Exception:
        print(box.log_tail(150))
        raise
    finally:
        box.remove()
