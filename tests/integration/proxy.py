"""A tiny loopback HTTP proxy for the tests: forwards absolute-form requests (http:// targets)
and tunnels CONNECT (https:// targets), recording what it was asked.

Each recorded request is a dict {'method', 'target', 'headers' (lower-case names)}: for a
CONNECT, the headers are those of the CONNECT request itself, which is all a proxy sees of an
https request.
"""
import socket
import socketserver
import threading
import urllib.parse


def _read_head(rfile):
    """(request line, {name: value}) of the next request, or (None, None) at end of stream."""
    line = rfile.readline(65536)
    if not line:
        return None, None
    headers = {}
    while True:
        h = rfile.readline(65536)
        if h in (b'\r\n', b'\n', b''):
            break
        name, _, value = h.decode('latin-1').partition(':')
        headers[name.strip().lower()] = value.strip()
    return line.decode('latin-1').rstrip('\r\n'), headers


def _pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class Proxy:
    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                while True:
                    line, headers = _read_head(self.rfile)
                    if line is None:
                        return
                    method, target, _ = line.split(' ', 2)
                    with proxy.lock:
                        proxy.requests.append({'method': method, 'target': target,
                                               'headers': headers})
                    if method == 'CONNECT':
                        self._tunnel(target)
                        return
                    if not self._forward(method, target, headers):
                        return

            def _tunnel(self, target):
                host, _, port = target.rpartition(':')
                upstream = socket.create_connection((host, int(port)), timeout=10)
                self.wfile.write(b'HTTP/1.1 200 Connection established\r\n\r\n')
                self.wfile.flush()
                t = threading.Thread(target=_pipe, args=(upstream, self.connection),
                                     daemon=True)
                t.start()
                _pipe(self.connection, upstream)
                t.join(10)
                upstream.close()

            def _forward(self, method, target, headers):
                url = urllib.parse.urlsplit(target)
                length = int(headers.get('content-length') or 0)
                body = self.rfile.read(length) if length else b''
                path = url.path + ('?' + url.query if url.query else '')
                out = ['%s %s HTTP/1.1' % (method, path or '/')]
                for name, value in headers.items():
                    if name not in ('proxy-connection', 'connection'):
                        out.append('%s: %s' % (name, value))
                out.append('connection: close')
                upstream = socket.create_connection((url.hostname, url.port or 80), timeout=10)
                upstream.sendall(('\r\n'.join(out) + '\r\n\r\n').encode('latin-1') + body)
                response = b''
                while True:
                    data = upstream.recv(65536)
                    if not data:
                        break
                    response += data
                upstream.close()
                self.wfile.write(response)
                self.wfile.flush()
                return True

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(('127.0.0.1', 0), Handler)
        self.port = self.server.server_address[1]
        self.url = 'http://127.0.0.1:%d' % self.port

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True, name='proxy').start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def seen(self, what):
        """The recorded requests whose target contains `what`."""
        with self.lock:
            return [r for r in self.requests if what in r['target']]
