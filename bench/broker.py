#!/usr/bin/env python3
"""Runs a command against a throw-away single-node Kafka broker:

    broker.py --workdir DIR -- CMD ARGS...

starts the integration tests' broker (tests/integration/kafka_broker.py: Apache Kafka 4.x,
KRaft, jars from tests/kafka/lib) with its data in DIR/broker (wiped first), runs
CMD ARGS... --bootstrap HOST:PORT, stops the broker and exits with CMD's status."""
import argparse
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from integration.kafka_broker import Broker, BrokerError  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        ap.error("no command")
    brokerdir = os.path.join(args.workdir, "broker")
    shutil.rmtree(brokerdir, ignore_errors=True)
    broker = Broker(brokerdir)
    t0 = time.monotonic()
    print("bench: starting a Kafka broker in %s" % brokerdir, file=sys.stderr, flush=True)
    try:
        broker.start()
    except BrokerError as e:
        print("bench: %s" % e, file=sys.stderr)
        return 1
    print("bench: broker up at %s after %.1f s" % (broker.bootstrap, time.monotonic() - t0),
          file=sys.stderr, flush=True)
    try:
        return subprocess.call(command + ["--bootstrap", broker.bootstrap])
    except KeyboardInterrupt:
        return 130
    finally:
        broker.stop()


if __name__ == "__main__":
    sys.exit(main())
