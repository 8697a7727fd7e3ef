"""Runs `perscom-bridge run --config FILE` as a subprocess with a generated configuration."""
import os
import signal
import subprocess
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def bridge_bin():
    path = os.environ.get('PERSCOM_BRIDGE_BIN', os.path.join(REPO, 'build', 'perscom-bridge'))
    return os.path.abspath(path)


# The tests' receivers listen on loopback, which the bridge's outbound request guard refuses
# unless the configuration allows it (docs/configuration.md, "egress"): every generated
# configuration opts in to exactly these, unless a test says otherwise.
LOOPBACK_ALLOW = ('127.0.0.1/32', '::1/128')


def make_config(brokers, group_id, topics, hooks, registry_url=None, delivery=None,
                properties=None, log_level='debug', extra=None, egress_allow=LOOPBACK_ALLOW):
    """The configuration mapping (see docs/configuration.md).

    topics: list of dicts as in the file ({'pattern': ..., 'format': ...} or {'name': ...});
    hooks: list of dicts {name, url, secret, events, [method, timeout_ms, retry]}, or None
    for no `hooks` key;
    extra: further top-level sections, e.g. {'dead_letter': {'topic': ...}};
    egress_allow: egress.allow, the CIDR prefixes the bridge may reach besides public
    addresses (loopback by default: the tests' receivers); None or () for none.
    """
    props = {'auto.offset.reset': 'earliest'}
    props.update(properties or {})
    conf = {
        'kafka': {'brokers': brokers, 'group_id': group_id, 'properties': props},
        'topics': topics,
        'delivery': dict({'backoff_initial_ms': 100, 'backoff_max_ms': 1000,
                          'commit_interval_ms': 500, 'shutdown_grace_ms': 5000},
                         **(delivery or {})),
        'log_level': log_level,
    }
    if hooks is not None:  # None: no hooks key (with table_hooks every hook may be a row's)
        conf['hooks'] = hooks
    if registry_url:
        conf['schema_registry'] = {'url': registry_url}
    if egress_allow:
        conf['egress'] = {'allow': list(egress_allow)}
    conf.update(extra or {})
    return conf


class Bridge:
    """One bridge process. Its stdout and stderr go to <workdir>/bridge-<n>.log."""

    def __init__(self, workdir, config, binary=None, env=None):
        self.workdir = workdir
        self.config = config
        self.env = dict(env or {})  # added to the environment, e.g. {'POD_NAME': 'a'}
        self.binary = os.path.abspath(binary or bridge_bin())
        self.config_path = os.path.join(workdir, 'bridge.yaml')
        self.proc = None
        self.runs = 0
        self.log_path = None
        os.makedirs(workdir, exist_ok=True)
        with open(self.config_path, 'w') as f:
            yaml.safe_dump(config, f, sort_keys=False, default_flow_style=False)

    def start(self):
        assert self.proc is None or self.proc.poll() is not None, 'bridge already running'
        if not os.access(self.binary, os.X_OK):
            raise AssertionError('bridge binary %s not found or not executable (build it, or '
                                 'set PERSCOM_BRIDGE_BIN)' % self.binary)
        self.runs += 1
        self.log_path = os.path.join(self.workdir, 'bridge-%d.log' % self.runs)
        log = open(self.log_path, 'wb')
        env = dict(os.environ, **self.env) if self.env else None
        self.proc = subprocess.Popen([self.binary, 'run', '--config', self.config_path],
                                     stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.workdir, env=env)
        log.close()
        self.started_at = time.monotonic()
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def assert_running(self):
        if not self.running():
            raise AssertionError('the bridge exited with %s\n%s'
                                 % (self.proc.returncode if self.proc else None,
                                    self.log_tail()))

    def kill9(self):
        if self.running():
            self.proc.send_signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait(timeout=10)

    def terminate(self, timeout):
        """SIGTERM; returns (exit code, seconds until exit). Kills -9 and fails after timeout."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise AssertionError('the bridge did not exit within %.1f s of SIGTERM\n%s'
                                 % (timeout, self.log_tail()))
        return rc, time.monotonic() - t0

    def stop(self):
        """Cleanup: SIGTERM, then SIGKILL if it lingers."""
        if not self.running():
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill9()

    def proc_status(self, field):
        """A field of /proc/<pid>/status in KiB (VmHWM: peak resident set, VmRSS: now), or
        None when the process is gone."""
        try:
            with open('/proc/%d/status' % self.proc.pid) as f:
                for line in f:
                    if line.startswith(field + ':'):
                        return int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError, AttributeError):
            return None
        return None

    def log_text(self):
        """Everything this bridge logged, over all its runs."""
        parts = []
        for run in range(1, self.runs + 1):
            path = os.path.join(self.workdir, 'bridge-%d.log' % run)
            if os.path.exists(path):
                with open(path, 'rb') as f:
                    parts.append(f.read().decode(errors='replace'))
        return '\n'.join(parts)

    def log_tail(self, lines=80):
        if not self.log_path or not os.path.exists(self.log_path):
            return '(no bridge log)'
        with open(self.log_path, 'rb') as f:
            text = f.read().decode(errors='replace').splitlines()
        return '--- %s (last %d lines) ---\n%s' % (self.log_path, lines,
                                                    '\n'.join(text[-lines:]))
