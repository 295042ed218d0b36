"""The counters each process keeps for ``/metrics`` (app.web.metrics serves them).

prometheus_client's own metrics. Under gunicorn each worker is a process with its own
counts: gunicorn.conf.py sets ``PROMETHEUS_MULTIPROC_DIR`` before the app is imported,
so every worker writes its counts to files there and a scrape — whichever worker
answers it — adds up all of them (the client's multiprocess mode). What the database
knows (bookings, offers, the outbox, the scheduler's heartbeat) is read at the scrape
instead, the same from every worker and every machine.
"""

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "xq_http_requests", "HTTP requests answered, by endpoint, method and status.",
    ["endpoint", "method", "status"])
LATENCY = Histogram(
    "xq_http_request_duration_seconds", "Time to answer a request, by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
BOOKING_REFUSALS = Counter(
    "xq_booking_refusals", "Bookings the rules refused, by reason (the error code).",
    ["reason"])
