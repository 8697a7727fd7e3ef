"""A tiny Confluent Schema Registry stand-in: GET /schemas/ids/{id} -> {"schema": "..."}.

Schemas are registered in-process with register(schema_json_text) -> id. Every lookup is
counted, so a test can see the bridge's cache at work.
"""
import http.server
import json
import re
import threading

_PATH = re.compile(r'^/schemas/ids/(\d+)/?$')


class SchemaRegistry:
    def __init__(self, host='127.0.0.1', port=0):
        self.schemas = {}
        self.by_text = {}
        self.lookups = []
        self.fail_status = None  # when set, every lookup is answered with this status
        self.lock = threading.Lock()
        registry = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, fmt, *args):
                pass

            def do_GET(self):
                m = _PATH.match(self.path.split('?', 1)[0])
                with registry.lock:
                    registry.lookups.append(self.path)
                    schema = registry.schemas.get(int(m.group(1))) if m else None
                    fail = registry.fail_status
                if fail is not None:
                    status = fail
                    body = json.dumps({'error_code': fail * 100, 'message': 'unavailable'})
                elif schema is None:
                    status = 404
                    body = json.dumps({'error_code': 40403, 'message': 'Schema not found'})
                else:
                    status = 200
                    body = json.dumps({'schema': schema})
                data = body.encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/vnd.schemaregistry.v1+json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

        self.server = Server((host, port), Handler)
        self.port = self.server.server_address[1]
        self.url = 'http://127.0.0.1:%d' % self.port

    def register(self, schema_text):
        """Returns the id of schema_text, registering it on first sight (ids start at 1)."""
        with self.lock:
            if schema_text not in self.by_text:
                new_id = len(self.schemas) + 1
                self.schemas[new_id] = schema_text
                self.by_text[schema_text] = new_id
            return self.by_text[schema_text]

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True,
                         name='schema-registry').start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
