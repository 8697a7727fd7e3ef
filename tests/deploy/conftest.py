"""Fixtures of tests/deploy: the integration tests' real Kafka broker, Schema Registry stand-in
and signature-checking receiver (tests/integration/conftest.py), for test_image.py."""
from integration.conftest import (  # noqa: F401 (fixtures and hooks, found by name)
    kafka,
    pytest_runtest_makereport,
    receiver,
    registry,
    uniq,
    workdir,
)
