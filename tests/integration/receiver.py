"""A local webhook receiver: records every request and checks its Signature.

HTTP/1.1 with keep-alive (ThreadingHTTPServer, one thread per connection). Every request is
recorded, failed attempts too: path, method, query, headers, body bytes, arrival time, the
status it was answered with, and whether the Signature matched. A POST's Signature must be the
lowercase hex HMAC-SHA256 of the body with the hook's secret; a GET carries the HMAC of the JSON
payload, which the query string does not let a receiver rebuild, so for GET only its form
(64 lowercase hex digits) is checked.

A hook may bring its own check instead (add_hook(name, secret, verify=...): e.g. Standard
Webhooks). With an ssl.SSLContext the receiver speaks https; each request then records the
common name of the client certificate it came with (mTLS), or None.

Behaviour per path: answer a given status (default 204), optionally after a delay, optionally
only after the first N requests were answered 2xx ("ok_first"), with extra response headers
(e.g. Retry-After), and optionally only until a given time ("until": a request arriving at or
after it is answered 204 at once, so a fault can end on schedule), optionally per request
("decide": a callable(Request) returning the status for that request, or None for the
behaviour's own).

The receiver also counts the requests it is serving at once per hook (from the arrival of the
request to the start of the answer, so that a request the client sends once it has an answer
never overlaps that answer's): max_active(hook) is the most there have been, which shows
whether a hook's requests overlap in flight.
"""
import hashlib
import hmac
import http.server
import ssl
import json
import re
import threading
import time
import urllib.parse

SIG_RE = re.compile(r'^[0-9a-f]{64}$')


class Request:
    __slots__ = ('path', 'method', 'query', 'headers', 'body', 'time', 'status', 'sig_ok',
                 'hook', 'seq', 'peer')

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)

    @property
    def ok(self):
        return 200 <= self.status < 300

    @property
    def signature(self):
        return self.headers.get('signature')

    def payload(self):
        """The decoded payload: the JSON body (POST) or the parsed query string (GET, flat:
        {'event': ..., 'data[id]': ...})."""
        if self.method == 'GET':
            return {k: v[0] for k, v in urllib.parse.parse_qs(self.query,
                                                              keep_blank_values=True).items()}
        return json.loads(self.body)

    @property
    def event(self):
        return self.payload().get('event')

    @property
    def record_id(self):
        p = self.payload()
        if self.method == 'GET':
            return int(p['data[id]'])
        return p['data']['id']


def _peer_name(connection):
    """The common name of the client certificate of a TLS connection, else None."""
    if not isinstance(connection, ssl.SSLSocket):
        return None
    cert = connection.getpeercert()
    if not cert:
        return None
    for rdn in cert.get('subject', ()):
        for key, value in rdn:
            if key == 'commonName':
                return value
    return None


class Behaviour:
    def __init__(self, status=204, delay=0.0, ok_first=None, body=b'', headers=None,
                 until=None, decide=None):
        self.status = status
        self.decide = decide  # callable(Request) -> status, or None for `status`
        self.delay = delay
        self.ok_first = ok_first
        self.body = body
        self.headers = dict(headers or {})  # extra response headers
        self.until = until  # time.time() after which the fault is over (204, no delay)


class Receiver:
    def __init__(self, hooks=None, host='127.0.0.1', port=0, ssl_context=None):
        """hooks: {name: secret}; a hook is served at /<name>. ssl_context: serve https."""
        self.secrets = {}
        self.verifiers = {}
        self.behaviours = {}
        self.requests = []
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.listeners = []  # callables(Request), called as each request is answered
        self.active = {}      # hook -> requests being served now
        self.active_max = {}  # hook -> the most served at once
        for name, secret in (hooks or {}).items():
            self.add_hook(name, secret)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'
            # Headers and body go out in two writes: without TCP_NODELAY the body waits for
            # the client's delayed ACK (40 ms per request with a body).
            disable_nagle_algorithm = True

            def log_message(self, fmt, *args):
                pass

            def _handle(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                receiver._serve(self, body)

            do_POST = _handle
            do_GET = _handle
            do_PUT = _handle

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 512  # the default 5 drops SYNs when many lanes connect at once

        self.server = Server((host, port), Handler)
        self.scheme = 'http'
        if ssl_context is not None:
            # a client that fails the handshake (no or a wrong certificate) is dropped in
            # accept() and never reaches a handler: it is not recorded
            self.server.socket = ssl_context.wrap_socket(self.server.socket, server_side=True)
            self.scheme = 'https'
        self.port = self.server.server_address[1]
        self.thread = None

    def add_hook(self, name, secret, verify=None):
        """verify: callable(method, headers, body, query) -> bool replacing the Signature
        check of this hook."""
        self.secrets[name] = secret.encode() if isinstance(secret, str) else secret
        if verify is not None:
            self.verifiers[name] = verify

    def url(self, name, host='127.0.0.1'):
        return '%s://%s:%d/%s' % (self.scheme, host, self.port, name)

    def set_behaviour(self, name, **kw):
        with self.lock:
            self.behaviours[name] = Behaviour(**kw)

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       name='receiver')
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def _serve(self, handler, body):
        split = urllib.parse.urlsplit(handler.path)
        hook = split.path.strip('/')
        headers = {k.lower(): v for k, v in handler.headers.items()}
        secret = self.secrets.get(hook)
        sig = headers.get('signature', '')
        verify = self.verifiers.get(hook)
        if verify is not None:
            sig_ok = bool(verify(handler.command, headers, body, split.query))
        elif handler.command == 'POST' and secret is not None:
            expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
            sig_ok = hmac.compare_digest(expected, sig)
        else:
            sig_ok = bool(SIG_RE.match(sig)) and secret is not None
        arrived = time.time()
        with self.lock:
            b = self.behaviours.get(hook, Behaviour())
            self.active[hook] = self.active.get(hook, 0) + 1
            self.active_max[hook] = max(self.active_max.get(hook, 0), self.active[hook])
        counted = [True]  # in self.active until the answer starts (or the handler fails)
        try:
            self._answer(handler, hook, split, headers, body, sig_ok, arrived, b, counted)
        finally:
            self._uncount(hook, counted)

    def _uncount(self, hook, counted):
        with self.lock:
            if counted[0]:
                counted[0] = False
                self.active[hook] -= 1

    def _answer(self, handler, hook, split, headers, body, sig_ok, arrived, b, counted):
        if b.until is not None and arrived >= b.until:
            b = Behaviour()
        if b.delay:
            time.sleep(b.delay)
        req = Request(path=split.path, method=handler.command, query=split.query,
                      headers=headers, body=body, time=arrived, status=0, sig_ok=sig_ok,
                      hook=hook, seq=0, peer=_peer_name(handler.connection))
        # Recorded before the answer is sent, so whatever the bridge saw as delivered is
        # already in the record when the bridge acts on it (commits).
        with self.cond:
            status = b.status
            if b.ok_first is not None:
                done = sum(1 for r in self.requests if r.hook == hook and r.ok)
                status = 204 if done < b.ok_first else b.status
            if b.decide is not None:
                decided = b.decide(req)
                status = status if decided is None else decided
            if not sig_ok:
                status = 401
            req.status = status
            req.seq = len(self.requests)
            self.requests.append(req)
            self.cond.notify_all()
        for listener in list(self.listeners):
            listener(req)  # before answering: the order of calls is the order of arrival
        reply = b.body if status != 204 else b''
        # no longer counted once the answer starts: the bridge may start its next request as
        # soon as it has the answer, before this thread would get past the flush
        self._uncount(hook, counted)
        try:
            handler.send_response(status)
            handler.send_header('Content-Length', str(len(reply)))
            if not 200 <= status < 300:
                for name, value in b.headers.items():
                    handler.send_header(name, value)
            handler.end_headers()
            if reply:
                handler.wfile.write(reply)
            handler.wfile.flush()
        except OSError:
            with self.cond:
                req.status = -1  # the client went away: not delivered

    # --- queries ---------------------------------------------------------------------------

    def snapshot(self, hook=None):
        with self.lock:
            return [r for r in self.requests if hook is None or r.hook == hook]

    def delivered(self, hook=None):
        return [r for r in self.snapshot(hook) if r.ok]

    def max_active(self, hook):
        """The most requests of hook served at once so far."""
        with self.lock:
            return self.active_max.get(hook, 0)

    def wait_for(self, predicate, timeout, what):
        """Waits until predicate(list of all requests) is true; AssertionError after timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate(list(self.requests)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError('timed out after %.0f s waiting for %s (%d requests '
                                         'received)' % (timeout, what, len(self.requests)))
                self.cond.wait(min(left, 0.5))
