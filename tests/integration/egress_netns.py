"""Runs `perscom-bridge test-hook` inside a fresh network namespace, with HTTP listeners on the
addresses the hooks point at, and reports what happened (tests/integration/test_egress.py).

Started as `unshare -n python3 egress_netns.py` (or `unshare -rn` when not root): the
namespace has no route anywhere and only `lo`, so a broken guard cannot send a packet off this
machine. Inside it, `lo` is brought up and carries every address a listener needs (10.0.0.1,
169.254.169.254, ...): a connection the guard lets through reaches a listener here, and is
counted, so a guard that fails to refuse is seen, not hidden by a missing route.

Input (stdin, JSON): {"binary": path, "listen": [[address, port], ...],
                      "runs": [{"config": path, "hook": name}, ...]}
Output (stdout, JSON): {"runs": [{"rc", "stdout", "stderr"}], "accepted": {"address port": n}}
"""
import http.server
import ipaddress
import json
import socket
import subprocess
import sys
import threading


def fail(message):
    print(json.dumps({'error': message}))
    sys.exit(1)


def ip(*args):
    proc = subprocess.run(['ip'] + list(args), capture_output=True, text=True)
    if proc.returncode != 0:
        fail('ip %s: %s' % (' '.join(args), proc.stderr.strip()))
    return proc.stdout


def check_empty_namespace():
    """Refuses to run anywhere but in a namespace of its own: only lo, no route."""
    # /proc/self/net is this namespace's (/sys/class/net may be the mount of the host's)
    with open('/proc/self/net/dev') as f:
        links = sorted(line.split(':')[0].strip() for line in f.readlines()[2:])
    if links != ['lo']:
        fail('not in a fresh network namespace: interfaces %s' % links)
    for family in ('-4', '-6'):
        routes = ip(family, 'route', 'show', 'table', 'main').strip()
        if routes:
            fail('not in a fresh network namespace: routes %r' % routes)


class Counting(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, port, counts, key):
        self.address_family = (socket.AF_INET6 if ipaddress.ip_address(address).version == 6
                               else socket.AF_INET)
        self.counts = counts
        self.key = key
        super().__init__((address, port), Handler)

    def verify_request(self, request, client_address):
        self.counts[self.key] += 1
        return True


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length') or 0))
        self.send_response(204)
        self.end_headers()

    do_GET = do_POST


def main():
    spec = json.load(sys.stdin)
    check_empty_namespace()
    ip('link', 'set', 'lo', 'up')
    for address, _ in spec['listen']:
        addr = ipaddress.ip_address(address)
        if not addr.is_loopback:
            # an IPv6 address starts "tentative" (duplicate address detection) and cannot be
            # bound until that ends, some milliseconds later: bind() failed with EADDRNOTAVAIL
            # in about 1 run of 20 (17 of 300 bare binds). nodad makes it usable at once.
            nodad = ['nodad'] if addr.version == 6 else []
            ip('addr', 'add', '%s/%d' % (address, addr.max_prefixlen), 'dev', 'lo', *nodad)
    counts = {}
    servers = []
    for address, port in spec['listen']:
        key = '%s %d' % (address, port)
        counts[key] = 0
        try:
            server = Counting(address, port, counts, key)
        except OSError as e:
            fail('listening on %s port %d: %s' % (address, port, e))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    runs = []
    for run in spec['runs']:
        proc = subprocess.run([spec['binary'], 'test-hook', '--config', run['config'],
                               '--hook', run['hook']], capture_output=True, text=True,
                              timeout=60)
        runs.append({'rc': proc.returncode, 'stdout': proc.stdout, 'stderr': proc.stderr})
    for server in servers:
        server.shutdown()
    print(json.dumps({'runs': runs, 'accepted': counts}))


if __name__ == '__main__':
    main()
