"""A case study's page over many distinct case studies, against Datasette's row page: first
as the first reader after a change meets it (no stored article: it is rendered and stored),
then read again (the stored article), each case study asked for once per walk.

    .venv/bin/python benchmarks/first_read.py                 # 20k and 100k, both databases
    .venv/bin/python benchmarks/first_read.py --sizes 20k --databases sqlite

run.py's detail scenario asks for one page again and again, which after its first request is
always stored; this is the worst case beside it. Uses the databases and the same-meaning peer
that run.py builds (it builds them if missing); every stored page is deleted before our first
walk. Both servers run one process, cache off. A sample of pages is checked on both sides for
the case study's title before timing, with case studies outside the walks.
"""

import argparse
import functools
import random
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the project root makes `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks import run  # noqa: E402  (after the path, for a script run)

# Each wrk thread walks its own stride of the list: thread t asks for t, t + threads, ...
WRK_REQUEST = """
local i = 0
function request()
  local index = (i * threads + id) % #paths
  i = i + 1
  return wrk.format("GET", paths[index + 1], {["X-Forwarded-Proto"] = "https"})
end
"""
SAMPLE_CHECKED = 3


def case_studies(peer_path: Path, count: int, seed: int) -> list[tuple[int, str, str]]:
    """(id, slug, title) of `count` case studies in random order, titles needing no escaping
    (so both pages show them as stored)."""
    with closing(sqlite3.connect(peer_path)) as connection:
        rows = connection.execute(
            "SELECT id, slug, title FROM cases WHERE title NOT GLOB '*[''\"&<>]*'"
        ).fetchall()
    random.Random(seed).shuffle(rows)
    return rows[:count]


def walk(base: str, paths: list[str], *, seconds: int, connections: int) -> run.Timing:
    return run.wrk_walk(
        base, paths, request=WRK_REQUEST, env={}, seconds=seconds, connections=connections
    )


def forget_stored_pages(database: str, url: str) -> None:
    """Delete every stored case study page, as a change to everything does."""
    sql = "DELETE FROM catalogue_casestudypage"
    if database == "sqlite":
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection:
            connection.execute(sql)
            connection.commit()
    else:
        import psycopg  # the app's own driver, in the app's virtualenv

        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(sql)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["20k", "100k"])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", nargs="+", type=int, default=[1, 16])
    args = parser.parse_args(argv)
    options = run.parse_args(
        ["--sizes", *args.sizes, "--databases", *args.databases, "--modes", "cold"]
        + ["--duration", str(args.duration)]
    )
    rows = run.each_size(options, functools.partial(measure_size, options, args))
    load = run.load_average()
    print(
        f"\nCase study pages, each asked for once per walk, {args.duration} s a walk, one process "
        f"each, cache off; load average at the end {load}\n"
    )
    header = ["size", "connections", "server", "pages", "req/s", "p50", "p99", "ours/Datasette"]
    print(run.table(header, rows))


def measure_size(options, args, servers, static_root, size, urls, peer_path) -> list[list[str]]:
    label = run.size_label(size)
    # More than any walk asks for, so no page is asked for twice in one walk.
    chosen = case_studies(peer_path, 20_000, options.seed)
    checked, walked = chosen[:SAMPLE_CHECKED], chosen[SAMPLE_CHECKED:]
    detail = run.Scenario("first-read", "", "", "", "detail")
    rows = []
    port = options.port + 1
    server = run.start_datasette(servers, peer_path, port)
    peer = {}
    try:
        base = f"http://{run.LOOPBACK}:{port}"
        for pk, _, title in checked:
            check = run.check_peer(base, f"/catalogue/cases/{pk}", detail, title)
            if not check.ok:
                raise run.HarnessError(f"Datasette, case study {pk}: {check.problem}")
        paths = [f"/catalogue/cases/{pk}" for pk, _, _ in walked]
        for connections in args.connections:
            peer[connections] = walk(base, paths, seconds=args.duration, connections=connections)
            rows.append(
                [label, str(connections), "Datasette", *figures(peer[connections], paths), ""]
            )
    finally:
        servers.stop(server)
    for database in options.databases:
        forget_stored_pages(database, urls[database])
        env = run.app_env(options, urls[database], "cold", static_root)
        server = run.start_ours(servers, env, options.port)
        try:
            base = f"http://{run.LOOPBACK}:{options.port}"
            for _, slug, title in checked:
                check = run.check_ours(
                    f"{base}/case-studies/{slug}/", run.OUR_HEADERS, detail, title
                )
                if not check.ok:
                    raise run.HarnessError(f"ours, {slug}: {check.problem}")
            paths = [f"/case-studies/{slug}/" for _, slug, _ in walked]
            # Each connection count walks case studies of its own: first those no one has
            # read (each rendered and stored), then the same ones again (each stored).
            start = 0
            for connections in args.connections:
                theirs = peer[connections]
                first = walk(base, paths[start:], seconds=args.duration, connections=connections)
                read = paths[start : start + first.requests]
                again = walk(base, read, seconds=args.duration, connections=connections)
                for what, timing, asked in (
                    ("first read", first, paths[start:]),
                    ("read again", again, read),
                ):
                    ratio = f"{timing.rps / theirs.rps:.1f}×" if theirs.rps else "–"
                    rows.append(
                        [
                            label,
                            str(connections),
                            f"ours, {database}, {what}",
                            *figures(timing, asked),
                            ratio,
                        ]
                    )
                start += first.requests
        finally:
            servers.stop(server)
    return rows


def figures(timing: run.Timing, paths: list) -> list[str]:
    """req/s, p50 and p99, after how many pages were asked for (some more than once, when the
    walk asked for more than there were)."""
    pages = f"{timing.requests:,}"
    if timing.requests > len(paths):
        pages += f" ({len(paths):,} distinct)"
    return [pages, run.fmt_rps(timing.rps), run.fmt_ms(timing.p50), run.fmt_ms(timing.p99)]


if __name__ == "__main__":
    try:
        main()
    except run.HarnessError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
