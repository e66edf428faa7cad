"""Time the catalogue's list page in-process, on whatever database the settings point at.

    DJANGO_DEBUG=1 .venv/bin/python benchmarks/list_page.py          # the local db.sqlite3
    DATABASE_URL=postgres://... .venv/bin/python benchmarks/list_page.py

Prints, for each URL, the queries the page runs and the median and 95th-percentile time of
rendering it through Django's test client (no network, no web server), after a warm-up.
Load the seed data first (`make run` does, or `manage.py loadseed`).
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

URLS = [
    "/case-studies/",
    "/case-studies/?response=collaborate&service=adult-social-care",
    "/case-studies/?q=libraries",
    "/case-studies/?q=health&sector=nhs&council_type=unitary&council_type=metropolitan-borough",
    "/case-studies/wigan-deal/",
]
RUNS = 100


def main() -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    print(f"database: {connection.vendor}, {RUNS} runs per URL after 10 warm-up runs")
    print(f"{'URL':<90} {'queries':>7} {'p50 ms':>7} {'p95 ms':>7}")
    for url in URLS:
        queries: list[str] = []

        def count_query(execute, sql, *args, queries=queries):
            queries.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(count_query):
            assert client.get(url).status_code == 200, url
        for _ in range(10):
            client.get(url)
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"{url:<90} {len(queries):>7} {statistics.median(times):>7.1f} {p95:>7.1f}")


if __name__ == "__main__":
    main()
