#!/usr/bin/env python3
"""Writes the binary fixtures of test_decode.c with fastavro, an Avro implementation
independent of avro-c. Run from this directory: python3 make_fixtures.py (needs fastavro)."""
import datetime
import io
import json

import fastavro

UTC = datetime.timezone.utc


def write(name, schema, record):
    parsed = fastavro.parse_schema(schema)
    out = io.BytesIO()
    fastavro.schemaless_writer(out, parsed, record)
    with open(name + ".bin", "wb") as f:
        f.write(out.getvalue())


# 1. The committed records_ranks schema, an update.
with open("../../../schemas/records_ranks.avsc") as f:
    ranks = json.load(f)
row = {
    "id": 12, "user_id": 3, "rank_id": 5, "document_id": None, "author_id": 1,
    "text": "Promoted \u00e9\u2603\U0001F396 a\u0000b </p>", "type": 0,
    "created_at": datetime.datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC),
    "updated_at": datetime.datetime(2026, 5, 1, 10, 0, 0, 123456, tzinfo=UTC),
    "data": "{\"reason\":\"merit\"}",
}
write("ranks_update", ranks, {
    "before": dict(row, text=None, type=1, updated_at=None, data=None),
    "after": row,
    "source": {"connector": "mysql", "db": "perscom", "table": "records_ranks",
               "ts_ms": 1777629600123, "ts_us": None},
    "op": "u", "ts_ms": 1777629600200, "ts_us": None,
})

# 2. A Debezium MySQL connector style envelope (connect.name conventions, extra source
#    fields, a transaction block), written with its own schema: a users create.
dbz = {
    "type": "record", "name": "Envelope", "namespace": "perscom.perscom.users",
    "connect.name": "perscom.perscom.users.Envelope",
    "fields": [
        {"name": "before", "type": ["null", {
            "type": "record", "name": "Value", "connect.name": "perscom.perscom.users.Value",
            "fields": [
                {"name": "id", "type": {"type": "long", "connect.type": "int64"}},
                {"name": "name", "type": "string"},
                {"name": "email", "type": "string"},
                {"name": "email_verified_at", "type": ["null", {
                    "type": "long", "connect.version": 1,
                    "connect.name": "io.debezium.time.Timestamp"}], "default": None},
                {"name": "password", "type": ["null", "string"], "default": None},
                {"name": "approved", "type": "boolean"},
                {"name": "last_seen_at", "type": ["null", {
                    "type": "string", "connect.version": 1,
                    "connect.name": "io.debezium.time.ZonedTimestamp"}], "default": None},
                {"name": "created_at", "type": ["null", {
                    "type": "long", "connect.version": 1,
                    "connect.name": "io.debezium.time.MicroTimestamp"}], "default": None},
                {"name": "updated_at", "type": ["null", {
                    "type": "long", "connect.version": 1,
                    "connect.name": "io.debezium.time.NanoTimestamp"}], "default": None},
                {"name": "data", "type": ["null", "string"], "default": None},
            ]}], "default": None},
        {"name": "after", "type": ["null", "Value"], "default": None},
        {"name": "source", "type": {
            "type": "record", "name": "Source", "namespace": "io.debezium.connector.mysql",
            "fields": [
                {"name": "version", "type": "string"},
                {"name": "connector", "type": "string"},
                {"name": "name", "type": "string"},
                {"name": "ts_ms", "type": "long"},
                {"name": "snapshot", "type": [{"type": "string", "connect.version": 1,
                    "connect.parameters": {"allowed": "true,last,false,incremental"},
                    "connect.default": "false",
                    "connect.name": "io.debezium.data.Enum"}, "null"], "default": "false"},
                {"name": "db", "type": "string"},
                {"name": "table", "type": ["null", "string"], "default": None},
                {"name": "server_id", "type": "long"},
                {"name": "file", "type": "string"},
                {"name": "pos", "type": "long"},
                {"name": "row", "type": "int"},
            ]}},
        {"name": "op", "type": "string"},
        {"name": "ts_ms", "type": ["null", "long"], "default": None},
        {"name": "transaction", "type": ["null", {
            "type": "record", "name": "block", "namespace": "event",
            "fields": [{"name": "id", "type": "string"},
                       {"name": "total_order", "type": "long"},
                       {"name": "data_collection_order", "type": "long"}]}],
         "default": None},
    ],
}
with open("debezium_users.avsc", "w") as f:
    json.dump(dbz, f, indent=1)
    f.write("\n")
write("debezium_users", dbz, {
    "before": None,
    "after": {
        "id": 3, "name": "Jane Doe", "email": "jane@example.com",
        "email_verified_at": 1735732800000, "password": "$2y$10$hash", "approved": True,
        "last_seen_at": "2026-05-01T12:00:00.123456+02:00",
        "created_at": 1777629600123456, "updated_at": 1777629600123456789,
        "data": None,
    },
    "source": {"version": "2.5.0.Final", "connector": "mysql", "name": "perscom",
               "ts_ms": 1777629600000, "snapshot": "false", "db": "perscom",
               "table": "users", "server_id": 1, "file": "binlog.000003", "pos": 1234,
               "row": 0},
    "op": "c", "ts_ms": 1777629600321,
    "transaction": None,
})
