#!/usr/bin/env python3
"""perscom-bridge benchmark driver (run it through bench/run.sh, which builds everything).

A run is one or more rounds on one topic, each round with its own consumer and consumer group,
one after the other, delivering to the same receiver: the bridge, then (with --go) the Go
yardstick (bench/gobridge/, a straightforward franz-go + net/http bridge), so that every figure
of one comes with the other's from the same run. One round:
  1. (once) start the Go receiver (answers 204, or after --slow-receiver-ms; verifies
     signatures, records latencies) and create a fresh topic (--partitions);
  2. commit the round's new group at the topic's end offsets (a later round starts after the
     earlier rounds' messages), start the Kafka floor there (when there is one) and the
     consumer (the bridge with one POST hook, or the Go yardstick), and wait until its group
     owns every partition;
  3. warm up: --warmup-seconds of events (at --rate, or 1,000/s without it; at least one per
     partition), produced and waited for until the receiver (and the Kafka floor, when there is
     one) got them all; then the receiver's counters are reset, so the figures are of a running
     consumer and broker, not of their first fetches, connections and JIT compilation;
  4. produce the --messages Avro change events (records_ranks, op c; encoded once, before the
     first round, the same for every round) as fast as the producer goes, or paced at --rate
     (each message at its own time, or in --burst groups); each event's source.ts_us, which
     becomes the webhook's "created", is patched to the produce time just before it is handed
     to the producer; poll the group's committed offsets until they equal the end offsets:
     throughput is messages / (last offset committed - first message produced); latency
     percentiles, the stall detector, and the same for the Kafka floor (bench/kafkafloor.c, a
     plain consumer reading the same messages); CPU seconds of the consumer process during the
     measured messages (/proc/<pid>/stat utime + stime);
  5. read the consumer's VmHWM (peak RSS) from /proc, stop it with SIGTERM;
then (once) drive the same receiver with wrk for --wrk-seconds, POSTing a body the bridge sent
(same size, same Signature), with as many connections as the bridge can use: the ceiling.

--scenario slow runs the slow-receiver matrix instead: a receiver answering after
--slow-receiver-ms (default 50), keys spread over --keys row ids (default 10,000), for 8
partitions and then 1 (--slow-partitions): the bridge in each --slow-orderings mode, then the
Go yardstick, each round sized to about --slow-seconds at its concurrency bound.
"""

import argparse
import array
import hashlib
import hmac
import io
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import deque

import fastavro
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka import ConsumerGroupState
from confluent_kafka.admin import AdminClient, NewTopic

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SECRET = "bench-s3cret"
SENTINEL_US = 0x0123456789ABCD  # placeholder source.ts_us, replaced by the produce time
FIRST_ROW = 1000000  # data.id (and Kafka key) of the first measured event
WARMUP_ROW = 900000  # data.id of the first warm-up event


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def zigzag_varint(n):
    """Avro long encoding."""
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def encode_events(rows, now_us, partitions):
    """Pre-encodes one create event per row id of rows (its data.id and its Kafka key); returns
    (prefix, suffix, key, partition) tuples: value = prefix + zigzag_varint(produce_time_us) +
    suffix. The partition is the i-th event's (i % partitions) when the row ids are all
    different, and the row's (row % partitions, so that each key stays in one partition) when
    they repeat."""
    with open(os.path.join(ROOT, "schemas", "records_ranks.avsc")) as f:
        schema = fastavro.parse_schema(json.load(f))
    marker = zigzag_varint(SENTINEL_US)
    unique = len(set(rows)) == len(rows)
    events = []
    for i, row_id in enumerate(rows):
        row = {
            "id": row_id,
            "user_id": 1 + i % 500,
            "rank_id": 1 + i % 20,
            "document_id": None,
            "author_id": 1,
            "text": "Promoted for outstanding leadership during operation %d." % (i // 100),
            "type": i % 4,
            "created_at": now_us,
            "updated_at": now_us,
            "data": '{"callsign":"Viper %d","board":"B-%d"}' % (i % 97, i % 13),
        }
        env = {
            "before": None,
            "after": row,
            "source": {"connector": "bench", "db": "perscom", "table": "records_ranks",
                       "ts_ms": now_us // 1000, "ts_us": SENTINEL_US},
            "op": "c",
            "ts_ms": now_us // 1000,
            "ts_us": None,
        }
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, schema, env)
        value = buf.getvalue()
        at = value.find(marker)
        if at < 0 or value.find(marker, at + 1) >= 0:
            raise RuntimeError("cannot locate source.ts_us in the encoded event")
        part = i % partitions if unique else (row_id - FIRST_ROW) % partitions
        events.append((value[:at], value[at + len(marker):], str(row_id).encode(), part))
    return events


def measured_rows(count, keys, seed=7):
    """The measured events' row ids: FIRST_ROW + i, or, with keys, count ids drawn at random
    (seeded) from FIRST_ROW .. FIRST_ROW + keys - 1."""
    if not keys:
        return [FIRST_ROW + i for i in range(count)]
    rnd = random.Random(seed)
    return [FIRST_ROW + rnd.randrange(keys) for _ in range(count)]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.read()


def http_post(url, timeout=5):
    req = urllib.request.Request(url, data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.read()


class RssWatcher(threading.Thread):
    """Reads VmHWM of a process every 50 ms until it exits; the last value read is the peak
    (VmHWM only grows)."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.path = "/proc/%d/status" % pid
        self.hwm_kb = 0
        self.stop = threading.Event()

    def read(self):
        try:
            with open(self.path) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        self.hwm_kb = max(self.hwm_kb, int(line.split()[1]))
                        return True
        except (OSError, ValueError):
            pass
        return False

    def run(self):
        while not self.stop.is_set() and self.read():
            time.sleep(0.05)


def wait_assigned(bootstrap, group, topic, partitions, proc, timeout):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the consumer exited early with status %d" % proc.returncode)
        try:
            desc = admin.describe_consumer_groups([group])[group].result(timeout=5)
            owned = set()
            for m in desc.members:
                for tp in m.assignment.topic_partitions:
                    if tp.topic == topic:
                        owned.add(tp.partition)
            if desc.state == ConsumerGroupState.STABLE and len(owned) == partitions:
                return
        except KafkaException:
            pass
        time.sleep(0.2)
    raise RuntimeError("the consumer did not get all %d partitions within %d s"
                       % (partitions, timeout))


def cpu_seconds(pid):
    """utime + stime of a live process, seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def produce(bootstrap, topic, warmup, warmup_rate, events, rate, burst, created_us, warmed,
            properties=()):
    """Produces warmup at warmup_rate and calls warmed() once they are acknowledged; then events,
    paced at rate (in groups of burst) when rate is set. Returns the times of the first measured
    message and of the last acknowledgement."""
    conf = {
        "bootstrap.servers": bootstrap,
        "linger.ms": 1,
        "queue.buffering.max.messages": len(events) + 1000,
        "queue.buffering.max.kbytes": 1048576,
    }
    conf.update(kv.split("=", 1) for kv in properties)
    p = Producer(conf)
    errors = []

    def on_delivery(err, _msg):
        if err is not None:
            errors.append(err)

    start = time.time()
    for i, (pre, post, key, part) in enumerate(warmup):
        ahead = start + i / warmup_rate - time.time()
        if ahead > 0:
            time.sleep(ahead)
        p.produce(topic, pre + zigzag_varint(time.time_ns() // 1000) + post,
                  key=key, partition=part, on_delivery=on_delivery)
        p.poll(0)
    p.flush(30)
    warmed()
    first = time.time()
    for i, (pre, post, key, part) in enumerate(events):
        if rate and i % burst == 0:
            ahead = first + i / rate - time.time()
            if ahead > 0:
                time.sleep(ahead)
        created_us[i] = time.time_ns() // 1000
        value = pre + zigzag_varint(created_us[i]) + post
        p.produce(topic, value, key=key, partition=part, on_delivery=on_delivery)
        if i % 1000 == 0:
            p.poll(0)
    p.flush(60)
    produced = time.time()
    if errors or len(p) != 0:
        raise RuntimeError("produce failed: %d error(s), first %s; %d unsent"
                           % (len(errors), errors[:1], len(p)))
    return first, produced


def wait_committed(bootstrap, group, topic, partitions, total, proc, timeout):
    """Polls committed offsets until they equal the end offsets (which must sum to total);
    returns the time seen."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                  "enable.auto.commit": False})
    tps = [TopicPartition(topic, i) for i in range(partitions)]
    try:
        ends = [c.get_watermark_offsets(tp, timeout=10)[1] for tp in tps]
        if sum(ends) != total:
            raise RuntimeError("end offsets sum to %d, expected %d" % (sum(ends), total))
        deadline = time.time() + timeout
        last_report = time.time()
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("the consumer exited early with status %d" % proc.returncode)
            committed = c.committed(tps, timeout=10)
            now = time.time()
            done = sum(max(tp.offset, 0) for tp in committed)
            if all(tp.offset == end for tp, end in zip(committed, ends)):
                return now
            if now - last_report >= 5:
                log("committed %d of %d" % (done, total))
                last_report = now
            time.sleep(0.02)
        raise RuntimeError("offsets not all committed within %d s" % timeout)
    finally:
        c.close()


def concurrency(trace, partitions):
    """From the receiver's trace: over 10 ms windows, the mean number of partitions (lanes)
    and of connections that delivered at least one request; and the pauses longer than
    20 ms in which the receiver got nothing at all (count, total seconds)."""
    buckets = {}
    times = []
    for line in trace.splitlines():
        ns, conn, _lat, row = (int(x) for x in line.split())
        times.append(ns)
        b = buckets.setdefault(ns // 10000000, (set(), set()))
        b[0].add((row - FIRST_ROW) % partitions)
        b[1].add(conn)
    if not buckets:
        return 0.0, 0.0, 0, 0.0
    times.sort()
    gaps = [b - a for a, b in zip(times, times[1:]) if b - a > 20000000]
    return (sum(len(b[0]) for b in buckets.values()) / len(buckets),
            sum(len(b[1]) for b in buckets.values()) / len(buckets),
            len(gaps), sum(gaps) / 1e9)


def stalls(trace, partitions, first_s, threshold_ms=50):
    """The stall detector, from the receiver's trace. A partition is pending while one of its
    messages has been produced (its "created") and not yet received; a stall is a stretch in
    which a pending partition got nothing: from the later of the previous receipt on that
    partition and the produce time of its oldest pending message, to the next receipt. It
    includes the Kafka path of that message (producer, broker, fetch) and the one request's own
    transfer time, so it bounds from above the time the partition had messages to deliver and
    nothing in flight. Returns (longest ms, its partition, its start in s after the first
    produce, partitions stalled over threshold_ms at that moment, stalls over threshold_ms,
    their total seconds)."""
    per = {}
    for line in trace.splitlines():
        ns, _conn, lat_us, row = (int(x) for x in line.split())
        if lat_us < 0 or row < 0:
            continue
        per.setdefault((row - FIRST_ROW) % partitions, []).append((ns, ns - lat_us * 1000))
    found = []  # (start ns, end ns, partition)
    for part, events in per.items():
        events.sort()
        oldest = [0] * len(events)  # the oldest produce time among events[i:]
        low = None
        for i in range(len(events) - 1, -1, -1):
            low = events[i][1] if low is None else min(low, events[i][1])
            oldest[i] = low
        prev = None
        for i, (ns, _created) in enumerate(events):
            start = oldest[i] if prev is None else max(prev, oldest[i])
            if ns > start:
                found.append((start, ns, part))
            prev = ns
    if not found:
        return 0.0, -1, 0.0, 0, 0, 0.0
    worst = max(found, key=lambda f: f[1] - f[0])
    limit = threshold_ms * 1000000
    over = [f for f in found if f[1] - f[0] > limit]
    at_once = len({f[2] for f in over if f[0] < worst[1] and f[1] > worst[0]})
    return ((worst[1] - worst[0]) / 1e6, worst[2], worst[0] / 1e9 - first_s, at_once, len(over),
            sum(f[1] - f[0] for f in over) / 1e9)


def percentile(sorted_values, p):
    """Nearest rank, as the receiver computes its own."""
    if not sorted_values:
        return 0.0
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


class Floor:
    """The Kafka floor (bench/kafkafloor.c): a plain consumer with the bridge's properties that
    reads the same messages (from start, the partitions' offsets, when given) and notes each
    arrival, so a run shows what Kafka alone costs."""

    def __init__(self, binary, bootstrap, topic, partitions, warmup, count, props, workdir,
                 start=None, name="floor"):
        self.path = os.path.join(workdir, name + ".txt")
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.log = open(os.path.join(workdir, name + ".log"), "w")
        first = ["--start", ",".join(str(o) for o in start)] if start else []
        self.proc = subprocess.Popen([binary] + first + [bootstrap, topic, str(partitions),
                                                         str(warmup), str(count), self.path]
                                     + props, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.expect("ready")

    def expect(self, word):
        """Waits for the consumer to print word ("ready", then "warm": it has the warm-up)."""
        if self.proc.stdout.readline().strip() != word:
            raise RuntimeError("the Kafka floor consumer did not say %s (floor.log)" % word)

    def finish(self, timeout):
        """Waits until it has every message (or timeout s); returns its exit status."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=15)
        return self.proc.returncode

    def trace(self, events, created_us):
        """Its arrivals of the measured events in the receiver's trace format: "<unix ns> 0
        <latency us> <row>". A row id can come more than once (spread keys): its arrivals are
        matched with its produce times in order (one key, one partition)."""
        created = {}
        for (_pre, _post, key, _part), us in zip(events, created_us):
            created.setdefault(int(key), deque()).append(us)
        lines = []
        with open(self.path) as f:
            for line in f:
                ns, key = line.split()
                row = int(key)
                if row >= FIRST_ROW and created.get(row):
                    lines.append("%s 0 %d %d" % (ns, int(ns) // 1000 - created[row].popleft(),
                                                 row))
        return "\n".join(lines)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=15)
        self.log.close()


def over_floor_ms(trace, floor_trace):
    """Per message, receipt at the receiver minus arrival at the floor consumer, sorted (ms):
    what the consumer adds to Kafka's own latency (its fetch and wake-up, decode, render, sign,
    HTTP), message by message. Negative when the consumer's fetch came first. A row id that
    comes more than once is matched in order."""
    arrived = {}
    for line in floor_trace.splitlines():
        ns, _conn, _lat, row = line.split()
        arrived.setdefault(int(row), deque()).append(int(ns))
    deltas = []
    for line in trace.splitlines():
        ns, _conn, _lat, row = line.split()
        if arrived.get(int(row)):
            deltas.append((int(ns) - arrived[int(row)].popleft()) / 1e6)
    return sorted(deltas)


def latencies_ms(trace):
    return sorted(int(line.split()[2]) / 1000 for line in trace.splitlines()
                  if int(line.split()[2]) >= 0)


def lua_long_string(s):
    level = 0
    while ("]" + "=" * level + "]") in s:
        level += 1
    eq = "=" * level
    return "[" + eq + "[" + s + "]" + eq + "]"


def run_wrk(wrk, url, body, connections, threads, seconds, workdir):
    sig = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    script = os.path.join(workdir, "post.lua")
    with open(script, "w") as f:
        f.write('wrk.method = "POST"\n')
        f.write("wrk.body = " + lua_long_string(body.decode()) + "\n")
        f.write('wrk.headers["Content-Type"] = "application/json"\n')
        f.write('wrk.headers["Signature"] = "%s"\n' % sig)
        f.write('wrk.headers["User-Agent"] = "wrk"\n')
    cmd = [wrk, "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds, "--latency",
           "-s", script, url]
    log("wrk: " + " ".join(cmd))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    with open(os.path.join(workdir, "wrk.out"), "w") as f:
        f.write(out)
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise RuntimeError("cannot read wrk's output:\n" + out)
    return float(m.group(1)), out


class Bench:
    """What the rounds of one run share: the receiver, the admin client, the topics and groups
    to delete at the end, the processes to stop."""

    def __init__(self, args, expect):
        self.args = args
        self.admin = AdminClient({"bootstrap.servers": args.bootstrap, "log_level": 4})
        self.run_id = "%d-%d" % (int(time.time()), os.getpid())
        self.topics = []
        self.groups = []
        self.procs = []
        port_file = os.path.join(args.workdir, "receiver.ports")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.recv_out = open(os.path.join(args.workdir, "receiver.out"), "w")
        cmd = [args.receiver, "-secret", SECRET, "-port-file", port_file, "-expect", str(expect)]
        if args.slow_receiver_ms:
            cmd += ["-delay", "%dms" % args.slow_receiver_ms]
        self.recv = subprocess.Popen(cmd, stdout=self.recv_out, stderr=subprocess.STDOUT)
        self.procs.append(self.recv)
        for _ in range(100):
            if os.path.exists(port_file):
                break
            time.sleep(0.05)
        hook_port, control_port = map(int, open(port_file).read().split())
        self.control = "http://127.0.0.1:%d" % control_port
        self.hook_url = "http://127.0.0.1:%d/hook" % hook_port

    def topic(self, partitions):
        name = "bench.b%sp%d.records_ranks" % (self.run_id.replace("-", "x"), partitions)
        fs = self.admin.create_topics([NewTopic(name, partitions, 1)], operation_timeout=30)
        fs[name].result()
        self.topics.append(name)
        return name

    def group(self, label):
        name = "perscom-bench-%s-%s" % (self.run_id, label)
        self.groups.append(name)
        return name

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.recv_out.close()
        for topic in self.topics:
            try:
                self.admin.delete_topics([topic], operation_timeout=30)[topic].result()
            except Exception as e:  # cleanup only
                log("could not delete topic %s: %s" % (topic, e))
        for group in self.groups:
            try:
                self.admin.delete_consumer_groups([group])[group].result()
            except Exception as e:  # cleanup only
                log("could not delete group %s: %s" % (group, e))


def end_offsets(bootstrap, topic, partitions):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "perscom-bench-watermarks"})
    try:
        return [c.get_watermark_offsets(TopicPartition(topic, i), timeout=10)[1]
                for i in range(partitions)]
    finally:
        c.close()


def seed_group(bootstrap, group, topic, ends):
    """Commits ends as group's offsets, so that its consumer starts after what is there."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                  "enable.auto.commit": False})
    try:
        c.commit(offsets=[TopicPartition(topic, i, end) for i, end in enumerate(ends)],
                 asynchronous=False)
    finally:
        c.close()


def write_bridge_config(path, args, group, topic, hook_url, ordering, hook_max_in_flight):
    props = "".join("    %s: \"%s\"\n" % tuple(kv.split("=", 1)) for kv in args.kafka_property)
    window = ("  partition_window: %d\n" % args.partition_window
              if args.partition_window else "")
    # the hook keys of issue 7 (ordering modes), written only when not the default, so that a
    # bridge without them runs the partition mode
    hook_keys = ""
    if ordering and ordering != "partition":
        hook_keys = "    ordering: %s\n" % ordering
    if hook_max_in_flight:
        hook_keys += "    max_in_flight: %d\n" % hook_max_in_flight
    with open(path, "w") as f:
        f.write(f"""# written by bench/bench.py
kafka:
  brokers: "{args.bootstrap}"
  group_id: {group}
  properties:
    auto.offset.reset: earliest
{props}topics:
  - name: {topic}
    format: avro
    schema: {os.path.join(ROOT, "schemas", "records_ranks.avsc")}
# the receiver is on loopback, which the outbound request guard refuses unless allowed
egress:
  allow: ["127.0.0.1/32"]
hooks:
  - name: bench
    url: {hook_url}
    secret: {SECRET}
    events: ["rankrecord.created"]
{hook_keys}delivery:
  max_in_flight: {args.max_in_flight}
  commit_interval_ms: {args.commit_interval_ms}
{window}log_level: {args.log_level}
""")


def concurrency_bound(kind, partitions, ordering, hook_max_in_flight, max_in_flight):
    """How many requests the consumer can have in flight at once."""
    if kind == "go" or not ordering or ordering == "partition":
        return min(partitions, max_in_flight) if kind == "bridge" else partitions
    return min(hook_max_in_flight or max_in_flight, max_in_flight)


class Round:
    """One consumer's round on the run's topic: what it is, and its figures once run."""

    def __init__(self, kind, ordering=None, hook_max_in_flight=0):
        self.kind = kind  # "bridge" or "go"
        self.ordering = ordering if kind == "bridge" else None
        self.hook_max_in_flight = hook_max_in_flight if kind == "bridge" else 0
        self.res = None
        self.error = None

    def label(self):
        if self.kind == "go":
            return "Go yardstick"
        if not self.ordering:
            return "bridge"
        mif = (", max_in_flight %d" % self.hook_max_in_flight) if self.hook_max_in_flight else ""
        return "bridge (ordering %s%s)" % (self.ordering, mif)

    def slug(self):
        return self.kind + ("-" + self.ordering if self.ordering else "")


def start_consumer(b, rnd, group, topic, workdir):
    args = b.args
    log_path = os.path.join(workdir, rnd.slug() + ".log")
    out = open(log_path, "w")
    if rnd.kind == "bridge":
        conf_path = os.path.join(workdir, "bench-%s.yaml" % rnd.slug())
        write_bridge_config(conf_path, args, group, topic, b.hook_url, rnd.ordering,
                            rnd.hook_max_in_flight)
        cmd = [args.bridge, "run", "--config", conf_path]
    else:
        cmd = [args.go, "-brokers", args.bootstrap, "-group", group, "-topic", topic,
               "-schema", os.path.join(ROOT, "schemas", "records_ranks.avsc"),
               "-url", b.hook_url, "-secret", SECRET, "-events", "rankrecord.created",
               "-commit-interval", "%dms" % args.commit_interval_ms,
               "-connections", str(max(args.max_in_flight, 8))]
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    out.close()
    return proc, log_path


def last_line(path):
    """The last non-empty line of a log file, shortened."""
    try:
        with open(path, errors="replace") as f:
            lines = [line.strip() for line in f if line.strip()]
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""


def run_round(b, rnd, topic, partitions, events, warmup, warmup_rate, rate, burst, timeout,
              with_floor):
    """Runs rnd on topic: fills rnd.res (the figures) or rnd.error (why it failed)."""
    args = b.args
    group = b.group("%s-p%d" % (rnd.slug(), partitions))
    ends = end_offsets(args.bootstrap, topic, partitions)
    if sum(ends):
        seed_group(args.bootstrap, group, topic, ends)
    floor = None
    proc = None
    log_path = None
    rss = None
    try:
        if with_floor:
            floor = Floor(args.floor, args.bootstrap, topic, partitions, len(warmup),
                          len(events), args.kafka_property, args.workdir, start=ends,
                          name="floor-" + rnd.slug())
        proc, log_path = start_consumer(b, rnd, group, topic, args.workdir)
        rss = RssWatcher(proc.pid)
        rss.start()
        log("%s: pid %d, topic %s, %d partitions, group %s, %d events"
            % (rnd.label(), proc.pid, topic, partitions, group, len(events)))
        wait_assigned(args.bootstrap, group, topic, partitions, proc, 60)
        rss_idle_kb = rss.hwm_kb
        http_post(b.control + "/_reset")
        cpu0 = {}

        def warmed():
            """the warm-up arrived everywhere: reset the receiver, start the clocks"""
            deadline = time.time() + 60
            while json.loads(http_get(b.control + "/_stats"))["requests"] < len(warmup):
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("the warm-up events were not delivered within 60 s")
                time.sleep(0.05)
            if floor:
                floor.expect("warm")
            http_post(b.control + "/_reset")
            cpu0["consumer"] = cpu_seconds(proc.pid)
            cpu0["receiver"] = cpu_seconds(b.recv.pid)

        created_us = array.array("q", bytes(8 * len(events)))
        first, produced = produce(args.bootstrap, topic, warmup, warmup_rate, events, rate,
                                  max(1, burst), created_us, warmed, args.producer_property)
        log("%s: produced %d in %.2f s (%.0f msgs/s)"
            % (rnd.label(), len(events), produced - first, len(events) / (produced - first)))
        committed = wait_committed(args.bootstrap, group, topic, partitions,
                                   sum(ends) + len(warmup) + len(events), proc, timeout)
        elapsed = committed - first
        consumer_cpu = cpu_seconds(proc.pid) - cpu0["consumer"]
        recv_cpu = cpu_seconds(b.recv.pid) - cpu0["receiver"]
        st = json.loads(http_get(b.control + "/_stats"))
        sample = http_get(b.control + "/_sample")
        with open(os.path.join(args.workdir, "sample-%s.json" % rnd.slug()), "wb") as f:
            f.write(sample)
        if rnd.kind == "bridge" and not hasattr(b, "sample"):
            b.sample = sample
        trace = http_get(b.control + "/_trace", timeout=60)
        with open(os.path.join(args.workdir, "trace-%s.txt" % rnd.slug()), "wb") as f:
            f.write(trace)
        conc = concurrency(trace, partitions)
        stall = stalls(trace.decode(), partitions, first)
        floor_lat, floor_stall, added = [], None, []
        if floor:
            floor.finish(30)
            floor_trace = floor.trace(events, created_us)
            floor_lat = latencies_ms(floor_trace)
            floor_stall = stalls(floor_trace, partitions, first)
            added = over_floor_ms(trace.decode(), floor_trace)
            if len(floor_lat) != len(events):
                log("the Kafka floor saw %d of %d messages" % (len(floor_lat), len(events)))

        rss.read()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=60)
        rss.stop.set()
        rss.join()
        if rc != 0:
            raise RuntimeError("%s exited with status %d" % (rnd.label(), rc))
        if st["requests"] != len(events) or st["bad_signature"] != 0:
            raise RuntimeError("receiver saw %d request(s), %d bad signature(s); expected %d"
                               % (st["requests"], st["bad_signature"], len(events)))
        tput = len(events) / elapsed
        rnd.res = {
            "consumer": rnd.kind,
            "ordering": rnd.ordering or ("partition" if rnd.kind == "go" else "default"),
            "hook_max_in_flight": rnd.hook_max_in_flight,
            "messages": len(events),
            "partitions": partitions,
            "concurrency_bound": concurrency_bound(rnd.kind, partitions, rnd.ordering,
                                                   rnd.hook_max_in_flight, args.max_in_flight),
            "produce_seconds": round(produced - first, 3),
            "end_to_end_seconds": round(elapsed, 3),
            "throughput_msgs_per_s": round(tput, 1 if tput < 100 else None),
            "latency_p50_ms": st["latency_p50_ms"],
            "latency_p90_ms": st["latency_p90_ms"],
            "latency_p99_ms": st["latency_p99_ms"],
            "latency_max_ms": st["latency_max_ms"],
            "stall_max_ms": round(stall[0], 1),
            "stall_partition": stall[1],
            "stall_at_seconds": round(stall[2], 2),
            "stall_partitions_at_once": stall[3],
            "stalls_over_50ms": stall[4],
            "stall_seconds_over_50ms": round(stall[5], 2),
            "floor_messages": len(floor_lat),
            "floor_latency_p50_ms": round(percentile(floor_lat, 50), 2),
            "floor_latency_p90_ms": round(percentile(floor_lat, 90), 2),
            "floor_latency_p99_ms": round(percentile(floor_lat, 99), 2),
            "floor_latency_max_ms": round(floor_lat[-1], 2) if floor_lat else 0.0,
            "floor_stall_max_ms": round(floor_stall[0], 1) if floor_stall else 0.0,
            "over_floor_p50_ms": round(percentile(added, 50), 2),
            "over_floor_p90_ms": round(percentile(added, 90), 2),
            "over_floor_p99_ms": round(percentile(added, 99), 2),
            "over_floor_max_ms": round(added[-1], 2) if added else 0.0,
            "cpu_seconds": round(consumer_cpu, 2),
            "cpu_us_per_msg": round(consumer_cpu * 1e6 / len(events), 1),
            "receiver_cpu_seconds": round(recv_cpu, 2),
            "peak_rss_mib": round(rss.hwm_kb / 1024, 1),
            "idle_rss_mib": round(rss_idle_kb / 1024, 1),
            "connections_opened": st["connections_opened"],
            "connections_peak": st["connections_peak"],
            "mean_partitions_per_10ms": round(conc[0], 2),
            "mean_connections_per_10ms": round(conc[1], 2),
            "idle_gaps_over_20ms": conc[2],
            "idle_gap_seconds": round(conc[3], 2),
        }
    except (RuntimeError, KafkaException, OSError) as e:
        rnd.error = str(e)
        if proc and proc.poll() is not None:
            rnd.error += " (%s: %s)" % (os.path.basename(log_path), last_line(log_path))
        log("%s: FAILED: %s" % (rnd.label(), e))
    finally:
        if floor:
            floor.stop()
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if rss:
            rss.stop.set()


def print_round(rnd, rate, burst):
    r = rnd.res
    print()
    print("%s: %d events, %d partitions, 1 POST hook%s"
          % (rnd.label(), r["messages"], r["partitions"],
             (", produced at most %d msgs/s" % rate +
              (" in bursts of %d" % burst if burst > 1 else "")) if rate else ""))
    print("  produced in              %8.2f s   (%.0f msgs/s)"
          % (r["produce_seconds"], r["messages"] / r["produce_seconds"]))
    print("  end-to-end               %8.2f s   first produced -> last offset committed"
          % r["end_to_end_seconds"])
    print("  throughput               %8.0f msgs/s" % r["throughput_msgs_per_s"])
    print("  latency produce->receipt p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (r["latency_p50_ms"], r["latency_p90_ms"], r["latency_p99_ms"],
             r["latency_max_ms"]))
    if r["floor_messages"]:
        print("  Kafka floor (no bridge)  p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms; "
              "longest stall %.1f ms"
              % (r["floor_latency_p50_ms"], r["floor_latency_p90_ms"],
                 r["floor_latency_p99_ms"], r["floor_latency_max_ms"],
                 r["floor_stall_max_ms"]))
        print("  over the floor           p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.1f ms "
              "(per message: receipt - floor's arrival)"
              % (r["over_floor_p50_ms"], r["over_floor_p90_ms"], r["over_floor_p99_ms"],
                 r["over_floor_max_ms"]))
    print("  longest stall            %.1f ms on partition %d, %.1f s into the run "
          "(%d partition(s) stalled > 50 ms then)"
          % (r["stall_max_ms"], r["stall_partition"], r["stall_at_seconds"],
             r["stall_partitions_at_once"]))
    print("  stalls > 50 ms           %d, %.2f s in all (partition-seconds)"
          % (r["stalls_over_50ms"], r["stall_seconds_over_50ms"]))
    print("  CPU during delivery      %.2f s (%.0f%% of one core, %.1f us/msg), receiver %.1f s"
          % (r["cpu_seconds"], 100 * r["cpu_seconds"] / r["end_to_end_seconds"],
             r["cpu_us_per_msg"], r["receiver_cpu_seconds"]))
    print("  peak RSS                 %8.1f MiB (%.1f MiB before the first message)"
          % (r["peak_rss_mib"], r["idle_rss_mib"]))
    print("  connections              %d opened, %d at once at most"
          % (r["connections_opened"], r["connections_peak"]))
    print("  lanes busy per 10 ms     %.1f partitions, %.1f connections (mean)"
          % (r["mean_partitions_per_10ms"], r["mean_connections_per_10ms"]))
    print("  receiver idle > 20 ms    %d time(s), %.2f s in all"
          % (r["idle_gaps_over_20ms"], r["idle_gap_seconds"]))


RATIO_ROWS = [
    ("throughput (msgs/s)", "throughput_msgs_per_s", "%.0f"),
    ("CPU seconds", "cpu_seconds", "%.2f"),
    ("CPU us per message", "cpu_us_per_msg", "%.1f"),
    ("peak RSS (MiB)", "peak_rss_mib", "%.1f"),
    ("latency p50 (ms)", "latency_p50_ms", "%.1f"),
    ("latency p99 (ms)", "latency_p99_ms", "%.1f"),
    ("latency max (ms)", "latency_max_ms", "%.1f"),
]


def compare(a, g):
    """bridge / Go of each figure of RATIO_ROWS."""
    return {key: round(a[key] / g[key], 3) if g[key] else None for _n, key, _f in RATIO_ROWS}


def print_compare(a, g):
    ratio = compare(a, g)
    print()
    print("bridge / Go yardstick (same run, same topic and events, one after the other)")
    print("  %-22s %12s %12s %10s" % ("", "bridge", "Go", "bridge/Go"))
    for name, key, fmt in RATIO_ROWS:
        print("  %-22s %12s %12s %10s" % (name, fmt % a[key], fmt % g[key],
                                          "%.3f" % ratio[key] if ratio[key] is not None
                                          else "-"))


def warmup_count_for(rate, seconds, partitions):
    """events of the warm-up: seconds at rate, at least one per partition, a multiple of the
    partitions"""
    return -(-max(partitions, int(rate * seconds)) // partitions) * partitions


def run_compare(args):
    """The bridge, then the Go yardstick (with --go), on one topic; then the wrk ceiling."""
    rounds = [Round("bridge", args.ordering, args.hook_max_in_flight
                    or (args.max_in_flight if args.ordering not in (None, "partition") else 0))]
    if args.go:
        rounds.insert(0 if args.go_first else 1, Round("go"))
    plans = {}  # round -> (events, warm-up events, warm-up rate, timeout, bound msgs/s)
    for rnd in rounds:
        if args.slow_receiver_ms:
            # a slow receiver: each round about --slow-seconds at its own bound, produced at once
            per_s = concurrency_bound(rnd.kind, args.partitions, rnd.ordering,
                                      rnd.hook_max_in_flight,
                                      args.max_in_flight) * 1000 / args.slow_receiver_ms
            n = args.messages or max(args.partitions, int(per_s * args.slow_seconds))
            plans[rnd] = (n, warmup_count_for(per_s, 1, args.partitions), 1e9,
                          max(args.timeout, int(4 * n / per_s) + 60), per_s)
        else:
            plans[rnd] = (args.messages or 200000,
                          warmup_count_for(args.rate or 1000, args.warmup_seconds,
                                           args.partitions),
                          args.rate or 1000, args.timeout, 0)
    messages = max(p[0] for p in plans.values())
    b = Bench(args, messages)
    try:
        topic = b.topic(args.partitions)
        t0 = time.time()
        now_us = time.time_ns() // 1000
        events = encode_events(measured_rows(messages, args.keys), now_us, args.partitions)
        warmup = encode_events([WARMUP_ROW + i for i in range(max(p[1] for p in plans.values()))],
                               now_us, args.partitions)
        log("encoded %d events (%d bytes each) in %.1f s"
            % (len(events), len(events[0][0]) + 8 + len(events[0][1]), time.time() - t0))
        for rnd in rounds:
            n, wcount, wrate, timeout, _per_s = plans[rnd]
            run_round(b, rnd, topic, args.partitions, events[:n], warmup[:wcount], wrate,
                      args.rate, args.burst, timeout, bool(args.floor))

        wrk = None
        if not args.slow_receiver_ms and hasattr(b, "sample") and args.wrk_seconds > 0:
            # the ceiling: wrk against the same receiver
            conns = args.wrk_connections or min(args.partitions, args.max_in_flight)
            http_post(b.control + "/_reset")
            wrk_rps, _ = run_wrk(args.wrk, b.hook_url, b.sample, conns,
                                 min(args.wrk_threads, conns), args.wrk_seconds, args.workdir)
            wst = json.loads(http_get(b.control + "/_stats"))
            if wst["bad_signature"] != 0:
                raise RuntimeError("wrk's requests failed the signature check")
            wrk = (wrk_rps, conns, min(args.wrk_threads, conns))

        bridge = next(r for r in rounds if r.kind == "bridge")
        go = next((r for r in rounds if r.kind == "go"), None)
        for rnd in rounds:
            if rnd.res:
                print_round(rnd, args.rate, args.burst)
            else:
                print()
                print("%s: FAILED: %s" % (rnd.label(), rnd.error))
        if args.slow_receiver_ms:
            print()
            print("receiver answers after %d ms; keys %s"
                  % (args.slow_receiver_ms,
                     "over %d row ids" % args.keys if args.keys else "all different"))
            for rnd in rounds:
                n, _w, _r, _t, per_s = plans[rnd]
                bound = bound_for(rnd, events[:n], args.partitions, per_s,
                                  args.slow_receiver_ms / 1000)
                if rnd.res:
                    print("  %-42s %6d events %10.1f msgs/s, bound %.1f/s (%.2f of it)"
                          % (rnd.label(), n, rnd.res["throughput_msgs_per_s"], bound,
                             rnd.res["throughput_msgs_per_s"] / bound))
        if bridge.res and go and go.res:
            print_compare(bridge.res, go.res)
        if wrk:
            print("  wrk ceiling              %8.0f req/s  (%d connection(s), %d thread(s), %d s)"
                  % (wrk[0], wrk[1], wrk[2], args.wrk_seconds))
            if bridge.res:
                print("  bridge / wrk             %8.3f"
                      % (bridge.res["throughput_msgs_per_s"] / wrk[0]))
            if go and go.res:
                print("  Go / wrk                 %8.3f"
                      % (go.res["throughput_msgs_per_s"] / wrk[0]))
        if args.json:
            out = dict(bridge.res or {"error": bridge.error})
            out.update({"max_in_flight": args.max_in_flight, "rate_limit": args.rate,
                        "burst": args.burst if args.rate else 0,
                        "slow_receiver_ms": args.slow_receiver_ms, "keys": args.keys,
                        "body_bytes": len(getattr(b, "sample", b""))})
            if go:
                out["go"] = go.res or {"error": go.error}
                if bridge.res and go.res:
                    out["bridge_over_go"] = compare(bridge.res, go.res)
            if wrk:
                out.update({"wrk_connections": wrk[1], "wrk_threads": wrk[2],
                            "wrk_seconds": args.wrk_seconds,
                            "wrk_requests_per_s": round(wrk[0])})
                if bridge.res:
                    out["ratio"] = round(bridge.res["throughput_msgs_per_s"] / wrk[0], 3)
            with open(args.json, "w") as f:
                json.dump(out, f, indent=2)
                f.write("\n")
        return 0 if all(r.res for r in rounds) else 1
    finally:
        b.close()


def bound_for(rnd, events, partitions, per_s, delay_s):
    """The throughput a consumer reaches at best with a receiver answering after delay_s:
    per_s (its requests in flight / delay_s), or, when it sends one request at a time per
    partition, the events over the time the busiest partition takes (random keys do not spread
    evenly)."""
    if rnd.kind == "bridge" and rnd.ordering not in (None, "partition"):
        return per_s
    counts = [0] * partitions
    for ev in events:
        counts[ev[3]] += 1
    return min(per_s, len(events) / (max(counts) * delay_s))


def run_slow(args):
    """The slow-receiver matrix: for each partition count, the bridge in each ordering mode,
    then the Go yardstick, on one topic per partition count."""
    if not args.slow_receiver_ms:
        args.slow_receiver_ms = 50
    if args.keys == 0:
        args.keys = 10000
    delay_s = args.slow_receiver_ms / 1000
    hook_mif = args.hook_max_in_flight or args.max_in_flight
    b = Bench(args, 1 << 16)
    table = []
    try:
        for partitions in args.slow_partitions:
            topic = b.topic(partitions)
            rounds = [Round("bridge", o, 0 if o == "partition" else hook_mif)
                      for o in args.slow_orderings]
            if args.go:
                rounds.append(Round("go"))
            sizes = {}
            for rnd in rounds:
                per_s = concurrency_bound(rnd.kind, partitions, rnd.ordering,
                                          rnd.hook_max_in_flight, args.max_in_flight) / delay_s
                sizes[rnd] = (max(partitions, int(per_s * args.slow_seconds)), per_s)
            now_us = time.time_ns() // 1000
            most = max(n for n, _ in sizes.values())
            events = encode_events(measured_rows(most, args.keys), now_us, partitions)
            for rnd in rounds:
                n, per_s = sizes[rnd]
                warmup = encode_events(
                    [WARMUP_ROW + i for i in range(warmup_count_for(per_s, 1, partitions))],
                    now_us, partitions)
                run_round(b, rnd, topic, partitions, events[:n], warmup, 1e9, 0, 1,
                          max(args.timeout, int(4 * n / per_s) + 60), False)
                table.append((partitions, rnd, n, bound_for(rnd, events[:n], partitions,
                                                            per_s, delay_s)))
        print()
        print("slow receiver: answers after %d ms; keys over %d row ids; delivery.max_in_flight "
              "%d; each round about %d s at its bound"
              % (args.slow_receiver_ms, args.keys, args.max_in_flight, args.slow_seconds))
        print("  bound: requests in flight at once / delay; with one request at a time per "
              "partition, events / (busiest partition's events x delay)")
        print("  %-10s %-42s %8s %12s %12s %8s %10s %9s"
              % ("partitions", "consumer", "events", "throughput", "bound", "of bound",
                 "CPU us/msg", "peak RSS"))
        for partitions, rnd, n, per_s in table:
            if rnd.res:
                r = rnd.res
                print("  %-10d %-42s %8d %10.1f/s %10.1f/s %8.2f %10.1f %5.1f MiB"
                      % (partitions, rnd.label(), n, r["throughput_msgs_per_s"], per_s,
                         r["throughput_msgs_per_s"] / per_s, r["cpu_us_per_msg"],
                         r["peak_rss_mib"]))
            else:
                print("  %-10d %-42s %8d   FAILED: %s" % (partitions, rnd.label(), n, rnd.error))
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"slow_receiver_ms": args.slow_receiver_ms, "keys": args.keys,
                           "max_in_flight": args.max_in_flight,
                           "rounds": [dict(rnd.res or {"error": rnd.error},
                                           consumer=rnd.kind, label=rnd.label(),
                                           partitions=partitions, messages=n,
                                           bound_msgs_per_s=per_s)
                                      for partitions, rnd, n, per_s in table]}, f, indent=2)
                f.write("\n")
        return 0 if all(rnd.res for _p, rnd, _n, _s in table) else 1
    finally:
        b.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers")
    ap.add_argument("--bridge", required=True, help="the perscom-bridge binary")
    ap.add_argument("--receiver", required=True, help="the receiver binary")
    ap.add_argument("--go", help="the Go yardstick (bench/gobridge); without it, the bridge "
                    "runs alone")
    ap.add_argument("--go-first", action="store_true",
                    help="run the Go yardstick's round before the bridge's (default: after)")
    ap.add_argument("--floor", help="the Kafka floor consumer (bench-kafkafloor); without it, "
                    "no floor is measured")
    ap.add_argument("--workdir", required=True, help="directory for config, logs, wrk script")
    ap.add_argument("--scenario", choices=["compare", "slow"], default="compare",
                    help="compare (default): the bridge, then the Go yardstick; slow: the "
                         "slow-receiver matrix")
    ap.add_argument("--messages", type=int, default=0,
                    help="events per round (default 200,000; with a slow receiver, about "
                         "--slow-seconds at the round's bound)")
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--max-in-flight", type=int, default=64,
                    help="delivery.max_in_flight, the bridge's global cap (default 64)")
    ap.add_argument("--ordering", choices=["partition", "key", "none"],
                    help="the bridge hook's ordering (written into the config only when not "
                         "partition)")
    ap.add_argument("--hook-max-in-flight", type=int, default=0,
                    help="the bridge hook's max_in_flight (default: --max-in-flight with "
                         "--ordering key or none; not written otherwise)")
    ap.add_argument("--keys", type=int, default=0,
                    help="spread the events' row ids (and Kafka keys) over this many ids, "
                         "drawn at random, each key in one partition (default: every event "
                         "its own id, round-robin over the partitions; 10,000 in --scenario "
                         "slow)")
    ap.add_argument("--slow-receiver-ms", type=int, default=0,
                    help="the receiver answers each request after this many ms (default 0; "
                         "50 in --scenario slow)")
    ap.add_argument("--slow-seconds", type=float, default=15,
                    help="with a slow receiver: events per round = this many seconds at the "
                         "round's concurrency bound (default 15)")
    ap.add_argument("--slow-partitions", type=int, nargs="+", default=[8, 1],
                    help="--scenario slow: the partition counts (default 8 1)")
    ap.add_argument("--slow-orderings", nargs="+", default=["partition", "key", "none"],
                    choices=["partition", "key", "none"],
                    help="--scenario slow: the bridge's ordering modes (default all three)")
    ap.add_argument("--partition-window", type=int, default=0,
                    help="delivery.partition_window (default: the bridge's default)")
    ap.add_argument("--kafka-property", action="append", default=[], metavar="KEY=VALUE",
                    help="extra kafka.properties entry for the bridge (repeatable)")
    ap.add_argument("--producer-property", action="append", default=[], metavar="KEY=VALUE",
                    help="a librdkafka property of the benchmark's producer, repeatable (e.g. "
                    "batch.size=16384: Kafka Connect's batches, as Debezium produces them)")
    ap.add_argument("--log-level", default="info", help="the bridge's log_level")
    ap.add_argument("--rate", type=int, default=0,
                    help="produce at most this many msgs/s (default: as fast as possible)")
    ap.add_argument("--burst", type=int, default=1,
                    help="with --rate: produce in bursts of this many messages (default 1: "
                         "every message at its own time)")
    ap.add_argument("--warmup-seconds", type=float, default=5,
                    help="events produced and delivered before the clock starts, in seconds at "
                         "--rate (or 1,000/s); at least one per partition (default 5; with a "
                         "slow receiver, 1 s at the bound)")
    ap.add_argument("--commit-interval-ms", type=int, default=100,
                    help="the bridge's delivery.commit_interval_ms and the Go yardstick's "
                         "commit interval (default 100)")
    ap.add_argument("--wrk", default=shutil.which("wrk") or "wrk")
    ap.add_argument("--wrk-seconds", type=int, default=10,
                    help="0: no wrk ceiling (none with a slow receiver either)")
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--wrk-connections", type=int, default=0,
                    help="default: the bridge's concurrency bound, min(partitions x 1 hook, "
                         "max-in-flight)")
    ap.add_argument("--timeout", type=int, default=180,
                    help="give up when delivery takes longer (s)")
    ap.add_argument("--json", help="also write the results here as JSON")
    args = ap.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    if args.scenario == "slow":
        return run_slow(args)
    return run_compare(args)


if __name__ == "__main__":
    sys.exit(main())
