"""Gunicorn's settings for the site (gunicorn reads ./gunicorn.conf.py by itself).

Threaded workers (``gthread``): a request spends much of its time waiting for the
database or for SQLite's write lock, and threads wait cheaply; processes use the cores.
``WEB_WORKERS`` and ``WEB_THREADS`` override the defaults; command-line flags override
everything here.

A worker takes at most as many connections as it has threads. Gunicorn's default
(1,000) lets the first worker to wake accept every keep-alive connection that arrives
together — in the booking benchmark all 32 clients ended up in one of four workers,
which then ran every request on one core while three workers idled. Capped, new
connections wait in the listen queue until a worker has a free thread, so they spread
over the workers, and an idle keep-alive connection is dropped after ``keepalive``
seconds (gunicorn's default, 2), freeing its place.
"""

import multiprocessing
import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS") or min(2 * multiprocessing.cpu_count(), 8))
threads = int(os.environ.get("WEB_THREADS") or 8)


def on_starting(server):
    """Cap each worker's connections at its threads, unless set on purpose (the
    threads may come from the command line, after this file was read)."""
    setting = server.cfg.settings["worker_connections"]
    if setting.value == setting.default:
        server.cfg.set("worker_connections", server.cfg.threads)
