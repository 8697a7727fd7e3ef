#!/usr/bin/env python3
"""perscom-bridge benchmark driver (run it through bench/run.sh, which builds everything).

One run:
  1. start the Go receiver (answers 204, verifies signatures, records latencies);
  2. create a fresh topic (--partitions) and start the bridge with one POST hook on it;
  3. wait until the bridge's group owns every partition;
  4. warm up: --warmup-seconds of events (at --rate, or 1,000/s without it; at least one per
     partition), produced and waited for until the receiver (and the Kafka floor, when there is
     one) got them all; then the receiver's counters are reset, so the figures are of a running
     bridge and broker, not of their first fetches, connections and JIT compilation;
  5. pre-encode --messages Avro change events (records_ranks, op c), then produce them as fast
     as the producer goes, or paced at --rate (each message at its own time, or in --burst
     groups); each event's source.ts_us, which becomes the webhook's "created", is patched to
     the produce time just before it is handed to the producer; poll the group's committed
     offsets until they equal the end offsets: throughput is messages / (last offset committed -
     first message produced); latency percentiles, the stall detector, and the same for the
     Kafka floor (bench/kafkafloor.c, a plain consumer reading the same topic);
  6. read the bridge's VmHWM (peak RSS) from /proc, stop it with SIGTERM;
  7. drive the same receiver with wrk for --wrk-seconds, POSTing a body the bridge sent (same
     size, same Signature), with as many connections as the bridge really opened: the ceiling.
"""

import argparse
import array
import hashlib
import hmac
import io
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

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


def encode_events(count, now_us, first_row=FIRST_ROW):
    """Pre-encodes count create events (data.id first_row, first_row + 1, ...); returns
    (prefix, suffix) byte pairs: value = prefix + zigzag_varint(produce_time_us) + suffix."""
    with open(os.path.join(ROOT, "schemas", "records_ranks.avsc")) as f:
        schema = fastavro.parse_schema(json.load(f))
    marker = zigzag_varint(SENTINEL_US)
    events = []
    for i in range(count):
        row = {
            "id": first_row + i,
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
        events.append((value[:at], value[at + len(marker):]))
    return events


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
            raise RuntimeError("the bridge exited early with status %d" % proc.returncode)
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
    raise RuntimeError("the bridge did not get all %d partitions within %d s"
                       % (partitions, timeout))


def cpu_seconds(pid):
    """utime + stime of a live process, seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def produce(bootstrap, topic, partitions, warmup, warmup_rate, events, rate, burst, created_us,
            warmed):
    """Produces warmup at warmup_rate and calls warmed() once they are acknowledged; then events,
    paced at rate (in groups of burst) when rate is set. Returns the times of the first measured
    message and of the last acknowledgement."""
    p = Producer({
        "bootstrap.servers": bootstrap,
        "linger.ms": 1,
        "queue.buffering.max.messages": len(events) + 1000,
        "queue.buffering.max.kbytes": 1048576,
    })
    errors = []

    def on_delivery(err, _msg):
        if err is not None:
            errors.append(err)

    start = time.time()
    for i, (pre, post) in enumerate(warmup):
        ahead = start + i / warmup_rate - time.time()
        if ahead > 0:
            time.sleep(ahead)
        p.produce(topic, pre + zigzag_varint(time.time_ns() // 1000) + post,
                  key=str(WARMUP_ROW + i), partition=i % partitions, on_delivery=on_delivery)
        p.poll(0)
    p.flush(30)
    warmed()
    first = time.time()
    for i, (pre, post) in enumerate(events):
        if rate and i % burst == 0:
            ahead = first + i / rate - time.time()
            if ahead > 0:
                time.sleep(ahead)
        created_us[i] = time.time_ns() // 1000
        value = pre + zigzag_varint(created_us[i]) + post
        p.produce(topic, value, key=str(FIRST_ROW + i), partition=i % partitions,
                  on_delivery=on_delivery)
        if i % 1000 == 0:
            p.poll(0)
    p.flush(60)
    produced = time.time()
    if errors or len(p) != 0:
        raise RuntimeError("produce failed: %d error(s), first %s; %d unsent"
                           % (len(errors), errors[:1], len(p)))
    return first, produced


def wait_committed(bootstrap, group, topic, partitions, total, proc, timeout):
    """Polls committed offsets until they equal the end offsets; returns the time seen."""
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
                raise RuntimeError("the bridge exited early with status %d" % proc.returncode)
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
    reads the same topic and notes each arrival, so a run shows what Kafka alone costs."""

    def __init__(self, binary, bootstrap, topic, partitions, warmup, count, props, workdir):
        self.path = os.path.join(workdir, "floor.txt")
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.log = open(os.path.join(workdir, "floor.log"), "w")
        self.proc = subprocess.Popen([binary, bootstrap, topic, str(partitions), str(warmup),
                                      str(count), self.path] + props, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)
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

    def trace(self, created_us):
        """Its arrivals in the receiver's trace format: "<unix ns> 0 <latency us> <row>"."""
        lines = []
        with open(self.path) as f:
            for line in f:
                ns, key = line.split()
                row = int(key)
                if row >= FIRST_ROW:
                    lines.append("%s 0 %d %d" % (ns, int(ns) // 1000 - created_us[row - FIRST_ROW],
                                                 row))
        return "\n".join(lines)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=15)
        self.log.close()


def over_floor_ms(trace, floor_trace):
    """Per message, receipt at the receiver minus arrival at the floor consumer, sorted (ms):
    what the bridge adds to Kafka's own latency (its fetch and wake-up, decode, render, sign,
    HTTP), message by message. Negative when the bridge's fetch came first."""
    arrived = {}
    for line in floor_trace.splitlines():
        ns, _conn, _lat, row = line.split()
        arrived[int(row)] = int(ns)
    deltas = []
    for line in trace.splitlines():
        ns, _conn, _lat, row = line.split()
        if int(row) in arrived:
            deltas.append((int(ns) - arrived[int(row)]) / 1e6)
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


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers")
    ap.add_argument("--bridge", required=True, help="the perscom-bridge binary")
    ap.add_argument("--receiver", required=True, help="the receiver binary")
    ap.add_argument("--floor", help="the Kafka floor consumer (bench-kafkafloor); without it, "
                    "no floor is measured")
    ap.add_argument("--workdir", required=True, help="directory for config, logs, wrk script")
    ap.add_argument("--messages", type=int, default=200000)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--max-in-flight", type=int, default=64)
    ap.add_argument("--partition-window", type=int, default=0,
                    help="delivery.partition_window (default: the bridge's default)")
    ap.add_argument("--kafka-property", action="append", default=[], metavar="KEY=VALUE",
                    help="extra kafka.properties entry for the bridge (repeatable)")
    ap.add_argument("--log-level", default="info", help="the bridge's log_level")
    ap.add_argument("--rate", type=int, default=0,
                    help="produce at most this many msgs/s (default: as fast as possible)")
    ap.add_argument("--burst", type=int, default=1,
                    help="with --rate: produce in bursts of this many messages (default 1: "
                         "every message at its own time)")
    ap.add_argument("--warmup-seconds", type=float, default=5,
                    help="events produced and delivered before the clock starts, in seconds at "
                         "--rate (or 1,000/s); at least one per partition (default 5)")
    ap.add_argument("--commit-interval-ms", type=int, default=100)
    ap.add_argument("--wrk", default=shutil.which("wrk") or "wrk")
    ap.add_argument("--wrk-seconds", type=int, default=10)
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--wrk-connections", type=int, default=0,
                    help="default: the bridge's concurrency bound, min(partitions x 1 hook, "
                         "max-in-flight)")
    ap.add_argument("--timeout", type=int, default=180,
                    help="give up when delivery takes longer (s)")
    ap.add_argument("--json", help="also write the results here as JSON")
    args = ap.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    warmup_rate = args.rate or 1000
    warmup_count = -(-max(args.partitions, int(warmup_rate * args.warmup_seconds)) //
                     args.partitions) * args.partitions  # a multiple of the partitions
    run_id = "%d-%d" % (int(time.time()), os.getpid())
    topic = "bench.b%s.records_ranks" % run_id.replace("-", "x")
    group = "perscom-bench-" + run_id
    procs = []
    floor = None
    admin = AdminClient({"bootstrap.servers": args.bootstrap, "log_level": 4})
    topic_created = False

    try:
        # 1. receiver
        port_file = os.path.join(args.workdir, "receiver.ports")
        if os.path.exists(port_file):
            os.unlink(port_file)
        recv_out = open(os.path.join(args.workdir, "receiver.out"), "w")
        recv = subprocess.Popen([args.receiver, "-secret", SECRET, "-port-file", port_file,
                                 "-expect", str(args.messages)], stdout=recv_out,
                                stderr=subprocess.STDOUT)
        procs.append(recv)
        for _ in range(100):
            if os.path.exists(port_file):
                break
            time.sleep(0.05)
        hook_port, control_port = map(int, open(port_file).read().split())
        control = "http://127.0.0.1:%d" % control_port
        hook_url = "http://127.0.0.1:%d/hook" % hook_port

        # 2. topic and bridge
        fs = admin.create_topics([NewTopic(topic, args.partitions, 1)], operation_timeout=30)
        fs[topic].result()
        topic_created = True
        props = "".join("    %s: \"%s\"\n" % tuple(kv.split("=", 1))
                        for kv in args.kafka_property)
        window = ("  partition_window: %d\n" % args.partition_window
                  if args.partition_window else "")
        conf_path = os.path.join(args.workdir, "bench.yaml")
        with open(conf_path, "w") as f:
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
delivery:
  max_in_flight: {args.max_in_flight}
  commit_interval_ms: {args.commit_interval_ms}
{window}log_level: {args.log_level}
""")
        if args.floor:
            floor = Floor(args.floor, args.bootstrap, topic, args.partitions, warmup_count,
                          args.messages, args.kafka_property, args.workdir)
        bridge_log = open(os.path.join(args.workdir, "bridge.log"), "w")
        bridge = subprocess.Popen([args.bridge, "run", "--config", conf_path],
                                  stdout=bridge_log, stderr=subprocess.STDOUT)
        procs.append(bridge)
        rss = RssWatcher(bridge.pid)
        rss.start()
        log("bridge pid %d, topic %s, %d partitions, group %s"
            % (bridge.pid, topic, args.partitions, group))

        # 3. wait for the assignment while encoding
        t0 = time.time()
        events = encode_events(args.messages, time.time_ns() // 1000)
        value_size = len(events[0][0]) + 8 + len(events[0][1])
        log("encoded %d events (%d bytes each) in %.1f s"
            % (len(events), value_size, time.time() - t0))
        warmup = encode_events(warmup_count, time.time_ns() // 1000, WARMUP_ROW)
        wait_assigned(args.bootstrap, group, topic, args.partitions, bridge, 60)
        rss_idle_kb = rss.hwm_kb
        cpu0 = {}

        def warmed():
            """4. the warm-up arrived everywhere: reset the receiver, start the clocks."""
            deadline = time.time() + 60
            while json.loads(http_get(control + "/_stats"))["requests"] < warmup_count:
                if time.time() > deadline or bridge.poll() is not None:
                    raise RuntimeError("the warm-up events were not delivered within 60 s")
                time.sleep(0.05)
            if floor:
                floor.expect("warm")
            http_post(control + "/_reset")
            cpu0["bridge"] = cpu_seconds(bridge.pid)
            cpu0["receiver"] = cpu_seconds(recv.pid)

        # 5. produce, wait for the commits
        created_us = array.array("q", bytes(8 * args.messages))
        first, produced = produce(args.bootstrap, topic, args.partitions, warmup, warmup_rate,
                                  events, args.rate, max(1, args.burst), created_us, warmed)
        del events
        log("produced %d in %.2f s (%.0f msgs/s)"
            % (args.messages, produced - first, args.messages / (produced - first)))
        committed = wait_committed(args.bootstrap, group, topic, args.partitions,
                                   args.messages + warmup_count, bridge, args.timeout)
        elapsed = committed - first
        st = json.loads(http_get(control + "/_stats"))
        sample = http_get(control + "/_sample")
        trace = http_get(control + "/_trace", timeout=60)
        with open(os.path.join(args.workdir, "trace.txt"), "wb") as f:
            f.write(trace)
        conc = concurrency(trace, args.partitions)
        stall = stalls(trace.decode(), args.partitions, first)
        floor_lat, floor_stall, added = [], None, []
        if floor:
            floor.finish(30)
            floor_trace = floor.trace(created_us)
            floor_lat = latencies_ms(floor_trace)
            floor_stall = stalls(floor_trace, args.partitions, first)
            added = over_floor_ms(trace.decode(), floor_trace)
            if len(floor_lat) != args.messages:
                log("the Kafka floor saw %d of %d messages" % (len(floor_lat), args.messages))

        # 6. peak RSS, stop the bridge
        bridge_cpu = cpu_seconds(bridge.pid) - cpu0["bridge"]
        recv_cpu = cpu_seconds(recv.pid) - cpu0["receiver"]
        rss.read()
        bridge.send_signal(signal.SIGTERM)
        rc = bridge.wait(timeout=30)
        rss.stop.set()
        rss.join()
        if rc != 0:
            raise RuntimeError("the bridge exited with status %d" % rc)
        if st["requests"] != args.messages or st["bad_signature"] != 0:
            raise RuntimeError("receiver saw %d request(s), %d bad signature(s); expected %d"
                               % (st["requests"], st["bad_signature"], args.messages))

        # 7. the ceiling: wrk against the same receiver
        conns = args.wrk_connections or min(args.partitions, args.max_in_flight)
        http_post(control + "/_reset")
        wrk_rps, _ = run_wrk(args.wrk, hook_url, sample, conns, min(args.wrk_threads, conns),
                             args.wrk_seconds, args.workdir)
        wst = json.loads(http_get(control + "/_stats"))
        if wst["bad_signature"] != 0:
            raise RuntimeError("wrk's requests failed the signature check")

        tput = args.messages / elapsed
        res = {
            "messages": args.messages,
            "partitions": args.partitions,
            "max_in_flight": args.max_in_flight,
            "value_bytes": value_size,
            "body_bytes": len(sample),
            "produce_seconds": round(produced - first, 3),
            "end_to_end_seconds": round(elapsed, 3),
            "throughput_msgs_per_s": round(tput),
            "latency_p50_ms": st["latency_p50_ms"],
            "latency_p90_ms": st["latency_p90_ms"],
            "latency_p99_ms": st["latency_p99_ms"],
            "latency_max_ms": st["latency_max_ms"],
            "rate_limit": args.rate,
            "burst": args.burst if args.rate else 0,
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
            "bridge_cpu_seconds": round(bridge_cpu, 2),
            "receiver_cpu_seconds": round(recv_cpu, 2),
            "peak_rss_mib": round(rss.hwm_kb / 1024, 1),
            "idle_rss_mib": round(rss_idle_kb / 1024, 1),
            "bridge_connections_opened": st["connections_opened"],
            "bridge_connections_peak": st["connections_peak"],
            "mean_partitions_per_10ms": round(conc[0], 2),
            "mean_connections_per_10ms": round(conc[1], 2),
            "idle_gaps_over_20ms": conc[2],
            "idle_gap_seconds": round(conc[3], 2),
            "wrk_connections": conns,
            "wrk_threads": min(args.wrk_threads, conns),
            "wrk_seconds": args.wrk_seconds,
            "wrk_requests_per_s": round(wrk_rps),
            "ratio": round(tput / wrk_rps, 3),
        }
        print()
        print("perscom-bridge benchmark: %d events, %d partitions, 1 POST hook, "
              "max_in_flight %d (body %d bytes)%s"
              % (args.messages, args.partitions, args.max_in_flight, len(sample),
                 (", produced at most %d msgs/s" % args.rate +
                  (" in bursts of %d" % args.burst if args.burst > 1 else ""))
                 if args.rate else ""))
        print("  produced in              %8.2f s   (%.0f msgs/s)"
              % (produced - first, args.messages / (produced - first)))
        print("  end-to-end               %8.2f s   first produced -> last offset committed"
              % elapsed)
        print("  throughput               %8.0f msgs/s" % tput)
        print("  latency produce->receipt p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms"
              % (st["latency_p50_ms"], st["latency_p90_ms"], st["latency_p99_ms"],
                 st["latency_max_ms"]))
        if floor_lat:
            print("  Kafka floor (no bridge)  p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms; "
                  "longest stall %.1f ms"
                  % (percentile(floor_lat, 50), percentile(floor_lat, 90),
                     percentile(floor_lat, 99), floor_lat[-1], floor_stall[0]))
            print("  bridge over the floor    p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.1f ms "
                  "(per message: receipt - floor's arrival)"
                  % (percentile(added, 50), percentile(added, 90), percentile(added, 99),
                     added[-1]))
        print("  longest stall            %.1f ms on partition %d, %.1f s into the run "
              "(%d partition(s) stalled > 50 ms then)" % stall[:4])
        print("  stalls > 50 ms           %d, %.2f s in all (partition-seconds)" % stall[4:])
        print("  CPU during delivery      bridge %.1f s (%.0f%% of one core), receiver %.1f s"
              % (bridge_cpu, 100 * bridge_cpu / elapsed, recv_cpu))
        print("  bridge peak RSS          %8.1f MiB (%.1f MiB before the first message)"
              % (rss.hwm_kb / 1024, rss_idle_kb / 1024))
        print("  bridge connections       %d opened, %d at once at most"
              % (st["connections_opened"], st["connections_peak"]))
        print("  lanes busy per 10 ms     %.1f partitions, %.1f connections (mean)"
              % conc[:2])
        print("  receiver idle > 20 ms    %d time(s), %.2f s in all" % conc[2:])
        print("  wrk ceiling              %8.0f req/s  (%d connection(s), %d thread(s), %d s)"
              % (wrk_rps, conns, min(args.wrk_threads, conns), args.wrk_seconds))
        print("  bridge / wrk             %8.3f" % (tput / wrk_rps))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(res, f, indent=2)
                f.write("\n")
        return 0
    finally:
        if floor:
            floor.stop()
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if topic_created:
            try:
                admin.delete_topics([topic], operation_timeout=30)[topic].result()
            except Exception as e:  # cleanup only
                log("could not delete topic %s: %s" % (topic, e))
            try:
                admin.delete_consumer_groups([group])[group].result()
            except Exception as e:  # cleanup only
                log("could not delete group %s: %s" % (group, e))


if __name__ == "__main__":
    sys.exit(main())
