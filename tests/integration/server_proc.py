"""What the harness's long-running servers (Kafka broker, Kafka Connect, MariaDB) share: the
tail of their log files for a failure message, and stopping their process group."""
import os
import signal
import subprocess


def log_tail(paths, lines, nothing):
    """The last `lines` lines of each file in paths that exists, headed by its path; `nothing`
    when none exists."""
    parts = []
    for path in paths:
        try:
            with open(path, 'rb') as f:
                text = f.read().decode(errors='replace').splitlines()
        except FileNotFoundError:
            continue
        parts.append('--- %s (last %d lines) ---\n%s' % (path, lines, '\n'.join(text[-lines:])))
    return '\n'.join(parts) or nothing


def stop_group(proc, timeout):
    """SIGTERM to proc's process group (started with start_new_session), SIGKILL after
    timeout seconds; nothing when it is not running."""
    if not proc or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
