"""A tiny schema registry stand-in, speaking two dialects over the same schemas and ids.

- Confluent: `GET /schemas/ids/{id}` -> {"schema": "..."} (what the bridge asks).
- Apicurio Registry v2 (`/apis/registry/v2/...`): what Apicurio's Kafka Connect converter
  (2.6, `io.apicurio.registry.utils.converter.AvroConverter`) calls to register and look up
  artifacts: `POST groups/{group}/artifacts` (content raw or as `application/create.extended+
  json`, `ifExists` FAIL / UPDATE / RETURN / RETURN_OR_UPDATE), `GET ids/contentIds/{id}`,
  `GET ids/globalIds/{id}`, their `/references`, artifact and version metadata, and
  `POST groups/{group}/artifacts/{id}/meta` (find a version by content).

A schema's id in the Confluent dialect is its Apicurio contentId: one id per distinct text,
starting at 1. The text is kept exactly as it was sent (byte for byte, decoded as UTF-8), so a
converter configured with `apicurio.registry.as-confluent=true` and
`apicurio.registry.use-id=contentId` writes ids the bridge resolves to the converter's own
schema text. Every version of an artifact also gets a globalId (its own sequence).

Schemas can also be registered in-process with register(schema_json_text) -> id. Every
Confluent lookup is counted (lookups), every Apicurio call recorded (apicurio_calls), and a
request to a path this stand-in does not implement is recorded in `unhandled` and answered
404, so a test can tell a missing endpoint from a missing schema.
"""
import datetime
import http.server
import json
import re
import threading
import urllib.parse

_PATH = re.compile(r'^/schemas/ids/(\d+)/?$')
APICURIO_BASE = '/apis/registry/v2'
_A_ARTIFACTS = re.compile(r'^/groups/([^/]+)/artifacts/?$')
_A_ARTIFACT_META = re.compile(r'^/groups/([^/]+)/artifacts/([^/]+)/meta/?$')
_A_ARTIFACT = re.compile(r'^/groups/([^/]+)/artifacts/([^/]+)/?$')
_A_VERSION_META = re.compile(r'^/groups/([^/]+)/artifacts/([^/]+)/versions/([^/]+)/meta/?$')
_A_VERSION = re.compile(r'^/groups/([^/]+)/artifacts/([^/]+)/versions/([^/]+)/?$')
_A_VERSIONS = re.compile(r'^/groups/([^/]+)/artifacts/([^/]+)/versions/?$')
_A_IDS = re.compile(r'^/ids/(contentIds|globalIds)/(\d+)(/references)?/?$')
_A_HASH = re.compile(r'^/ids/contentHashes/([0-9a-fA-F]+)(/references)?/?$')


def _now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


class _Version:
    __slots__ = ('group', 'artifact', 'version', 'global_id', 'content_id', 'type',
                 'created_on', 'references')

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)

    def meta(self, artifact_meta=False):
        m = {
            'groupId': self.group, 'id': self.artifact, 'version': self.version,
            'type': self.type, 'globalId': self.global_id, 'contentId': self.content_id,
            'state': 'ENABLED', 'createdOn': self.created_on, 'createdBy': '',
            'labels': [], 'properties': {}, 'references': list(self.references),
        }
        if artifact_meta:
            m['modifiedOn'] = self.created_on
            m['modifiedBy'] = ''
        return m


class SchemaRegistry:
    def __init__(self, host='127.0.0.1', port=0):
        self.schemas = {}          # contentId -> schema text
        self.by_text = {}          # schema text -> contentId
        self.lookups = []          # Confluent lookups (paths)
        self.apicurio_calls = []   # (method, path) of every Apicurio call
        self.unhandled = []        # (method, path) of requests to paths not implemented here
        self.artifacts = {}        # (group, artifact id) -> [_Version]
        self.versions_by_global = {}
        self.fail_status = None  # when set, every Confluent lookup is answered with this status
        self.lock = threading.Lock()
        registry = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, fmt, *args):
                pass

            def _reply(self, status, body, content_type):
                data = body if isinstance(body, bytes) else body.encode()
                self.send_response(status)
                self.send_header('Content-Type', content_type)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                length = int(self.headers.get('Content-Length') or 0)
                return self.rfile.read(length) if length else b''

            def _apicurio(self, method):
                status, body, ctype = registry._apicurio(method, self.path, self.headers,
                                                         self._body() if method != 'GET'
                                                         else b'')
                self._reply(status, body, ctype)

            def do_POST(self):
                if self.path.startswith(APICURIO_BASE + '/'):
                    return self._apicurio('POST')
                self._body()
                registry._unhandled('POST', self.path)
                self._reply(404, json.dumps({'error_code': 404, 'message': 'not implemented'}),
                            'application/json')

            def do_PUT(self):
                self._body()
                registry._unhandled('PUT', self.path)
                self._reply(404, json.dumps({'error_code': 404, 'message': 'not implemented'}),
                            'application/json')

            def do_GET(self):
                if self.path.startswith(APICURIO_BASE + '/'):
                    return self._apicurio('GET')
                m = _PATH.match(self.path.split('?', 1)[0])
                if not m:
                    registry._unhandled('GET', self.path)
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
                self._reply(status, body, 'application/vnd.schemaregistry.v1+json')

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

        self.server = Server((host, port), Handler)
        self.port = self.server.server_address[1]
        self.url = 'http://127.0.0.1:%d' % self.port
        self.apicurio_url = self.url + APICURIO_BASE

    def register(self, schema_text):
        """Returns the id (contentId) of schema_text, registering it on first sight (ids start
        at 1)."""
        with self.lock:
            return self._register_locked(schema_text)

    def _register_locked(self, schema_text):
        if schema_text not in self.by_text:
            new_id = len(self.schemas) + 1
            self.schemas[new_id] = schema_text
            self.by_text[schema_text] = new_id
        return self.by_text[schema_text]

    def _unhandled(self, method, path):
        with self.lock:
            self.unhandled.append((method, path))

    # --- Apicurio Registry v2 ------------------------------------------------------------

    def artifact_schemas(self):
        """{artifact id: [schema text of each version, oldest first]} (group ignored)."""
        with self.lock:
            return {a: [self.schemas[v.content_id] for v in vs]
                    for (g, a), vs in self.artifacts.items()}

    def _apicurio(self, method, raw_path, headers, body):
        split = urllib.parse.urlsplit(raw_path)
        path = split.path[len(APICURIO_BASE):]
        query = dict(urllib.parse.parse_qsl(split.query))
        with self.lock:
            self.apicurio_calls.append((method, raw_path))
            try:
                result = self._apicurio_locked(method, path, query, headers, body)
            except _NotFound as e:
                return 404, json.dumps({'error_code': 404, 'name': 'NotFoundException',
                                        'message': str(e)}), 'application/json'
            except _Conflict as e:
                return 409, json.dumps({'error_code': 409, 'name': 'ArtifactAlreadyExistsException',
                                        'message': str(e)}), 'application/json'
        if result is None:
            with self.lock:
                self.unhandled.append((method, raw_path))
            return 404, json.dumps({'error_code': 404, 'name': 'NotFoundException',
                                    'message': 'not implemented by the stand-in'}), \
                'application/json'
        status, obj = result
        if isinstance(obj, str):  # schema content
            return status, obj, 'application/json'
        return status, json.dumps(obj), 'application/json'

    def _apicurio_locked(self, method, path, query, headers, body):
        path = urllib.parse.unquote(path)
        if method == 'POST':
            m = _A_ARTIFACTS.match(path)
            if m:
                return self._create_artifact(m.group(1), query, headers, body)
            m = _A_ARTIFACT_META.match(path)
            if m:
                content, _refs = self._content(headers, body)
                cid = self.by_text.get(content)
                for v in reversed(self.artifacts.get((m.group(1), m.group(2)), [])):
                    if v.content_id == cid:
                        return 200, v.meta()
                raise _NotFound('no version of %s with that content' % m.group(2))
            m = _A_ARTIFACT.match(path) or _A_VERSIONS.match(path)
            if m:  # create a new version (updateArtifact / createArtifactVersion)
                content, refs = self._content(headers, body)
                return 200, self._add_version(m.group(1), m.group(2), content, refs,
                                              headers, query).meta()
            return None
        if method != 'GET':
            return None
        m = _A_IDS.match(path)
        if m:
            number = int(m.group(2))
            if m.group(1) == 'contentIds':
                if number not in self.schemas:
                    raise _NotFound('no content with id %d' % number)
                refs = []
                text = self.schemas[number]
            else:
                v = self.versions_by_global.get(number)
                if v is None:
                    raise _NotFound('no artifact version with global id %d' % number)
                refs = v.references
                text = self.schemas[v.content_id]
            return (200, list(refs)) if m.group(3) else (200, text)
        m = _A_VERSION_META.match(path)
        if m:
            return 200, self._version(m.group(1), m.group(2), m.group(3)).meta()
        m = _A_ARTIFACT_META.match(path)
        if m:
            return 200, self._version(m.group(1), m.group(2), 'latest').meta(True)
        m = _A_VERSION.match(path)
        if m:
            v = self._version(m.group(1), m.group(2), m.group(3))
            return 200, self.schemas[v.content_id]
        m = _A_ARTIFACT.match(path)
        if m:
            v = self._version(m.group(1), m.group(2), 'latest')
            return 200, self.schemas[v.content_id]
        return None

    def _content(self, headers, body):
        text = body.decode('utf-8')
        ctype = (headers.get('Content-Type') or '').split(';')[0].strip().lower()
        if ctype == 'application/create.extended+json':
            doc = json.loads(text)
            return doc['content'], doc.get('references') or []
        return text, []

    def _version(self, group, artifact, version):
        vs = self.artifacts.get((group, artifact))
        if not vs:
            raise _NotFound('no artifact %s/%s' % (group, artifact))
        if version in ('latest', 'branch=latest'):
            return vs[-1]
        for v in vs:
            if v.version == version:
                return v
        raise _NotFound('no version %s of %s/%s' % (version, group, artifact))

    def _add_version(self, group, artifact, content, refs, headers, query):
        vs = self.artifacts.setdefault((group, artifact), [])
        cid = self._register_locked(content)
        wanted = headers.get('X-Registry-Version')
        v = _Version(group=group, artifact=artifact,
                     version=wanted or str(len(vs) + 1),
                     global_id=len(self.versions_by_global) + 1, content_id=cid,
                     type=headers.get('X-Registry-ArtifactType') or (vs[-1].type if vs
                                                                       else 'AVRO'),
                     created_on=_now_iso(), references=refs)
        vs.append(v)
        self.versions_by_global[v.global_id] = v
        return v

    def _create_artifact(self, group, query, headers, body):
        artifact = headers.get('X-Registry-ArtifactId')
        if not artifact:
            artifact = 'artifact-%d' % (len(self.artifacts) + 1)
        content, refs = self._content(headers, body)
        if_exists = (query.get('ifExists') or 'FAIL').upper()
        vs = self.artifacts.get((group, artifact))
        if vs:
            if if_exists == 'FAIL':
                raise _Conflict('artifact %s/%s exists' % (group, artifact))
            if if_exists == 'RETURN':
                return 200, vs[-1].meta(True)
            if if_exists == 'RETURN_OR_UPDATE':
                cid = self.by_text.get(content)
                for v in reversed(vs):
                    if v.content_id == cid:
                        return 200, v.meta(True)
        return 200, self._add_version(group, artifact, content, refs, headers,
                                      query).meta(True)

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True,
                         name='schema-registry').start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class _NotFound(Exception):
    pass


class _Conflict(Exception):
    pass
