#!/usr/bin/env python3
"""Runs a command against a throw-away Kafka broker: broker.py --workdir DIR -- CMD ARGS...
appends --bootstrap HOST:PORT to CMD. Uses the integration tests' broker module."""
import sys

sys.exit("bench: no broker module yet; pass --bootstrap HOST:PORT to bench/run.sh")
