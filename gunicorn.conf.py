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
"""

import multiprocessing
import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS") or min(2 * multiprocessing.cpu_count(), 8))
threads = int(os.environ.get("WEB_THREADS") or 8)
keepalive = 0  # gthread keeps connections alive only beyond its threads: none here


def on_starting(server):
    """Cap each worker's connections at its threads, unless set on purpose (the
    threads may come from the command line, after this file was read)."""
    setting = server.cfg.settings["worker_connections"]
    if setting.value == setting.default:
        server.cfg.set("worker_connections", server.cfg.threads)
