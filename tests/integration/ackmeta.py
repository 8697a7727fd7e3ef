"""Reads the per-hook progress the bridge commits with its offsets (bridge/delivery/ackmeta.h),
independently of the C code: the fault suite uses it to know which deliveries a commit covered.

    p1,<base>,<id:8><kind><payload>,...,<fnv1a32 hex>
"""
ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
VALUE = {c: i for i, c in enumerate(ALPHABET)}


def fnv1a32(data):
    h = 2166136261
    for b in data:
        h ^= b
        h = (h * 16777619) & 0xffffffff
    return h


def hook_id(name):
    """48 bits of FNV-1a 64 of the hook's name (never 0)."""
    h = 14695981039346656037
    for b in name.encode('utf-8'):
        h ^= b
        h = (h * 1099511628211) & 0xffffffffffffffff
    h = (h ^ (h >> 48)) & 0xffffffffffff
    return h or 1


def _numbers(payload, pos):
    value, shift = 0, 0
    while True:
        d = VALUE[payload[pos]]
        pos += 1
        value |= (d & 31) << shift
        shift += 5
        if d < 32:
            return value, pos


def decode(text, base):
    """{hook id: set of absolute offsets} recorded in text for a commit at offset base; {} for
    empty metadata. Raises ValueError for anything else (the bridge ignores such metadata)."""
    if isinstance(text, bytes):
        text = text.decode('ascii')
    if not text:
        return {}
    if not text.startswith('p1,'):
        raise ValueError('not the bridge progress: %r' % text[:20])
    body, total = text[:-8], text[-8:]
    if '%08x' % fnv1a32(body.encode('ascii')) != total or not body.endswith(','):
        raise ValueError('checksum mismatch')
    fields = body[3:-1].split(',')
    if int(fields[0]) != base:
        raise ValueError('written for offset %s, committed at %d' % (fields[0], base))
    out = {}
    for entry in fields[1:]:
        hid = 0
        for c in entry[:8]:
            hid = hid << 6 | VALUE[c]
        kind, payload, pos = entry[8], entry[9:], 0
        offsets = set()
        if kind == 'r':
            prev_end = None
            while pos < len(payload):
                gap, pos = _numbers(payload, pos)
                length, pos = _numbers(payload, pos)
                start = gap if prev_end is None else prev_end + 1 + gap
                offsets.update(range(base + start, base + start + length + 1))
                prev_end = start + length + 1
        elif kind == 'b':
            origin, pos = _numbers(payload, pos)
            for j, c in enumerate(payload[pos:]):
                v = VALUE[c]
                offsets.update(base + origin + 6 * j + k for k in range(6) if v >> k & 1)
        else:
            raise ValueError('unknown kind %r' % kind)
        out[hid] = offsets
    return out


# --- reading what a group committed -----------------------------------------------------------
#
# confluent-kafka's TopicPartition.metadata is read as a C string, but librdkafka's
# rd_kafka_committed() copies the metadata without a terminating NUL, so the Python client
# sometimes shows bytes after it (or fails to decode them). This reads the group's committed
# offsets and metadata through the system librdkafka (the one the bridge links) with ctypes,
# using metadata_size.

import ctypes


class _TopicPartition(ctypes.Structure):
    _fields_ = [('topic', ctypes.c_char_p), ('partition', ctypes.c_int32),
                ('offset', ctypes.c_int64), ('metadata', ctypes.c_void_p),
                ('metadata_size', ctypes.c_size_t), ('opaque', ctypes.c_void_p),
                ('err', ctypes.c_int), ('_private', ctypes.c_void_p)]


class _List(ctypes.Structure):
    _fields_ = [('cnt', ctypes.c_int), ('size', ctypes.c_int),
                ('elems', ctypes.POINTER(_TopicPartition))]


_lib = None


def _rdkafka():
    global _lib
    if _lib is None:
        lib = ctypes.CDLL('librdkafka.so.1', mode=ctypes.RTLD_LOCAL)
        lib.rd_kafka_conf_new.restype = ctypes.c_void_p
        lib.rd_kafka_conf_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                          ctypes.c_char_p, ctypes.c_size_t]
        lib.rd_kafka_new.restype = ctypes.c_void_p
        lib.rd_kafka_new.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p,
                                     ctypes.c_size_t]
        lib.rd_kafka_topic_partition_list_new.restype = ctypes.POINTER(_List)
        lib.rd_kafka_topic_partition_list_add.argtypes = [ctypes.POINTER(_List),
                                                          ctypes.c_char_p, ctypes.c_int32]
        lib.rd_kafka_topic_partition_list_add.restype = ctypes.c_void_p
        lib.rd_kafka_committed.argtypes = [ctypes.c_void_p, ctypes.POINTER(_List),
                                           ctypes.c_int]
        lib.rd_kafka_topic_partition_list_destroy.argtypes = [ctypes.POINTER(_List)]
        lib.rd_kafka_destroy.argtypes = [ctypes.c_void_p]
        lib.rd_kafka_err2str.restype = ctypes.c_char_p
        _lib = lib
    return _lib


class CommittedReader:
    """Reads a group's committed offsets and metadata without joining the group (one librdkafka
    handle, reused)."""

    def __init__(self, bootstrap, group):
        lib = self.lib = _rdkafka()
        errstr = ctypes.create_string_buffer(512)
        conf = lib.rd_kafka_conf_new()
        for k, v in (('bootstrap.servers', bootstrap), ('group.id', group),
                     ('enable.auto.commit', 'false'), ('log_level', '0')):
            if lib.rd_kafka_conf_set(conf, k.encode(), v.encode(), errstr, 512) != 0:
                raise RuntimeError(errstr.value.decode())
        self.rk = lib.rd_kafka_new(1, conf, errstr, 512)  # RD_KAFKA_CONSUMER
        if not self.rk:
            raise RuntimeError(errstr.value.decode())

    def read(self, tps, timeout_ms=10000):
        """{(topic, partition): (committed offset or None, metadata text)} for the
        (topic, partition) pairs tps. Raises RuntimeError when the group cannot be asked."""
        lib = self.lib
        lst = lib.rd_kafka_topic_partition_list_new(max(len(tps), 1))
        try:
            for t, p in tps:
                lib.rd_kafka_topic_partition_list_add(lst, t.encode(), p)
            err = lib.rd_kafka_committed(self.rk, lst, timeout_ms)
            if err:
                raise RuntimeError('rd_kafka_committed: %s'
                                   % lib.rd_kafka_err2str(err).decode())
            out = {}
            for i in range(lst.contents.cnt):
                e = lst.contents.elems[i]
                meta = ctypes.string_at(e.metadata, e.metadata_size) if e.metadata_size else b''
                out[(e.topic.decode(), e.partition)] = (e.offset if e.offset >= 0 else None,
                                                        meta.decode('ascii', 'replace'))
            return out
        finally:
            lib.rd_kafka_topic_partition_list_destroy(lst)

    def close(self):
        if self.rk:
            self.lib.rd_kafka_destroy(self.rk)
            self.rk = None


def committed(bootstrap, group, tps, timeout_ms=10000):
    """CommittedReader(bootstrap, group).read(tps), once."""
    reader = CommittedReader(bootstrap, group)
    try:
        return reader.read(tps, timeout_ms)
    finally:
        reader.close()
