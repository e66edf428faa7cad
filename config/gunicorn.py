"""gunicorn settings: `gunicorn -c config/gunicorn.py config.wsgi` (what `make serve` runs).

Each worker is one process with its own database connection. Pages are CPU-bound in Python
(template rendering) with short database waits, so processes rather than threads use the
cores, and one per core plus one keeps them busy while a worker waits on the database. More
only adds switching and memory (each worker holds its own facet index): on 2 cores, at 16
connections on the 20,000-case-study list page, 5 workers served 77 requests/s on SQLite and
66 on PostgreSQL, 3 workers 83 and 74 (2 workers: 86 and 74).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
# gthread, even with one thread: a sync worker is killed when one request outlasts `timeout`,
# which cut a long export off after 30 s with a 200 already sent. A gthread worker's main
# thread keeps reporting while a request runs; slow database work is bounded instead by the
# database timeouts (config/settings.py).
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak can never take the site down; rarely, since a
# new worker rebuilds its facet index (about a second at 100,000 case studies).
max_requests = 50_000
max_requests_jitter = 5_000
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker) -> None:
    """Start building the worker's facet index in the background: the worker answers at once
    (static files, /healthz, pages that read SQL), and only requests that need the index wait
    for it (about a second at 100,000 case studies)."""
    from catalogue.exports import fill_missing_lines_in_background
    from catalogue.facets import start_rebuild

    try:
        start_rebuild()
    except Exception as error:  # the first request that needs the index will try again
        worker.log.warning("facet index not started: %s", error)
    # Export lines missing after a deploy (another layout) or a restore; exports make them
    # meanwhile. Failures are logged by the thread.
    fill_missing_lines_in_background()
