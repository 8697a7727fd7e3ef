"""PERSCOM's ten tables as a MySQL/MariaDB database, for the Debezium chain.

The columns and their order are those of docs/perscom-wire.md (shared docs) and schemas/*.avsc;
the SQL types are what PERSCOM's Laravel migrations give a MySQL-family database:

- ids `BIGINT UNSIGNED AUTO_INCREMENT`, foreign ids `BIGINT UNSIGNED NULL`;
- booleans `TINYINT(1)` (Laravel's `boolean`);
- JSON columns `JSON` (on MariaDB an alias of `LONGTEXT` with a `JSON_VALID` check: the text is
  kept as written);
- `created_at`/`updated_at` `TIMESTAMP NULL` (Laravel's `timestamps()`);
- `users.email_verified_at`, `submissions.read_at` `TIMESTAMP NULL`; `users.last_seen_at` and
  `users.notes_updated_at` `TIMESTAMP(6) NULL`, the event times `DATETIME(6)` (µs) —
  a choice of this test, so that TIMESTAMP, TIMESTAMP(6) and DATETIME(6) all occur;
- `records_ranks.type` `TINYINT NOT NULL` (an integer that Debezium sends exactly like a
  `TINYINT(1)` boolean: only the catalog can tell them apart);
- the custom-field column `data` `JSON NULL` (last, as in schemas/*.avsc).

Each column also carries the cast PERSCOM's model applies to it, which is what a webhook must
show: `int`, `bool`, `string`, `datetime`, `list` (Laravel `array` of strings), `custom` (the
custom-field JSON) and `hidden` (never sent).

Besides PERSCOM's tables the database holds tables that are not PERSCOM resources:
`migrations`, `password_reset_tokens` (Laravel's own), and `type_samples`, one column of each
MySQL type whose Debezium representation matters (DECIMAL, DATE, TIME, YEAR, ...).
"""

# table -> [(column, SQL type, cast)]
_TS = 'TIMESTAMP NULL DEFAULT NULL'
_FK = 'BIGINT UNSIGNED NULL'
_ID = 'BIGINT UNSIGNED NOT NULL AUTO_INCREMENT'


def _tail(custom):
    cols = [('created_at', _TS, 'datetime'), ('updated_at', _TS, 'datetime')]
    if custom:
        cols.append(('data', 'JSON NULL', 'custom'))
    return cols


TABLES = {
    'records_assignments': [
        ('id', _ID, 'int'), ('user_id', _FK, 'int'), ('status_id', _FK, 'int'),
        ('unit_id', _FK, 'int'), ('position_id', _FK, 'int'), ('specialty_id', _FK, 'int'),
        ('unit_slot_id', _FK, 'int'), ('document_id', _FK, 'int'), ('author_id', _FK, 'int'),
        ('type', 'VARCHAR(255) NULL', 'string'), ('text', 'TEXT NULL', 'string'),
    ] + _tail(True),
    'records_awards': [
        ('id', _ID, 'int'), ('user_id', _FK, 'int'), ('award_id', _FK, 'int'),
        ('document_id', _FK, 'int'), ('author_id', _FK, 'int'), ('text', 'TEXT NULL', 'string'),
    ] + _tail(True),
    'calendars': [
        ('id', _ID, 'int'), ('name', 'VARCHAR(255) NOT NULL', 'string'),
        ('description', 'TEXT NULL', 'string'), ('color', 'VARCHAR(255) NULL', 'string'),
    ] + _tail(False),
    'records_combat': [
        ('id', _ID, 'int'), ('user_id', _FK, 'int'), ('document_id', _FK, 'int'),
        ('author_id', _FK, 'int'), ('text', 'TEXT NOT NULL', 'string'),
    ] + _tail(True),
    'events': [
        ('id', _ID, 'int'), ('name', 'VARCHAR(255) NOT NULL', 'string'),
        ('calendar_id', _FK, 'int'), ('description', 'TEXT NULL', 'string'),
        ('content', 'TEXT NULL', 'string'), ('location', 'VARCHAR(255) NULL', 'string'),
        ('url', 'VARCHAR(255) NULL', 'string'), ('author_id', _FK, 'int'),
        ('all_day', 'TINYINT(1) NOT NULL DEFAULT 0', 'bool'),
        ('starts', 'DATETIME(6) NOT NULL', 'datetime'),
        ('ends', 'DATETIME(6) NULL', 'datetime'),
        ('repeats', 'TINYINT(1) NOT NULL DEFAULT 0', 'bool'),
        ('registration_enabled', 'TINYINT(1) NOT NULL DEFAULT 0', 'bool'),
        ('registration_deadline', 'DATETIME(6) NULL', 'datetime'),
        ('notifications_enabled', 'TINYINT(1) NOT NULL DEFAULT 0', 'bool'),
        ('notifications_interval', 'JSON NULL', 'list'),
        ('notifications_channels', 'JSON NULL', 'list'),
    ] + _tail(False),
    'records_qualifications': [
        ('id', _ID, 'int'), ('user_id', _FK, 'int'), ('qualification_id', _FK, 'int'),
        ('document_id', _FK, 'int'), ('author_id', _FK, 'int'), ('text', 'TEXT NULL', 'string'),
    ] + _tail(True),
    'records_ranks': [
        ('id', _ID, 'int'), ('user_id', _FK, 'int'), ('rank_id', _FK, 'int'),
        ('document_id', _FK, 'int'), ('author_id', _FK, 'int'), ('text', 'TEXT NULL', 'string'),
        ('type', 'TINYINT NOT NULL DEFAULT 0', 'int'),
    ] + _tail(True),
    'records_service': [
        ('id', _ID, 'int'), ('user_id', _FK, 'int'), ('document_id', _FK, 'int'),
        ('author_id', _FK, 'int'), ('text', 'TEXT NOT NULL', 'string'),
    ] + _tail(True),
    'submissions': [
        ('id', _ID, 'int'), ('form_id', 'BIGINT UNSIGNED NOT NULL', 'int'),
        ('user_id', _FK, 'int'), ('read_at', _TS, 'datetime'),
    ] + _tail(True),
    'users': [
        ('id', _ID, 'int'), ('name', 'VARCHAR(255) NOT NULL', 'string'),
        ('email', 'VARCHAR(255) NOT NULL', 'string'),
        ('email_verified_at', _TS, 'datetime'),
        ('password', 'VARCHAR(255) NULL', 'hidden'),
        ('remember_token', 'VARCHAR(100) NULL', 'hidden'),
        ('phone_number', 'VARCHAR(255) NULL', 'string'),
        ('position_id', _FK, 'int'), ('rank_id', _FK, 'int'), ('specialty_id', _FK, 'int'),
        ('status_id', _FK, 'int'), ('unit_id', _FK, 'int'), ('unit_slot_id', _FK, 'int'),
        ('approved', 'TINYINT(1) NOT NULL DEFAULT 0', 'bool'),
        ('notes', 'TEXT NULL', 'string'),
        ('notes_updated_at', 'TIMESTAMP(6) NULL DEFAULT NULL', 'datetime'),
        ('profile_photo', 'VARCHAR(255) NULL', 'string'),
        ('cover_photo', 'VARCHAR(255) NULL', 'string'),
        ('last_seen_at', 'TIMESTAMP(6) NULL DEFAULT NULL', 'datetime'),
        ('discord_user_id', 'VARCHAR(255) NULL', 'string'),
        ('discord_private_channel_id', 'VARCHAR(255) NULL', 'hidden'),
        ('facebook_user_id', 'VARCHAR(255) NULL', 'string'),
        ('github_user_id', 'VARCHAR(255) NULL', 'string'),
        ('google_user_id', 'VARCHAR(255) NULL', 'string'),
    ] + _tail(True),
}

# Tables of the same database that are not PERSCOM resources.
OTHER_TABLES = {
    'migrations': [
        ('id', 'INT UNSIGNED NOT NULL AUTO_INCREMENT', 'int'),
        ('migration', 'VARCHAR(255) NOT NULL', 'string'),
        ('batch', 'INT NOT NULL', 'int'),
    ],
    'password_reset_tokens': [
        ('email', 'VARCHAR(255) NOT NULL', 'string'),
        ('token', 'VARCHAR(255) NOT NULL', 'string'),
        ('created_at', _TS, 'datetime'),
    ],
    # One column per MySQL type whose Debezium form the bridge must know.
    'type_samples': [
        ('id', _ID, 'int'),
        ('flag', 'TINYINT(1) NULL', 'bool'),
        ('small', 'TINYINT NULL', 'int'),
        ('big_unsigned', 'BIGINT UNSIGNED NULL', 'int'),
        ('big_signed', 'BIGINT NULL', 'int'),
        ('int_unsigned', 'INT UNSIGNED NULL', 'int'),
        ('pay_grade', 'DECIMAL(5,2) NULL', 'decimal'),
        ('amount', 'DECIMAL(20,6) NULL', 'decimal'),
        ('ratio', 'DOUBLE NULL', 'float'),
        ('doc', 'JSON NULL', 'json'),
        ('day', 'DATE NULL', 'date'),
        ('clock', 'TIME NULL', 'time'),
        ('clock_us', 'TIME(6) NULL', 'time'),
        ('year_only', 'YEAR NULL', 'year'),
        ('dt', 'DATETIME NULL', 'datetime'),
        ('dt_ms', 'DATETIME(3) NULL', 'datetime'),
        ('dt_us', 'DATETIME(6) NULL', 'datetime'),
        ('ts', _TS, 'datetime'),
        ('ts_us', 'TIMESTAMP(6) NULL DEFAULT NULL', 'datetime'),
        ('bits', 'BIT(1) NULL', 'bits'),
        ('choice', "ENUM('primary','secondary') NULL", 'string'),
        ('blob_bytes', 'VARBINARY(16) NULL', 'bytes'),
    ],
}

PRIMARY_KEYS = {'password_reset_tokens': 'email'}

HIDDEN = {'users': ('password', 'remember_token', 'discord_private_channel_id')}


def create_table_sql(table, columns=None, name=None):
    cols = columns or TABLES.get(table) or OTHER_TABLES[table]
    pk = PRIMARY_KEYS.get(table, 'id')
    lines = ['`%s` %s' % (c, t) for c, t, _ in cols] + ['PRIMARY KEY (`%s`)' % pk]
    return ('CREATE TABLE `%s` (\n  %s\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 '
            'COLLATE=utf8mb4_unicode_ci' % (name or table, ',\n  '.join(lines)))


def casts(table):
    return {c: cast for c, _, cast in (TABLES.get(table) or OTHER_TABLES[table])}


def columns(table):
    return [c for c, _, _ in (TABLES.get(table) or OTHER_TABLES[table])]
