"""Does an edit stall readers? Worker start-up time and memory, and reader latency while a
case study is unpublished and published again, on a synthetic catalogue under gunicorn.

    .venv/bin/python benchmarks/edit_stall.py --database-url sqlite:///benchmarks/.data/synthetic-100k.sqlite3

It serves the app (production settings, page cache off, so every page reads the facet index)
and prints:
- start-up: seconds from starting gunicorn to the first 200 from /healthz, and to the first
  200 from the list page (which needs a facet index);
- each worker's RSS after start-up and again after the edits;
- reader latency (p50, p99, max) while `--readers` loops request the list page filtered to the
  edited case study's response type, and, for each edit, the slowest request in the 5 s after it
  and how long until no reader saw the old count any more ("visible everywhere");
- the load average with every figure (other work on the machine moves them).

The edits are made from this process through the ORM, as an editor's save is: each changes the
catalogue version. The data (see run.py, `--build-only`) must exist already.
"""

import argparse
import http.client
import os
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.run import LOOPBACK, ROOT, Servers, collect_static, worker_rss  # noqa: E402

HEADERS = {"X-Forwarded-Proto": "https", "Host": LOOPBACK}
COUNT = re.compile(rb'data-result-count="(\d+)"')


def loadavg() -> str:
    return "load " + " ".join(Path("/proc/loadavg").read_text().split()[:3])


def app_env(database_url: str, port: int, workers: int, static_root: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        BENCH_STATIC_ROOT=static_root,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=LOOPBACK,
        DJANGO_BEHIND_PROXY="1",
        DATABASE_URL=database_url,
        CATALOGUE_CACHE="0",
        GUNICORN_BIND=f"{LOOPBACK}:{port}",
        GUNICORN_ACCESS_LOG="/dev/null",
        WEB_CONCURRENCY=str(workers),
    )
    return env


def get(port: int, path: str, timeout: float = 60) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        connection.request("GET", path, headers=HEADERS)
        response = connection.getresponse()
        return response.status, response.read()
    except OSError:
        return 0, b""
    finally:
        connection.close()


def wait_for(port: int, path: str, started: float, limit: float = 120) -> float:
    while time.monotonic() - started < limit:
        status, _ = get(port, path, timeout=limit)
        if status == 200:
            return time.monotonic() - started
        time.sleep(0.05)
    raise SystemExit(f"{path} did not answer 200 within {limit:.0f} s")


class Readers:
    """Threads requesting one URL in a loop; every request's (start, seconds, count) kept."""

    def __init__(self, port: int, path: str, threads: int) -> None:
        self.port, self.path = port, path
        self.samples: list[tuple[float, float, int]] = []
        self.running = True
        self.threads = [threading.Thread(target=self.loop) for _ in range(threads)]

    def loop(self) -> None:
        while self.running:
            began = time.monotonic()
            status, body = get(self.port, self.path)
            took = time.monotonic() - began
            count = int(match[1]) if (match := COUNT.search(body)) else -1
            self.samples.append((began, took, count if status == 200 else -status))

    def __enter__(self) -> "Readers":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.running = False
        for thread in self.threads:
            thread.join()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, default=8107)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--edits", type=int, default=4, help="unpublish/publish, alternately")
    parser.add_argument("--gap", type=float, default=6.0, help="seconds between edits")
    options = parser.parse_args()
    if options.database_url.startswith("sqlite:///") and not options.database_url.startswith(
        "sqlite:////"
    ):
        options.database_url = f"sqlite:///{ROOT / options.database_url[10:]}"

    static_root = tempfile.mkdtemp(prefix="edit-stall-static-")
    env = app_env(options.database_url, options.port, options.workers, static_root)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")})
    os.environ.update(BENCH_STATIC_ROOT=static_root, DJANGO_SECRET_KEY=env["DJANGO_SECRET_KEY"])
    os.environ.update(DJANGO_ALLOWED_HOSTS=LOOPBACK, CATALOGUE_CACHE="0")
    collect_static(Path(static_root))
    import django

    django.setup()
    from catalogue.models import CaseStudy, Status

    edited = CaseStudy.objects.published().order_by("-published_at").first()
    path = f"/case-studies/?response={edited.response}"
    print(f"# {options.database_url}, {options.workers} workers, {options.readers} readers")
    print(f"before: {loadavg()}")

    servers = Servers(Path(static_root))
    started = time.monotonic()
    server = servers.start(
        "gunicorn",
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
        env=env,
        port=options.port,
    )
    try:
        healthz = wait_for(options.port, "/healthz", started)
        listed = wait_for(options.port, path, started)
        print(f"start: /healthz 200 after {healthz:.2f} s, list page 200 after {listed:.2f} s")
        time.sleep(1)
        # Every worker has answered a list page: their indexes are built.
        for _ in range(options.workers * 4):
            get(options.port, path)
        print(f"worker RSS after start (MB): {worker_rss(server.process.pid)}  {loadavg()}")

        edits: list[float] = []
        with Readers(options.port, path, options.readers) as readers:
            time.sleep(options.gap / 2)
            for n in range(options.edits):
                edited.refresh_from_db()
                edited.status = Status.DRAFT if n % 2 == 0 else Status.PUBLISHED
                edits.append(time.monotonic())
                edited.save()
                time.sleep(options.gap)
        samples = readers.samples
        print(f"worker RSS after edits (MB): {worker_rss(server.process.pid)}  {loadavg()}")
    finally:
        servers.stop_all()

    errors = [s for s in samples if s[2] < 0]
    took = sorted(s[1] for s in samples)
    p99 = took[min(len(took) - 1, int(len(took) * 0.99))]
    print(
        f"readers: {len(samples)} requests, {len(errors)} errors, p50 "
        f"{ms(statistics.median(took))}, p99 {ms(p99)}, max {ms(took[-1])}"
    )
    for n, at in enumerate(edits):
        # Until the next edit: a shorter window would cut off a slow rebuild's stale answers.
        after = [s for s in samples if at <= s[0] < at + options.gap]
        before_count = [s[2] for s in samples if s[0] + s[1] < at][-1:]
        stale = [s[0] + s[1] - at for s in after if before_count and s[2] == before_count[0]]
        print(
            f"edit {n + 1} ({'unpublish' if n % 2 == 0 else 'publish'}): slowest reader in the "
            f"next {options.gap:g} s {ms(max((s[1] for s in after), default=0))}, "
            f"old count last seen {max(stale, default=0):.2f} s after"
        )
    print(f"after: {loadavg()}")


if __name__ == "__main__":
    main()
