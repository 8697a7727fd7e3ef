"""A private MariaDB server (Debian's `mariadb-server`) for the Debezium chain.

The server runs as the current user (as root with --user=root, as CI does) with its own data
directory (mariadb-install-db), a private unix socket and a free 127.0.0.1 port, and the binlog
settings Debezium needs: log_bin, binlog_format=ROW, binlog_row_image=FULL, a server_id.
Its time zone is UTC, as PERSCOM's is, so TIMESTAMP columns read back as UTC wall time.
A user `debezium` (password `debezium`) gets the grants Debezium's MariaDB connector asks for.

Nothing is skipped: if the server does not come up, start() raises MariaDBError with the
tail of its error log.
"""
import calendar
import os
import shutil
import socket
import subprocess
import time

from . import server_proc

START_TIMEOUT_S = 60
REPL_USER = 'debezium'
REPL_PASSWORD = 'debezium'


class MariaDBError(RuntimeError):
    pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _tool(*names):
    for name in names:
        for d in ('/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'):
            p = os.path.join(d, name)
            if os.access(p, os.X_OK):
                return p
        p = shutil.which(name)
        if p:
            return p
    raise MariaDBError('%s not found: scripts/setup.sh installs Debian\'s mariadb-server'
                       % ' / '.join(names))


class MariaDB:
    def __init__(self, workdir, port=None, server_id=1):
        self.workdir = os.path.abspath(workdir)
        self.port = port or free_port()
        self.server_id = server_id
        self.datadir = os.path.join(self.workdir, 'data')
        self.socket = os.path.join(self.workdir, 'mysqld.sock')
        self.cnf = os.path.join(self.workdir, 'my.cnf')
        self.error_log = os.path.join(self.workdir, 'error.log')
        self.stdout_path = os.path.join(self.workdir, 'stdout.log')
        self.proc = None
        self.started_s = None  # seconds start() took

    def _user_args(self):
        return ['--user=root'] if os.geteuid() == 0 else []

    def _write_cnf(self):
        tmp = os.path.join(self.workdir, 'tmp')
        os.makedirs(tmp, exist_ok=True)
        settings = {
            'datadir': self.datadir,
            'socket': self.socket,
            'port': str(self.port),
            'bind-address': '127.0.0.1',
            'pid-file': os.path.join(self.workdir, 'mysqld.pid'),
            'log-error': self.error_log,
            'tmpdir': tmp,
            'skip-name-resolve': None,
            # what Debezium reads
            'server_id': str(self.server_id),
            'log_bin': os.path.join(self.datadir, 'binlog'),
            'binlog_format': 'ROW',
            'binlog_row_image': 'FULL',
            'expire_logs_days': '1',
            # PERSCOM runs in UTC; TIMESTAMP columns are stored and read in UTC
            'default-time-zone': '+00:00',
            'character-set-server': 'utf8mb4',
            'collation-server': 'utf8mb4_unicode_ci',
            # small and quick: a test server on a 2-core machine
            'innodb_buffer_pool_size': '64M',
            'innodb_log_file_size': '32M',
            'innodb_flush_log_at_trx_commit': '2',
            'sync_binlog': '0',
            'performance_schema': 'OFF',
            'max_connections': '64',
        }
        with open(self.cnf, 'w') as f:
            f.write('[client]\nsocket=%s\n\n[mariadbd]\n' % self.socket)
            for k, v in settings.items():
                f.write(k + '\n' if v is None else '%s=%s\n' % (k, v))

    def start(self, timeout=START_TIMEOUT_S):
        t0 = time.monotonic()
        os.makedirs(self.workdir, exist_ok=True)
        self._write_cnf()
        if not os.path.isdir(os.path.join(self.datadir, 'mysql')):
            inst = subprocess.run(
                [_tool('mariadb-install-db', 'mysql_install_db'), '--defaults-file=' + self.cnf,
                 '--datadir=' + self.datadir, '--auth-root-authentication-method=normal',
                 '--skip-test-db', '--skip-name-resolve'] + self._user_args(),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
            if inst.returncode != 0:
                raise MariaDBError('mariadb-install-db failed (exit %d):\n%s'
                                   % (inst.returncode, inst.stdout.decode(errors='replace')))
        out = open(self.stdout_path, 'ab')
        self.proc = subprocess.Popen(
            [_tool('mariadbd', 'mysqld'), '--defaults-file=' + self.cnf] + self._user_args(),
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.workdir,
            start_new_session=True)
        out.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise MariaDBError('mariadbd exited with %d while starting\n%s'
                                   % (self.proc.returncode, self.log_tail()))
            if os.path.exists(self.socket) and self._ping():
                break
            if time.monotonic() > deadline:
                self.stop()
                raise MariaDBError('mariadbd did not come up within %d s\n%s'
                                   % (timeout, self.log_tail()))
            time.sleep(0.2)
        self._grant()
        self.started_s = time.monotonic() - t0
        return self

    def _ping(self):
        try:
            conn = self.connect()
        except Exception:
            return False
        conn.close()
        return True

    def _grant(self):
        with self.connect() as conn, conn.cursor() as cur:
            for host in ('127.0.0.1', 'localhost'):
                cur.execute("CREATE USER IF NOT EXISTS '%s'@'%s' IDENTIFIED BY '%s'"
                            % (REPL_USER, host, REPL_PASSWORD))
                cur.execute("GRANT SELECT, RELOAD, SHOW DATABASES, LOCK TABLES, "
                            "REPLICATION SLAVE, BINLOG MONITOR, REPLICATION SLAVE ADMIN "
                            "ON *.* TO '%s'@'%s'" % (REPL_USER, host))

    def connect(self, database=None, autocommit=True):
        """A PyMySQL connection as root over the private socket, session time zone UTC."""
        import pymysql
        conn = pymysql.connect(unix_socket=self.socket, user='root', password='',
                               database=database, charset='utf8mb4', autocommit=autocommit,
                               connect_timeout=5, init_command="SET time_zone = '+00:00'")
        return conn

    def execute(self, statements, database=None):
        """Runs each statement (a string or a list of them) in autocommit mode."""
        if isinstance(statements, str):
            statements = [statements]
        with self.connect(database) as conn, conn.cursor() as cur:
            for s in statements:
                cur.execute(s)

    def log_tail(self, lines=60):
        return server_proc.log_tail((self.stdout_path, self.error_log), lines,
                                    '(no MariaDB log written)')

    def stop(self, timeout=30):
        server_proc.stop_group(self.proc, timeout)


def to_us(dt):
    """A naive datetime (UTC wall time, as the server's UTC session gives it) -> µs since the
    epoch (negative before 1970)."""
    return calendar.timegm(dt.timetuple()) * 1000000 + dt.microsecond
