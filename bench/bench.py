#!/usr/bin/env python3
"""perscom-bridge benchmark driver (run it through bench/run.sh, which builds everything).

One run:
  1. start the Go receiver (answers 204, verifies signatures, records latencies);
  2. create a fresh topic (--partitions) and start the bridge with one POST hook on it;
  3. wait until the bridge's group owns every partition;
  4. pre-encode --messages Avro change events (records_ranks, op c), then produce them as fast
     as the producer goes; each event's source.ts_us, which becomes the webhook's "created",
     is patched to the produce time just before it is handed to the producer;
  5. poll the group's committed offsets until they equal the end offsets: throughput is
     messages / (last offset committed - first message produced);
  6. read the bridge's VmHWM (peak RSS) from /proc, stop it with SIGTERM;
  7. drive the same receiver with wrk for --wrk-seconds, POSTing a body the bridge sent (same
     size, same Signature), with as many connections as the bridge really opened: the ceiling.
"""

import argparse
import hashlib
import hmac
import io
import json
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


def encode_events(count, now_us):
    """Pre-encodes count create events; returns (prefix, suffix) byte pairs: value =
    prefix + zigzag_varint(produce_time_us) + suffix."""
    with open(os.path.join(ROOT, "schemas", "records_ranks.avsc")) as f:
        schema = fastavro.parse_schema(json.load(f))
    marker = zigzag_varint(SENTINEL_US)
    events = []
    for i in range(count):
        row = {
            "id": 1000000 + i,
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


def produce(bootstrap, topic, partitions, events, rate):
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

    first = time.time()
    for i, (pre, post) in enumerate(events):
        if rate and i % 100 == 0:
            ahead = first + i / rate - time.time()
            if ahead > 0:
                time.sleep(ahead)
        value = pre + zigzag_varint(time.time_ns() // 1000) + post
        p.produce(topic, value, key=str(1000000 + i), partition=i % partitions,
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
        b[0].add((row - 1000000) % partitions)
        b[1].add(conn)
    if not buckets:
        return 0.0, 0.0, 0, 0.0
    times.sort()
    gaps = [b - a for a, b in zip(times, times[1:]) if b - a > 20000000]
    return (sum(len(b[0]) for b in buckets.values()) / len(buckets),
            sum(len(b[1]) for b in buckets.values()) / len(buckets),
            len(gaps), sum(gaps) / 1e9)


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
    run_id = "%d-%d" % (int(time.time()), os.getpid())
    topic = "bench.b%s.records_ranks" % run_id.replace("-", "x")
    group = "perscom-bench-" + run_id
    procs = []
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
        wait_assigned(args.bootstrap, group, topic, args.partitions, bridge, 60)
        rss_idle_kb = rss.hwm_kb

        # 4. produce, 5. wait for the commits
        bridge_cpu0 = cpu_seconds(bridge.pid)
        recv_cpu0 = cpu_seconds(recv.pid)
        first, produced = produce(args.bootstrap, topic, args.partitions, events, args.rate)
        del events
        log("produced %d in %.2f s (%.0f msgs/s)"
            % (args.messages, produced - first, args.messages / (produced - first)))
        committed = wait_committed(args.bootstrap, group, topic, args.partitions,
                                   args.messages, bridge, args.timeout)
        elapsed = committed - first
        st = json.loads(http_get(control + "/_stats"))
        sample = http_get(control + "/_sample")
        trace = http_get(control + "/_trace", timeout=60)
        with open(os.path.join(args.workdir, "trace.txt"), "wb") as f:
            f.write(trace)
        conc = concurrency(trace, args.partitions)

        # 6. peak RSS, stop the bridge
        bridge_cpu = cpu_seconds(bridge.pid) - bridge_cpu0
        recv_cpu = cpu_seconds(recv.pid) - recv_cpu0
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
                 ", produced at most %d msgs/s" % args.rate if args.rate else ""))
        print("  produced in              %8.2f s   (%.0f msgs/s)"
              % (produced - first, args.messages / (produced - first)))
        print("  end-to-end               %8.2f s   first produced -> last offset committed"
              % elapsed)
        print("  throughput               %8.0f msgs/s" % tput)
        print("  latency produce->receipt p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms"
              % (st["latency_p50_ms"], st["latency_p90_ms"], st["latency_p99_ms"],
                 st["latency_max_ms"]))
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
