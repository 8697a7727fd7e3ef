"""Slow and idle clients against an HTTP port, run as its own process by test_admin.py:

    python3 slowloris.py PORT SLOW IDLE INTERVAL_S SECONDS

SLOW connections send a request head one byte every INTERVAL_S (it never ends: after the
request line come header bytes for ever); IDLE connections send nothing. A connection the
server closes is opened again after INTERVAL_S, as a real attacker would. All connections are
started at once, without waiting for the server to accept them. Prints `ready` once every
connection has been started and has had time to send its first bytes, then one JSON line of
counts (connects, closed by the server, bytes sent, open at the end) when SECONDS have passed
or stdin closes.
"""
import errno
import json
import resource
import select
import socket
import sys
import time

HEAD = b'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '


class Conn:
    def __init__(self, idle):
        self.idle = idle
        self.sock = None
        self.sent = 0
        self.next_send = 0.0
        self.reopen_at = 0.0


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            sys.exit('slowloris: needs %d descriptors, the hard limit is %d' % (need, hard))
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def main():
    port, slow, idle = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    interval, seconds = float(sys.argv[4]), float(sys.argv[5])
    raise_nofile(slow + idle + 64)
    conns = [Conn(False) for _ in range(slow)] + [Conn(True) for _ in range(idle)]
    stats = {'connects': 0, 'closed_by_server': 0, 'bytes_sent': 0}
    poller = select.poll()
    by_fd = {}

    def open_conn(c, now):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rc = s.connect_ex(('127.0.0.1', port))
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            c.reopen_at = now + interval
            return
        c.sock, c.sent, c.next_send = s, 0, now
        by_fd[s.fileno()] = c
        poller.register(s, select.POLLIN)
        stats['connects'] += 1

    def close_conn(c, now):
        poller.unregister(c.sock)
        del by_fd[c.sock.fileno()]
        c.sock.close()
        c.sock = None
        c.reopen_at = now + interval
        stats['closed_by_server'] += 1

    start = time.monotonic()
    for c in conns:
        open_conn(c, start)
    ready_at = start + 2 * interval
    announced = False
    while time.monotonic() - start < seconds:
        now = time.monotonic()
        if not announced and now >= ready_at:
            print('ready', flush=True)
            announced = True
        for c in conns:
            if c.sock is None:
                if now >= c.reopen_at:
                    open_conn(c, now)
                continue
            if c.idle or now < c.next_send:
                continue
            data = HEAD[c.sent:c.sent + 1] if c.sent < len(HEAD) else b'a'
            try:
                c.sock.send(data)
                c.sent += 1
                stats['bytes_sent'] += 1
                c.next_send = now + interval
            except BlockingIOError:
                c.next_send = now + 0.01  # still connecting
            except OSError:
                close_conn(c, now)
        for fd, _ in poller.poll(10):
            c = by_fd.get(fd)
            if c is None:
                continue
            try:
                data = c.sock.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b''
            if not data:
                close_conn(c, time.monotonic())
        if select.select([sys.stdin], [], [], 0)[0] and not sys.stdin.read(1):
            break
    stats['open_at_end'] = sum(1 for c in conns if c.sock is not None)
    print(json.dumps(stats), flush=True)


if __name__ == '__main__':
    main()
