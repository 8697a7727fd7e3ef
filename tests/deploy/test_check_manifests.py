"""The consistency checks of check_manifests.py catch what they are for: each case breaks one
thing in a real kustomize build of deploy/ and expects exactly that check to fail; the
unbroken builds pass."""
import copy
import os

import pytest
import yaml

from . import check_manifests as cm

BRIDGE = os.path.abspath(os.environ.get('PERSCOM_BRIDGE_BIN',
                                        os.path.join(cm.REPO, 'build', 'perscom-bridge')))


@pytest.fixture(scope='module')
def builds():
    if not os.access(BRIDGE, os.X_OK):
        pytest.fail('%s is not an executable: build first (or set PERSCOM_BRIDGE_BIN)' % BRIDGE)
    result = {}
    for name, path in cm.targets().items():
        objects, err = cm.build(path)
        assert objects is not None, 'kustomize build %s: %s' % (name, err)
        result[name] = objects
    return result


def run_checks(objects, name='case'):
    report = cm.Report(quiet=True)
    cm.check_build(name, objects, report, bridge_bin=BRIDGE, docker=cm.dockerfile_facts())
    return report


def find(objects, kind):
    return next(o for o in objects if o['kind'] == kind)


def container(objects):
    return find(objects, 'StatefulSet')['spec']['template']['spec']['containers'][0]


def edit_config(objects, change):
    cmap = find(objects, 'ConfigMap')
    conf = yaml.safe_load(cmap['data']['bridge.yaml'])
    change(conf)
    cmap['data']['bridge.yaml'] = yaml.safe_dump(conf, sort_keys=False)


def test_every_build_passes(builds):
    assert set(builds) >= {'base', 'overlays/monitoring', 'overlays/autoscaling'}
    for name, objects in builds.items():
        report = run_checks(objects, name)
        assert report.failed == [], '%s: %s' % (name, report.failed)
        assert len(report.passed) >= 40


def set_path(obj, path, value):
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


def _pod_labels(o):
    find(o, 'StatefulSet')['spec']['template']['metadata']['labels'][
        'app.kubernetes.io/instance'] = 'other'


def _probe_port(o):
    container(o)['readinessProbe']['httpGet']['port'] = 9401


def _listen(o):
    edit_config(o, lambda c: c['admin'].update(listen='0.0.0.0:9500'))


def _grace_period(o):
    find(o, 'StatefulSet')['spec']['template']['spec']['terminationGracePeriodSeconds'] = 20


def _shutdown_grace(o):
    edit_config(o, lambda c: c['delivery'].update(shutdown_grace_ms=25000))


def _secret_item(o):
    vols = find(o, 'StatefulSet')['spec']['template']['spec']['volumes']
    secret = next(v for v in vols if 'secret' in v)
    secret['secret']['items'] = secret['secret']['items'][:1]


def _bad_config(o):
    edit_config(o, lambda c: c['delivery'].update(retries=3))


def _env_reference(o):
    edit_config(o, lambda c: c['kafka']['properties'].update({'sasl.password': '${KAFKA_PW}'}))


def _read_only(o):
    container(o)['securityContext']['readOnlyRootFilesystem'] = False


def _run_as(o):
    find(o, 'StatefulSet')['spec']['template']['spec']['securityContext']['runAsUser'] = 1000


def _pod_name(o):
    container(o)['env'] = []


def _replicas(o):
    find(o, 'StatefulSet')['spec']['replicas'] = 9


def _memory(o):
    container(o)['resources']['limits']['memory'] = '120Mi'


def _buffered(o):
    edit_config(o, lambda c: c['delivery'].update(max_buffered_bytes=256 * 2**20))


def _pdb_selector(o):
    find(o, 'PodDisruptionBudget')['spec']['selector']['matchLabels'] = {'app': 'x'}


def _service_port(o):
    find(o, 'Service')['spec']['ports'][0]['targetPort'] = 8080


def _config_path(o):
    container(o)['args'] = ['run', '--config', '/etc/bridge.yaml']


def _max_replicas(o):
    find(o, 'ScaledObject')['spec']['maxReplicaCount'] = 12


def _keda_group(o):
    find(o, 'ScaledObject')['spec']['triggers'][0]['metadata']['consumerGroup'] = 'other'


def _unknown_metric(o):
    rules = find(o, 'PrometheusRule')['spec']['groups'][0]['rules']
    rules[0]['expr'] = 'perscom_bridge_hooks_probing == 1'


def _bad_promql(o):
    rules = find(o, 'PrometheusRule')['spec']['groups'][0]['rules']
    rules[1]['expr'] = 'sum by (hook (rate(perscom_bridge_attempts_failed_total[5m]))'


def _servicemonitor_port(o):
    find(o, 'ServiceMonitor')['spec']['endpoints'][0]['port'] = 'metrics'


CASES = [
    ('base', _pod_labels, 'selector matches its pod labels'),
    ('base', _pod_labels, 'Service perscom-bridge selects the pods'),
    ('base', _probe_port, 'readinessProbe port is admin.listen'),
    ('base', _listen, 'livenessProbe port is admin.listen\'s 9500'),
    ('base', _grace_period, 'terminationGracePeriodSeconds 20 >'),
    ('base', _shutdown_grace, 'shutdown_grace_ms 25000 ms'),
    ('base', _secret_item, 'hook reports secret_file'),
    ('base', _secret_item, 'passes check-config'),
    ('base', _bad_config, 'passes check-config'),
    ('base', _env_reference, '${KAFKA_PW} in bridge.yaml is set in the container'),
    ('base', _read_only, 'securityContext readOnlyRootFilesystem'),
    ('base', _run_as, 'runAsUser is the Dockerfile\'s USER'),
    ('base', _pod_name, 'POD_NAME comes from metadata.name'),
    ('base', _replicas, 'replicas 9 <= 8 partitions'),
    ('base', _memory, 'memory limit 120 MiB >= 1.5 x'),
    ('base', _buffered, 'max_buffered_bytes 256 MiB'),
    ('base', _pdb_selector, 'PodDisruptionBudget selects the pods'),
    ('base', _service_port, 'Service port admin targets'),
    ('base', _config_path, 'is the ConfigMap key bridge.yaml'),
    ('overlays/autoscaling', _max_replicas, 'maxReplicaCount 12 <= 8 partitions'),
    ('overlays/autoscaling', _keda_group, 'KEDA consumerGroup is kafka.group_id'),
    ('overlays/monitoring', _unknown_metric, 'alert PerscomBridgeHookProbing'),
    ('overlays/monitoring', _bad_promql, 'alert PerscomBridgeHookFailing does not parse'),
    ('overlays/monitoring', _servicemonitor_port, 'endpoint port metrics is a Service port'),
]


@pytest.mark.parametrize('target,breaker,expect', CASES,
                         ids=['%s-%s' % (t.split('/')[-1], b.__name__.strip('_'))
                              for t, b, _ in CASES])
def test_a_broken_manifest_fails_its_check(builds, target, breaker, expect):
    objects = copy.deepcopy(builds[target])
    breaker(objects)
    report = run_checks(objects, target)
    assert any(expect in line for line in report.failed), (
        'expected a failure containing %r; failed: %s' % (expect, report.failed))


def test_custom_resources_with_unknown_keys_fail(builds):
    objects = copy.deepcopy(builds['overlays/autoscaling'])
    find(objects, 'ScaledObject')['spec']['maxReplicas'] = 3
    report = cm.Report(quiet=True)
    cm.validate_custom('case', [o for o in objects if not cm.is_builtin(o)], report)
    assert any('ScaledObject/perscom-bridge' in f and '.spec.maxReplicas' in f
               for f in report.failed), report.failed
    assert any('ServiceMonitor/perscom-bridge' in p for p in report.passed)


def test_kubernetes_objects_with_unknown_keys_fail(builds):
    objects = copy.deepcopy(builds['base'])
    find(objects, 'StatefulSet')['spec']['template']['spec']['containers'][0]['probe'] = {}
    report = cm.Report(quiet=True)
    cm.validate_builtin('case', [o for o in objects if cm.is_builtin(o)], report)
    assert len(report.failed) == 1 and "'probe' was unexpected" in report.failed[0], (
        report.failed)
