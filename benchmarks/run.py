"""Our catalogue against Datasette on the same synthetic case studies, under the same load.

    .venv/bin/python benchmarks/run.py                       # 1k, 20k, 100k; SQLite and PostgreSQL
    .venv/bin/python benchmarks/run.py --sizes 1000 --databases sqlite --duration 3

For each size it builds (or reuses) a synthetic catalogue per database, exports the same case
studies with the same meaning to SQLite for Datasette (benchmarks/peer.py), serves the app
with gunicorn (one worker by default, as Datasette is one process) under production settings
(cold: CATALOGUE_CACHE=0; warm: CATALOGUE_CACHE=1, on Redis with --redis) and Datasette
with facet suggestions off and its time limits raised, all on 127.0.0.1, checks every URL
with curl (both must match the same number of case studies), warms it for 2 s and times it
with wrk at each connection count. It prints one table (and writes it to --output):
requests/s, p50 and p99 for both, and the ratio ours/Datasette. See README.md.
"""

import argparse
import contextlib
import csv
import ctypes
import datetime
import functools
import io
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the project root makes `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks import peer  # noqa: E402  (after the path, for a script run)

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "benchmarks"
PEER_VENV = HERE / ".venv-peer"
PEER_REQUIREMENTS = HERE / "requirements-peer.txt"
LOOPBACK = "127.0.0.1"
WARM_UP_SECONDS = 2
# wrk's default socket timeout (2 s) would drop Datasette's slowest answers at 16 connections
# from its latency figures: wait as long as a request takes, within reason.
WRK_TIMEOUT = "30s"
SYNTHETIC_PREFIX = "synthetic-"


@dataclass(frozen=True)
class Scenario:
    """One timed scenario: the same case studies asked of both servers."""

    name: str
    meaning: str
    ours: str
    peer: str
    kind: str  # "list", "csv" or "detail": what the curl check looks for


# Every scenario asks both servers the same question of the same case studies, and the checks
# compare the counts (../shared/bench/README.md, "Same meaning on both sides"): the peer has
# every service area (a JSON array for its array facet, a many-to-many table for `_through`),
# full-text search over the same four texts with the same tokenizer, and every CSV column of
# ours (benchmarks/peer.py). List pages show 20 case studies; Datasette counts the two facets
# ours shows first (response and service area), ours all eight.
PEER_FACETS = "_facet=response&_facet_array=service_areas&_size=20"
THROUGH_HOUSING = urllib.parse.quote(
    json.dumps({"table": "case_service_areas", "column": "service_area", "value": "housing"}),
    safe="",
)
SCENARIOS = [
    Scenario(
        "facet",
        "list page, response type filter, facet counts",
        "/case-studies/?response=collaborate",
        f"/catalogue/cases?response=collaborate&{PEER_FACETS}",
        "list",
    ),
    Scenario(
        "list",
        "list page, response type and service area filters, facet counts",
        "/case-studies/?response=collaborate&service=housing",
        # The response as `_where`: Datasette 0.65 names both this filter's parameter and
        # `_through`'s p0, so with `response=` the service area overwrote the response.
        f"/catalogue/cases?_where=response%3D%27collaborate%27&_through={THROUGH_HOUSING}"
        f"&{PEER_FACETS}",
        "list",
    ),
    Scenario(
        "search",
        "full-text search for 'flooding', first page, facet counts",
        "/case-studies/?q=flooding",
        f"/catalogue/cases?_search=flooding&{PEER_FACETS}",
        "list",
    ),
    Scenario(
        "csv",
        "CSV export of collaborate case studies started in 2015, every column",
        "/case-studies/export.csv?response=collaborate&year_from=2015&year_to=2015",
        "/catalogue/cases.csv?response=collaborate&start_year=2015&_stream=on",
        "csv",
    ),
    Scenario(
        "detail",
        "one case study's page (the middle one by id)",
        "/case-studies/{slug}/",
        "/catalogue/cases/{id}",
        "detail",
    ),
]
SCENARIO_NAMES = [s.name for s in SCENARIOS]


class HarnessError(Exception):
    """Something the person running the benchmark must fix; said plainly, no traceback."""


# -- small helpers ---------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def size_label(size: int) -> str:
    return f"{size // 1000}k" if size >= 1000 and size % 1000 == 0 else str(size)


def parse_size(text: str) -> int:
    text = text.strip().lower().replace("_", "").replace(",", "")
    size = int(text[:-1]) * 1000 if text.endswith("k") else int(text)
    if size < 1:
        raise argparse.ArgumentTypeError("sizes must be at least 1")
    return size


def parse_seconds(text: str) -> int:
    match = re.fullmatch(r"(\d+)\s*([sm]?)", text.strip().lower())
    if not match or int(match[1]) < 1:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (say 10 or 10s or 1m)")
    return int(match[1]) * (60 if match[2] == "m" else 1)


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f} ms"
    return f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"


def fmt_rps(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def run(cmd: list[str], *, env: dict | None = None, timeout: float, what: str) -> str:
    """Run a bounded command; on failure raise with the end of its output."""
    try:
        done = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise HarnessError(f"{what}: gave up after {timeout:.0f} s") from error
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise HarnessError(f"{what} failed (exit {done.returncode}):\n{tail}")
    return done.stdout


def port_is_free(port: int) -> bool:
    """Nothing listens there. SO_REUSEADDR as servers use it: the TIME_WAIT connections that
    a finished wrk run leaves behind do not make a port taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def require_free_port(port: int) -> None:
    if not port_is_free(port):
        raise HarnessError(
            f"port {port} on {LOOPBACK} is taken by another process. Stop it, or choose other "
            f"ports with --port (the harness uses --port and --port + 1)."
        )


def app_reads(name: str) -> bool:
    """Whether this checkout's app code mentions an environment variable at all."""
    for folder in ("config", "catalogue", "partnerships"):
        for path in (ROOT / folder).rglob("*.py"):
            if name in path.read_text(encoding="utf-8", errors="replace"):
                return True
    return False


# -- servers: started in their own process group, always stopped -----------------------------


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the harness itself dies (even by SIGKILL). Linux only."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    log_path: Path
    port: int

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Servers:
    """Every server the harness starts; `stop_all` ends each one's process group by its id."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.running: list[Server] = []

    def start(self, name: str, cmd: list[str], *, env: dict, port: int) -> Server:
        require_free_port(port)
        log_path = self.workdir / f"{name}-{port}-{len(self.running)}.log"
        with log_path.open("w") as log_file:
            process = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: workers die with it
                preexec_fn=_die_with_parent,  # the harness has no other threads
            )
        server = Server(name, process, log_path, port)
        self.running.append(server)
        return server

    def wait_ready(self, server: Server, path: str, headers: dict, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise HarnessError(
                    f"{server.name} exited (code {server.process.returncode}) before it "
                    f"answered on port {server.port}:\n{server.log_tail()}"
                )
            status, _, _ = curl(f"http://{LOOPBACK}:{server.port}{path}", headers, timeout=5)
            if status == 200:
                return
            time.sleep(0.3)
        raise HarnessError(
            f"{server.name} did not answer 200 on {path} within {timeout:.0f} s:\n"
            f"{server.log_tail()}"
        )

    def stop(self, server: Server) -> None:
        if server.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGTERM)
            try:
                server.process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait(timeout=10)
        # Workers of a process group can outlive their master for a moment.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(server.process.pid, signal.SIGKILL)
        if server in self.running:
            self.running.remove(server)

    def stop_all(self) -> None:
        for server in list(self.running):
            with contextlib.suppress(Exception):
                self.stop(server)


# -- HTTP: curl for the checks, wrk for the timings -----------------------------------------


def curl(url: str, headers: dict, *, timeout: float = 120) -> tuple[int, int, bytes]:
    """(status, bytes, body) of one GET; status 0 if nothing answered."""
    assert url.startswith(f"http://{LOOPBACK}:"), url  # loopback only, always
    with tempfile.NamedTemporaryFile() as body_file:
        cmd = ["curl", "-s", "-o", body_file.name, "-w", "%{http_code} %{size_download}"]
        cmd += ["--max-time", str(int(timeout))]
        for key, value in headers.items():
            cmd += ["-H", f"{key}: {value}"]
        done = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=timeout + 10)
        try:
            status, size = done.stdout.split()
            return int(status), int(float(size)), Path(body_file.name).read_bytes()
        except ValueError:
            return 0, 0, b""


@dataclass
class Timing:
    rps: float
    p50: float | None  # None when no request completed
    p99: float | None
    requests: int
    errors: str = ""


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def to_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(text)
    return float(match[1]) * UNITS_MS[match[2]]


def parse_wrk(output: str) -> Timing:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"^\s+(\d+) requests in", output, re.M)
    if not (rps and p50 and p99 and total):
        raise HarnessError(f"could not read wrk's output:\n{output}")
    errors = [] if int(total[1]) else ["no request completed in time"]
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors.append(f"{match[1]} non-2xx")
    if match := re.search(r"Socket errors: (.*)", output):
        errors.append(f"socket errors: {match[1].strip()}")
    return Timing(
        rps=float(rps[1]),
        p50=to_ms(p50[1]) if int(total[1]) else None,
        p99=to_ms(p99[1]) if int(total[1]) else None,
        requests=int(total[1]),
        errors="; ".join(errors),
    )


def wrk(url: str, headers: dict, *, connections: int, seconds: int, latency: bool) -> str:
    assert url.startswith(f"http://{LOOPBACK}:"), url
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={WRK_TIMEOUT}"]
    if latency:
        cmd.append("--latency")
    for key, value in headers.items():
        cmd += ["-H", f"{key}: {value}"]
    done = subprocess.run(
        cmd + [url], capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if done.returncode != 0:
        raise HarnessError(f"wrk failed on {url}: {done.stderr.strip()}")
    return done.stdout


def measure(url: str, headers: dict, *, connections: int, seconds: int) -> Timing:
    wrk(url, headers, connections=connections, seconds=WARM_UP_SECONDS, latency=False)
    return parse_wrk(wrk(url, headers, connections=connections, seconds=seconds, latency=True))


# -- what each URL really returns (a fast empty page is no result) ---------------------------


@dataclass
class Check:
    status: int
    size: int
    results: int | None = None  # matching case studies, rows in a CSV
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.problem


def check_ours(url: str, headers: dict, scenario: Scenario, expect_title: str) -> Check:
    status, size, body = curl(url, headers)
    check = Check(status, size)
    if status != 200:
        check.problem = f"status {status}"
        return check
    text = body.decode("utf-8", errors="replace")
    if scenario.kind == "list":
        count = re.search(r'data-result-count="(\d+)"', text)
        cards = text.count('class="card__title"')
        check.results = int(count[1]) if count else None
        if not count or check.results == 0 or cards == 0:
            check.problem = "empty result page"
    elif scenario.kind == "csv":
        check.results = max(len(list(csv.reader(io.StringIO(text)))) - 1, 0)
        if check.results == 0:
            check.problem = "CSV without rows"
    elif expect_title not in text:
        check.problem = "the case study's title is not on the page"
    return check


def check_peer(base: str, path: str, scenario: Scenario, expect_title: str) -> Check:
    status, size, body = curl(base + path, {})
    check = Check(status, size)
    if status != 200:
        check.problem = f"status {status}"
        return check
    text = body.decode("utf-8", errors="replace")
    if scenario.kind == "list":
        # The JSON of the same page says how many rows matched and how many are shown.
        _, _, data = curl(base + path.replace("/cases?", "/cases.json?", 1), {})
        payload = json.loads(data or b"{}")
        check.results = payload.get("filtered_table_rows_count")
        if not check.results or not payload.get("rows"):
            check.problem = "empty result page"
        if len(payload.get("facet_results", {})) < 2:
            check.problem = "facets not computed (timed out?)"
    elif scenario.kind == "csv":
        check.results = max(len(list(csv.reader(io.StringIO(text)))) - 1, 0)
        if check.results == 0:
            check.problem = "CSV without rows"
    elif expect_title not in text:
        check.problem = "the case study's title is not on the page"
    return check


# -- data: synthetic catalogues (one per database) and the peer's flat table -----------------


@dataclass
class Options:
    sizes: list[int]
    databases: list[str]
    modes: list[str]
    connections: list[int]
    scenarios: list[Scenario]
    seed: int
    seconds: int
    redis: bool
    redis_url: str
    rebuild: bool
    data_dir: Path
    postgres_url: str
    port: int
    workers: int | None
    threads: int | None
    peer_python: str
    output: Path
    build_only: bool


def management_env(database_url: str) -> dict:
    """Production settings for manage.py; the cache stays off while data is loaded."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=LOOPBACK,
        DATABASE_URL=database_url,
        CATALOGUE_CACHE="0",
    )
    return env


def manage(database_url: str, *args: str, timeout: float = 600) -> str:
    return run(
        [sys.executable, "manage.py", *args],
        env=management_env(database_url),
        timeout=timeout,
        what=f"manage.py {' '.join(args)}",
    )


def postgres_admin_url(options: Options, database: str) -> str:
    parts = urllib.parse.urlsplit(options.postgres_url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))


def postgres_execute(options: Options, sql: str) -> None:
    import psycopg  # the app's own driver, in the app's virtualenv

    with psycopg.connect(postgres_admin_url(options, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def published_count(database: str, url: str) -> tuple[int, int]:
    """(published case studies, case studies that are not synthetic) in a catalogue database."""
    sql_published = "SELECT count(*) FROM catalogue_casestudy WHERE status = 'published'"
    sql_real = (
        f"SELECT count(*) FROM catalogue_casestudy WHERE slug NOT LIKE '{SYNTHETIC_PREFIX}%'"
    )
    if database == "sqlite":
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
            return conn.execute(sql_published).fetchone()[0], conn.execute(sql_real).fetchone()[0]
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql_published).fetchone()[0], conn.execute(sql_real).fetchone()[0]


def synthetic_database(options: Options, database: str, size: int) -> tuple[str, bool]:
    """The DATABASE_URL of a synthetic catalogue of `size`, built if needed; (url, built now)."""
    label = f"{size_label(size)}" + (f"_s{options.seed}" if options.seed != 1 else "")
    if database == "sqlite":
        path = options.data_dir / f"synthetic-{label}.sqlite3"
        url = f"sqlite:///{path}"
        partial = path.with_suffix(".partial.sqlite3")
        partial_url = f"sqlite:///{partial}"
        exists = path.exists()
    else:
        name = f"bench_{label}"
        assert name.startswith("bench_")  # the only databases this harness may touch
        url = postgres_admin_url(options, name)
        partial_name = f"{name}_partial"
        partial_url = postgres_admin_url(options, partial_name)
        import psycopg

        with psycopg.connect(postgres_admin_url(options, "postgres")) as conn:
            exists = bool(
                conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            )
    if exists and not options.rebuild:
        # Migrations may have changed since it was built (new indexes): apply them, then check.
        manage(url, "migrate", "--no-input", "-v0", timeout=1800)
        published, real = published_count(database, url)
        if published == size and real == 0:
            # Stored export lines of this code's layout (after a change to it, none are).
            manage(url, "fillexportlines", timeout=1800)
            log(f"{database} {size_label(size)}: reusing {url}")
            return url, False
        log(f"{database} {size_label(size)}: holds {published} published, rebuilding")

    log(f"{database} {size_label(size)}: generating {size:,} synthetic case studies")
    started = time.monotonic()
    if database == "sqlite":
        for leftover in (partial, Path(f"{partial}-journal"), Path(f"{partial}-wal")):
            leftover.unlink(missing_ok=True)
    else:
        postgres_execute(options, f'DROP DATABASE IF EXISTS "{partial_name}" WITH (FORCE)')
        postgres_execute(options, f'CREATE DATABASE "{partial_name}"')
    manage(partial_url, "migrate", "--no-input", "-v0")
    manage(
        partial_url,
        "generatesynthetic",
        f"--count={size}",
        f"--seed={options.seed}",
        timeout=3600,
    )
    manage(partial_url, "fillexportlines", timeout=3600)  # as a server would, in the background
    # Built under another name and renamed at the end: an interrupted build is never reused.
    if database == "sqlite":
        partial.replace(path)
    else:
        postgres_execute(options, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        postgres_execute(options, f'ALTER DATABASE "{partial_name}" RENAME TO "{name}"')
    log(f"{database} {size_label(size)}: built in {time.monotonic() - started:.0f} s")
    return url, True


def peer_venv(options: Options) -> Path:
    """benchmarks/.venv-peer with Datasette, made once (git-ignored)."""
    datasette = PEER_VENV / "bin" / "datasette"
    if not datasette.exists():
        log(f"creating {PEER_VENV.relative_to(ROOT)} with {options.peer_python}")
        run([options.peer_python, "-m", "venv", str(PEER_VENV)], timeout=300, what="venv")
        run(
            [str(PEER_VENV / "bin" / "pip"), "install", "-q", "-r", str(PEER_REQUIREMENTS)],
            timeout=900,
            what="pip install datasette",
        )
    return PEER_VENV


def peer_database(options: Options, size: int, source_url: str, source_rebuilt: bool) -> Path:
    """The flat `cases` table (with FTS5) of the same case studies, as Datasette serves it.

    The synthetic data is the same for a size and seed on every database, so one peer file per
    size and seed serves the comparison with both. Datasette names the database after the
    file, hence catalogue.db in a folder per size.
    """
    label = f"{size_label(size)}-s{options.seed}"
    path = options.data_dir / f"peer-{label}" / "catalogue.db"
    reusable = path.exists() and not (options.rebuild or source_rebuilt)
    if reusable and peer.layout(path) == (peer.LAYOUT, size):
        log(f"peer {size_label(size)}: reusing {path}")
        return path
    log(f"peer {size_label(size)}: exporting the case studies with the same meaning")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.db")
    run(
        [sys.executable, str(HERE / "peer.py"), str(partial)],
        env=management_env(source_url),
        timeout=3600,
        what="peer export",
    )
    partial.replace(path)
    return path


def detail_target(peer_path: Path) -> dict:
    """The middle case study by id whose title needs no HTML escaping (so both pages show it)."""
    with contextlib.closing(sqlite3.connect(peer_path)) as conn:
        (count,) = conn.execute("SELECT count(*) FROM cases").fetchone()
        row = (
            conn.execute(
                "SELECT id, slug, title FROM cases WHERE title NOT GLOB '*[''\"&<>]*' "
                "ORDER BY id LIMIT 1 OFFSET ?",
                [max(count // 2 - 1, 0)],
            ).fetchone()
            or conn.execute("SELECT id, slug, title FROM cases LIMIT 1").fetchone()
        )
    return {"id": row[0], "slug": row[1], "title": row[2]}


# -- the run ---------------------------------------------------------------------------------


@dataclass
class Results:
    ours: dict = field(default_factory=dict)  # (scenario, size, db, mode, conns) -> Timing
    peer: dict = field(default_factory=dict)  # (scenario, size, conns) -> Timing
    ours_checks: dict = field(default_factory=dict)  # (scenario, size, db, mode) -> Check
    peer_checks: dict = field(default_factory=dict)  # (scenario, size) -> Check
    skipped: dict = field(default_factory=dict)  # (scenario, size, db, mode) -> reason
    failures: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    memory: dict = field(default_factory=dict)  # (size, db, mode) -> each worker's RSS, MB


def redis_command(url: str, *words: str) -> str:
    """Send one command to a loopback Redis (RESP over a socket; no client library needed)."""
    parts = urllib.parse.urlsplit(url)
    if parts.hostname not in {LOOPBACK, "localhost"}:
        raise HarnessError(f"refusing a Redis that is not on loopback: {url}")
    database = (parts.path or "/0").strip("/") or "0"
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=5) as sock:
            replies = []
            for command in (("SELECT", database), words):
                payload = f"*{len(command)}\r\n" + "".join(
                    f"${len(w.encode())}\r\n{w}\r\n" for w in command
                )
                sock.sendall(payload.encode())
                replies.append(sock.recv(4096).decode(errors="replace").strip())
    except OSError as error:
        raise HarnessError(f"Redis at {url} does not answer ({error}); or --no-redis") from error
    if not all(reply.startswith("+") for reply in replies):
        raise HarnessError(f"Redis at {url} said {replies}")
    return replies[-1]


def app_env(options: Options, database_url: str, mode: str, static_root: Path) -> dict:
    env = management_env(database_url)
    env.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        BENCH_STATIC_ROOT=str(static_root),
        DJANGO_BEHIND_PROXY="1",
        DJANGO_LOG_LEVEL="WARNING",
        GUNICORN_BIND=f"{LOOPBACK}:{options.port}",
        GUNICORN_ACCESS_LOG="/dev/null",
        CATALOGUE_CACHE="1" if mode == "warm" else "0",
    )
    if options.workers:  # 0: config/gunicorn.py's own number
        env["WEB_CONCURRENCY"] = str(options.workers)
    if options.threads:
        env["GUNICORN_THREADS"] = str(options.threads)
    if mode == "warm" and options.redis:
        env["REDIS_URL"] = options.redis_url
    return env


# As behind the TLS-terminating proxy: production settings with the HTTPS redirect satisfied
# (what .ci/load-test.sh does).
OUR_HEADERS = {"X-Forwarded-Proto": "https"}
# No facet suggestions (a catalogue with fixed filters does not suggest any; they cost about
# 85 ms a page), and time limits high enough that Datasette computes every facet it shows and
# finishes every query, as ours does.
PEER_SETTINGS = [
    *("--setting", "suggest_facets", "off"),
    *("--setting", "facet_time_limit_ms", "60000"),
    *("--setting", "sql_time_limit_ms", "60000"),
]


def start_datasette(servers: Servers, peer_path: Path, port: int) -> Server:
    """Datasette serving the peer, once it answers."""
    datasette = PEER_VENV / "bin" / "datasette"
    cmd = [str(datasette), "serve", str(peer_path), "-h", LOOPBACK, "-p", str(port)]
    cmd += ["--metadata", str(peer.metadata_path(peer_path)), *PEER_SETTINGS]
    server = servers.start("datasette", cmd, env=dict(os.environ), port=port)
    servers.wait_ready(server, "/-/versions.json", {})
    return server


def start_ours(servers: Servers, env: dict, port: int) -> Server:
    """Our gunicorn (config/gunicorn.py) with `env` (see app_env), once /healthz answers."""
    cmd = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py"]
    if gunicorn_has_control_socket():
        # Its default control socket is one path per user, shared with every other gunicorn.
        cmd.append("--no-control-socket")
    server = servers.start("gunicorn", [*cmd, "config.wsgi"], env=env, port=port)
    servers.wait_ready(server, "/healthz", OUR_HEADERS)
    return server


def bench_peer(
    options: Options, servers: Servers, results: Results, size: int, peer_path: Path, target: dict
) -> None:
    port = options.port + 1
    server = start_datasette(servers, peer_path, port)
    try:
        base = f"http://{LOOPBACK}:{port}"
        for scenario in options.scenarios:
            path = scenario.peer.format(**target)
            check = check_peer(base, path, scenario, target["title"])
            results.peer_checks[scenario.name, size] = check
            if not check.ok:
                results.failures.append(f"Datasette {scenario.name} {size_label(size)}: {check}")
                log(f"  Datasette {scenario.name}: check failed: {check.problem}")
                continue
            for connections in options.connections:
                timing = measure(base + path, {}, connections=connections, seconds=options.seconds)
                results.peer[scenario.name, size, connections] = timing
                log(
                    f"  Datasette {scenario.name:<6} c{connections:<2} {fmt_rps(timing.rps):>7} "
                    f"req/s  p50 {fmt_ms(timing.p50)}  p99 {fmt_ms(timing.p99)}"
                )
    finally:
        servers.stop(server)


def bench_ours(
    options: Options,
    servers: Servers,
    results: Results,
    *,
    size: int,
    database: str,
    database_url: str,
    mode: str,
    static_root: Path,
    target: dict,
) -> None:
    server = start_ours(servers, app_env(options, database_url, mode, static_root), options.port)
    try:
        if mode == "warm" and options.redis:
            redis_command(options.redis_url, "FLUSHDB")  # warm means warmed by this run
        base = f"http://{LOOPBACK}:{options.port}"
        for scenario in options.scenarios:
            key = (scenario.name, size, database, mode)
            url = base + scenario.ours.format(**target)
            check = check_ours(url, OUR_HEADERS, scenario, target["title"])
            results.ours_checks[key] = check
            if check.status == 404 and scenario.kind == "csv":
                results.skipped[key] = "404: not built on this checkout"
                log(f"  ours {scenario.name}: answers 404, skipped")
                continue
            peer = results.peer_checks.get((scenario.name, size))
            if peer and peer.results != check.results and not check.problem:
                check.problem = (
                    f"ours matched {check.results}, Datasette {peer.results}: not the same "
                    "question, so not compared"
                )
            if not check.ok:
                results.failures.append(
                    f"ours {scenario.name} {size_label(size)} {database} {mode}: {check}"
                )
                log(f"  ours {scenario.name}: check failed: {check.problem}")
                continue
            for connections in options.connections:
                timing = measure(
                    url, OUR_HEADERS, connections=connections, seconds=options.seconds
                )
                results.ours[(*key, connections)] = timing
                log(
                    f"  ours {database} {mode} {scenario.name:<6} c{connections:<2} "
                    f"{fmt_rps(timing.rps):>7} req/s  p50 {fmt_ms(timing.p50)}  "
                    f"p99 {fmt_ms(timing.p99)}"
                )
        # After every scenario, searches included: what a worker holds once it has served them.
        results.memory[(size, database, mode)] = worker_rss(server.process.pid)
        log(f"  ours {database} {mode}: worker RSS {results.memory[(size, database, mode)]} MB")
    finally:
        servers.stop(server)


def worker_rss(master_pid: int) -> list[float]:
    """RSS in MB of each gunicorn worker (the master's children)."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    sizes = []
    for pid in children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if match := re.search(r"VmRSS:\s+(\d+)", status):  # none: a worker being replaced
            sizes.append(round(int(match[1]) / 1024, 1))
    return sorted(sizes)


@functools.cache
def gunicorn_has_control_socket() -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--help"], capture_output=True, text=True, timeout=60
    )
    return "--no-control-socket" in done.stdout


def collect_static(static_root: Path) -> None:
    env = management_env("sqlite://:memory:")
    env.update(DJANGO_SETTINGS_MODULE="benchmarks.settings", BENCH_STATIC_ROOT=str(static_root))
    run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        env=env,
        timeout=600,
        what="collectstatic",
    )


def preflight(options: Options) -> None:
    for tool in ("wrk", "curl"):
        if not shutil.which(tool):
            raise HarnessError(f"{tool} is not installed (apt-get install -y wrk curl)")
    for port in (options.port, options.port + 1):
        require_free_port(port)
    if "warm" in options.modes and options.redis:
        redis_command(options.redis_url, "PING")
    if "postgresql" in options.databases:
        try:
            postgres_execute(options, "SELECT 1")
        except Exception as error:
            raise HarnessError(f"PostgreSQL at {options.postgres_url}: {error}") from error


def load_average() -> str:
    """The machine's load average over 1, 5 and 15 minutes, as the reports print it."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def databases_for(options: Options, size: int) -> tuple[dict[str, str], Path]:
    """The synthetic catalogues of `size` (DATABASE_URL by database) and the same-meaning
    peer's file, each built if missing."""
    urls, built = {}, {}
    for database in options.databases:
        urls[database], built[database] = synthetic_database(options, database, size)
    source = "sqlite" if "sqlite" in urls else options.databases[0]
    return urls, peer_database(options, size, urls[source], built[source])


def each_size(options: Options, measure: Callable[..., list]) -> list:
    """For the harness's companions (hit_rate.py, first_read.py): for each size, the synthetic
    databases and the same-meaning peer (built if missing), then `measure(servers, static_root,
    size, database_urls, peer_path)`; every row it returns. Servers are stopped at the end."""
    preflight(options)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        servers = Servers(Path(folder))
        try:
            static_root = Path(folder) / "static"
            collect_static(static_root)
            peer_venv(options)
            for size in options.sizes:
                urls, peer_path = databases_for(options, size)
                rows += measure(servers, static_root, size, urls, peer_path)
        finally:
            servers.stop_all()
    return rows


# The start of a wrk script walking a file of paths (BENCH_URLS), each thread knowing its
# number (`id`) among BENCH_THREADS; a script adds its own `request()`, which picks paths[k].
WALK_PREAMBLE = """
local paths = {}
for line in io.lines(os.getenv("BENCH_URLS")) do paths[#paths + 1] = line end
local threads = tonumber(os.getenv("BENCH_THREADS"))
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
"""


def wrk_walk(
    base: str, paths: list[str], *, request: str, env: dict, seconds: int, connections: int
) -> Timing:
    """wrk at `connections` for `seconds`, each request's path chosen among `paths` by the Lua
    `request` function (after WALK_PREAMBLE), with `env` for it to read."""
    assert base.startswith(f"http://{LOOPBACK}:"), base
    threads = min(2, connections)
    with tempfile.TemporaryDirectory() as folder:
        script_file = Path(folder) / "walk.lua"
        script_file.write_text(WALK_PREAMBLE + request)
        url_file = Path(folder) / "urls.txt"
        url_file.write_text("\n".join(paths) + "\n")
        env = dict(os.environ, **env, BENCH_URLS=str(url_file), BENCH_THREADS=str(threads))
        cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s"]
        cmd += [f"--timeout={WRK_TIMEOUT}", "--latency", "-s", str(script_file), base]
        done = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=seconds + 60, check=False
        )
    if done.returncode != 0:
        raise HarnessError(f"wrk failed: {done.stderr.strip()}")
    return parse_wrk(done.stdout)


def run_all(options: Options, results: Results, workdir: Path) -> None:
    servers = Servers(workdir)
    try:
        static_root = workdir / "static"
        log("collectstatic into a temporary STATIC_ROOT")
        collect_static(static_root)
        peer_venv(options)
        for size in options.sizes:
            urls, peer_path = databases_for(options, size)
            if options.build_only:
                continue
            target = detail_target(peer_path)
            log(f"size {size_label(size)}: Datasette")
            bench_peer(options, servers, results, size, peer_path, target)
            for database in options.databases:
                for mode in options.modes:
                    log(f"size {size_label(size)}: ours on {database}, {mode}")
                    bench_ours(
                        options,
                        servers,
                        results,
                        size=size,
                        database=database,
                        database_url=urls[database],
                        mode=mode,
                        static_root=static_root,
                        target=target,
                    )
    finally:
        servers.stop_all()


# -- the report ------------------------------------------------------------------------------


def completed(timing: Timing | None) -> Timing | None:
    """A timing that has latencies to compare (at least one request completed)."""
    return timing if timing and timing.requests else None


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def comparison(ours: Timing | None, peer: Timing | None, skipped: str) -> list[str]:
    """The figure cells of one row of the main table."""
    if skipped:
        ratio = f"– (ours skipped: {skipped})"
    else:
        ratio = f"{ours.rps / peer.rps:.1f}×" if ours and peer and peer.rps else "–"
    for who, timing in (("ours", ours), ("Datasette", peer)):
        if timing and timing.errors:
            ratio += f"; {who}: {timing.errors}"
    return [
        fmt_rps(ours and ours.rps),
        fmt_ms(ours and ours.p50),
        fmt_ms(ours and ours.p99),
        fmt_rps(peer and peer.rps),
        fmt_ms(peer and peer.p50),
        fmt_ms(peer and peer.p99),
        ratio,
    ]


def main_table(options: Options, results: Results) -> str:
    rows = []
    for scenario, size, database, mode, connections in itertools.product(
        options.scenarios, options.sizes, options.databases, options.modes, options.connections
    ):
        key = (scenario.name, size, database, mode)
        ours = results.ours.get((*key, connections))
        peer = results.peer.get((scenario.name, size, connections))
        if ours is None and peer is None:
            continue
        rows.append(
            [scenario.name, size_label(size), database, mode, str(connections)]
            + comparison(ours, peer, results.skipped.get(key, ""))
        )
    header = ["scenario", "size", "database", "mode", "conns"]
    header += ["ours req/s", "ours p50", "ours p99"]
    header += ["Datasette req/s", "Datasette p50", "Datasette p99", "ours/Datasette"]
    return table(header, rows)


def growth_table(options: Options, results: Results) -> str:
    """List-page (facet scenario) p50 at one connection, size by size."""
    header = ["list page p50, c1"] + [size_label(s) for s in options.sizes]
    if len(options.sizes) > 1:
        header.append(f"{size_label(options.sizes[0])} → {size_label(options.sizes[-1])}")

    def row(label: str, timings: list) -> list[str]:
        cells = [label] + [fmt_ms(t.p50) if t else "–" for t in timings]
        if len(timings) > 1:
            first, last = timings[0], timings[-1]
            cells.append(f"{last.p50 / first.p50:.1f}×" if first and last else "–")
        return cells

    rows = [
        row(
            f"ours, {database}, {mode}",
            [completed(results.ours.get(("facet", s, database, mode, 1))) for s in options.sizes],
        )
        for database in options.databases
        for mode in options.modes
    ]
    peer = [completed(results.peer.get(("facet", s, 1))) for s in options.sizes]
    rows.append(row("Datasette", peer))
    return table(header, rows)


def checks_table(options: Options, results: Results) -> str:
    def cells(check: Check, verdict: str) -> list[str]:
        found = "–" if check.results is None else f"{check.results:,}"
        return [str(check.status), f"{check.size:,}", found, verdict or check.problem or "ok"]

    rows = []
    for scenario, size in itertools.product(options.scenarios, options.sizes):
        if peer := results.peer_checks.get((scenario.name, size)):
            rows.append([scenario.name, size_label(size), "Datasette", *cells(peer, "")])
        for database, mode in itertools.product(options.databases, options.modes):
            key = (scenario.name, size, database, mode)
            if ours := results.ours_checks.get(key):
                server = f"ours, {database}, {mode}"
                skipped = results.skipped.get(key, "")
                rows.append([scenario.name, size_label(size), server, *cells(ours, skipped)])
    return table(["scenario", "size", "server", "status", "bytes", "results", "check"], rows)


def targets_table(options: Options, results: Results) -> str:
    """Issue 11's targets, where this run measured what they need: uncached, every scenario at
    20k and 100k serves at least 1.5x Datasette's requests/s at 16 connections with a p50 at
    one connection no higher than Datasette's; cached, at least 10x."""
    rows = []

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    for size in (s for s in options.sizes if s >= 20000):
        for database in options.databases:
            for scenario in options.scenarios:
                name = scenario.name
                for mode, factor in (("cold", 1.5), ("warm", 10.0)):
                    label = f"{name} {size_label(size)} {mode}"
                    c16 = results.ours.get((name, size, database, mode, 16))
                    peer16 = results.peer.get((name, size, 16))
                    if c16 and peer16 and peer16.rps:
                        ratio = c16.rps / peer16.rps
                        rows.append(
                            [f"{label}: req/s at c16 ≥ {factor:g}× Datasette", database]
                            + [f"{ratio:.1f}×", verdict(ratio >= factor)]
                        )
                    c1 = completed(results.ours.get((name, size, database, mode, 1)))
                    peer1 = completed(results.peer.get((name, size, 1)))
                    if c1 and peer1 and mode == "cold":
                        rows.append(
                            [f"{label}: p50 at c1 ≤ Datasette's", database]
                            + [f"{fmt_ms(c1.p50)} vs {fmt_ms(peer1.p50)}"]
                            + [verdict(c1.p50 <= peer1.p50)]
                        )
    if not rows:
        return "(none measured: the targets are at 20k and 100k case studies, c1 and c16)"
    return table(["target (issue 11)", "database", "figure", "verdict"], rows)


def configured_workers() -> int:
    """The workers config/gunicorn.py starts when neither --workers nor WEB_CONCURRENCY is set
    (read from the file itself, so the report cannot drift from it)."""
    env = {k: v for k, v in os.environ.items() if k != "WEB_CONCURRENCY"}
    code = "import runpy; print(runpy.run_path('config/gunicorn.py')['workers'])"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )
    return int(done.stdout.strip() or 0)


def environment(options: Options) -> list[str]:
    def version(cmd: list[str]) -> str:
        with contextlib.suppress(Exception):
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            return (done.stdout or done.stderr).strip().splitlines()[0]
        return "?"

    commit = version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = version(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    workers = options.workers or os.environ.get("WEB_CONCURRENCY")
    threads = options.threads or os.environ.get("GUNICORN_THREADS") or 1
    peer_py = str(PEER_VENV / "bin" / "python")
    return [
        f"- commit {commit}{' (with uncommitted changes)' if dirty not in ('', '?') else ''}, "
        f"{os.cpu_count()} cores, load average at the end "
        f"{load_average()}",
        f"- gunicorn: {workers or f'{configured_workers()} (config default)'} "
        f"workers × {threads} threads, production settings (DEBUG off), "
        f"{version([sys.executable, '-m', 'gunicorn', '--version'])}",
        f"- {version([str(PEER_VENV / 'bin' / 'datasette'), '--version'])} "
        f"(`--setting suggest_facets off`), SQLite "
        f"{version([peer_py, '-c', 'import sqlite3; print(sqlite3.sqlite_version)'])}; "
        f"ours on SQLite {sqlite3.sqlite_version}",
        f"- {version(['wrk', '--version']).split(' [')[0]}: -t2 at 16 connections, -t1 at 1; "
        f"{WARM_UP_SECONDS} s warm-up then {options.seconds} s timed per URL; "
        f"timeout {WRK_TIMEOUT}",
        f"- synthetic case studies, seed {options.seed}; cold = CATALOGUE_CACHE=0, warm = "
        f"CATALOGUE_CACHE=1"
        + (f" with REDIS_URL={options.redis_url} (flushed first)" if options.redis else "")
        + " (local-memory cache per worker otherwise)" * (not options.redis),
    ]


def memory_table(results: Results) -> str:
    """Each worker's RSS once it has served every scenario (searches included)."""
    rows = [
        [size_label(size), database, mode, ", ".join(f"{mb:.0f}" for mb in sizes) or "–"]
        for (size, database, mode), sizes in results.memory.items()
    ]
    return table(["size", "database", "mode", "worker RSS (MB)"], rows)


def report(options: Options, results: Results, *, started: datetime.datetime, note: str) -> str:
    parts = [
        f"# Benchmark: ours against Datasette, {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `{' '.join([Path(sys.executable).name, *sys.argv])}`",
        "",
        *environment(options),
    ]
    parts += [f"- **{n}**" for n in results.notes]
    if note:
        parts += ["", f"**{note}**"]
    parts += [
        "",
        "## Requests/s, p50 and p99: ours against Datasette on the same case studies",
        "",
        "Datasette serves the same-meaning peer (benchmarks/peer.py); both our databases are "
        "compared with the same Datasette figures for that size.",
        "",
        main_table(options, results),
        "",
        "## Cost growth: list page (facet scenario) p50 at one connection",
        "",
        growth_table(options, results),
        "",
        "## Worker memory after the scenarios",
        "",
        memory_table(results),
        "",
        "## Targets",
        "",
        targets_table(options, results),
        "",
        "## What each URL returned (checked with curl before timing)",
        "",
        "\n".join(
            f"- {s.name}: ours `{s.ours}`, Datasette `{s.peer}` ({s.meaning})"
            for s in options.scenarios
        ),
        "",
        checks_table(options, results),
    ]
    if results.failures:
        parts += ["", "## Failures", ""] + [f"- {f}" for f in results.failures]
    return "\n".join(parts) + "\n"


# -- command line ----------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", nargs="+", type=parse_size, default=[1000, 20000, 100000])
    databases = ["sqlite", "postgresql"]
    parser.add_argument("--databases", nargs="+", choices=databases, default=databases)
    parser.add_argument("--modes", nargs="+", choices=["cold", "warm"], default=["cold", "warm"])
    parser.add_argument("--connections", nargs="+", type=int, default=[1, 16])
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIO_NAMES, default=SCENARIO_NAMES)
    parser.add_argument("--duration", type=parse_seconds, default=10, help="timed seconds per URL")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--redis",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="warm runs cache in Redis (REDIS_URL); --no-redis: local memory",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached databases")
    parser.add_argument(
        "--build-only", action="store_true", help="build (or check) the databases, time nothing"
    )
    parser.add_argument("--data-dir", type=Path, default=HERE / ".data")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/")
    parser.add_argument("--port", type=int, default=8300, help="ours; Datasette on port + 1")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="gunicorn workers (default 1: one process, as Datasette is, so figures are per "
        "process; 0 for config/gunicorn.py's)",
    )
    parser.add_argument("--threads", type=int, help="gunicorn threads (GUNICORN_THREADS)")
    parser.add_argument(
        "--peer-python",
        default=getattr(sys, "_base_executable", sys.executable),
        help="the Python that makes benchmarks/.venv-peer",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=HERE / f"results-{datetime.date.today():%Y-%m-%d}.md",
        help="also write the report here",
    )
    args = parser.parse_args(argv)
    if any(c < 1 for c in args.connections):
        parser.error("--connections must be at least 1")
    if not 1024 <= args.port <= 65534:
        parser.error("--port must be between 1024 and 65534")
    host = urllib.parse.urlsplit(args.postgres_url).hostname
    if "postgresql" in args.databases and host not in {LOOPBACK, "localhost"}:
        parser.error("--postgres-url must be on loopback")
    return Options(
        sizes=sorted(set(args.sizes)),
        databases=list(dict.fromkeys(args.databases)),
        modes=list(dict.fromkeys(args.modes)),
        connections=list(dict.fromkeys(args.connections)),
        scenarios=[s for s in SCENARIOS if s.name in args.scenarios],
        seed=args.seed,
        seconds=args.duration,
        redis=args.redis,
        redis_url=args.redis_url,
        rebuild=args.rebuild,
        data_dir=args.data_dir.resolve(),
        postgres_url=args.postgres_url,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        peer_python=args.peer_python,
        output=args.output,
        build_only=args.build_only,
    )


def estimate_minutes(options: Options) -> float:
    per_url = WARM_UP_SECONDS + options.seconds + 1
    timed = len(options.scenarios) * len(options.connections) * per_url
    servers = 1 + len(options.databases) * len(options.modes)
    return len(options.sizes) * servers * timed / 60


def raise_interrupt(signum: int, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    # Ctrl-C, a kill or a closed terminal all end in the same clean-up (even when started in
    # the background, where a shell would have SIGINT ignored).
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, raise_interrupt)
    started = datetime.datetime.now(datetime.UTC)
    results = Results()
    if "warm" in options.modes and not app_reads("CATALOGUE_CACHE"):
        results.notes.append(
            "this checkout's app does not read CATALOGUE_CACHE yet: cold and warm run the "
            "same code"
        )
    note = ""
    code = 0
    options.data_dir.mkdir(parents=True, exist_ok=True)
    log(
        f"about {0 if options.build_only else estimate_minutes(options):.0f} min of timed load, "
        f"plus any database builds "
        f"(sizes {', '.join(size_label(s) for s in options.sizes)}; "
        f"{', '.join(options.databases)}; {', '.join(options.modes)})"
    )
    with tempfile.TemporaryDirectory(prefix="bench-run-") as workdir:
        try:
            preflight(options)
            run_all(options, results, Path(workdir))
        except KeyboardInterrupt:
            note, code = "Interrupted: the tables hold what was measured before.", 130
            log("interrupted; every server stopped")
        except HarnessError as error:
            note, code = f"Stopped: {error}", 2
            log(f"error: {error}")
    if results.failures and code == 0:
        code = 1
    if options.build_only and code == 0:
        log(f"databases ready in {options.data_dir} (and PostgreSQL bench_*)")
        return 0
    if not (results.ours or results.peer or results.skipped):
        if not note:
            log("nothing was measured")
        return code or 1
    text = report(options, results, started=started, note=note)
    print(text)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(text, encoding="utf-8")
    log(f"written to {options.output}")
    return code


if __name__ == "__main__":
    sys.exit(main())
