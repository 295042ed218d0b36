"""Gunicorn's settings for the site (gunicorn reads ./gunicorn.conf.py by itself).

Threaded workers (``gthread``): a request spends much of its time waiting for the
database or for SQLite's write lock, and threads wait cheaply; processes use the cores.
``WEB_WORKERS`` and ``WEB_THREADS`` override the defaults; command-line flags override
everything here.

A worker takes at most as many connections as it has threads, and answers each request
with ``Connection: close``: a worker whose threads are all busy stops accepting, so the
next connection goes to a worker with a free thread. With gunicorn's defaults (1,000
connections a worker, kept alive) the first worker to wake accepted every client that
arrived together and kept them: in the booking benchmark all 32 clients sat in one of
four workers, served on one core while three workers idled. The site runs behind a
proxy on the same machine (README, "Production shape"), which keeps the residents'
own connections alive; a new local connection per request costs little.

The access log (``--access-logfile``) never shows a private feed's token: the logger
below runs every value a log format may print through the site's ``redact``.
"""

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

# /metrics adds up every worker's counts (prometheus_client's multiprocess mode): each
# process writes its counts to files in this folder. It must be set before anything
# imports prometheus_client — so before the app, just below. A folder of our own unless
# PROMETHEUS_MULTIPROC_DIR names one (systemd: RuntimeDirectory); emptied at each start.
_OWN_METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="xiangqing-metrics-")
METRICS_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])

from gunicorn.glogging import Logger  # noqa: E402

from app.web.logs import redact  # noqa: E402

worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS") or min(2 * multiprocessing.cpu_count(), 8))
threads = int(os.environ.get("WEB_THREADS") or 8)
keepalive = 0  # gthread keeps connections alive only beyond its threads: none here


def on_starting(server):
    """Cap each worker's connections at its threads, unless set on purpose (the
    threads may come from the command line, after this file was read). Start the
    metrics with empty counts: the files of a previous run would add to them."""
    setting = server.cfg.settings["worker_connections"]
    if setting.value == setting.default:
        server.cfg.set("worker_connections", server.cfg.threads)
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for leftover in METRICS_DIR.glob("*.db"):
        leftover.unlink()


def child_exit(server, worker):
    """A worker gone: its counts stay (they happened), its live gauges go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(METRICS_DIR, ignore_errors=True)


class RedactingLogger(Logger):
    """gunicorn's logger (the ``logger_class`` setting), with the secret of every private
    feed URL taken out of the access log's atoms before they are formatted: the request
    line, path, query and referer, and every header and environ value a custom
    ``access_log_format`` may name. Credentials themselves (Authorization, Cookie,
    Set-Cookie) are never printed."""

    HIDDEN = frozenset({"{authorization}i", "{cookie}i", "{set-cookie}o",
                        "{http_authorization}e", "{http_cookie}e"})

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: self._printable(key, value) for key, value in atoms.items()}

    def _printable(self, key: str, value):
        if key in self.HIDDEN:
            return "-"
        return redact(value) if isinstance(value, str) else value


logger_class = RedactingLogger
