"""A realistic warm figure: ours (page cache on) against Datasette at a 50% hit rate over
hundreds of distinct filter URLs, not one URL served from the cache again and again.

    .venv/bin/python benchmarks/hit_rate.py                  # 20k, SQLite and PostgreSQL
    .venv/bin/python benchmarks/hit_rate.py --sizes 100k --databases sqlite --duration 30

Uses the databases and the same-meaning peer that run.py builds (it builds them if missing).
The URLs are list pages with two or three filters (response, service area, start year), each
once on our side as /case-studies/?... and once on Datasette's with the same meaning (see
run.py's SCENARIOS); a sample is checked for the same counts on both sides before timing.

wrk walks the URLs in blocks of `--block`: each URL of a block once, then the block again, so
every URL is asked for exactly twice, the second time from the cache: a 50% hit rate. Each wrk
thread takes its own blocks, so no URL is shared between threads. Both servers run one
process (`--workers`, default 1), as Datasette is one.
"""

import argparse
import functools
import json
import random
import sqlite3
import sys
import urllib.parse
from contextlib import closing
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the project root makes `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks import run  # noqa: E402  (after the path, for a script run)

WRK_REQUEST = """
local block = tonumber(os.getenv("BENCH_BLOCK"))
local i = 0
function request()
  -- This thread's blocks are id, id + threads, ...; each is walked twice, then the next.
  local n = math.floor(i / (2 * block))
  local within = i % block
  local index = ((id + threads * n) * block + within) % #paths
  i = i + 1
  return wrk.format("GET", paths[index + 1], {["X-Forwarded-Proto"] = "https"})
end
"""
SAMPLE_CHECKED = 5


def filter_urls(peer_path: Path, count: int, seed: int) -> list[tuple[str, str]]:
    """(ours, Datasette's) for `count` distinct filters that match at least one case study."""
    with closing(sqlite3.connect(peer_path)) as connection:
        combos = connection.execute(
            "SELECT DISTINCT response, service_area, start_year FROM cases "
            "JOIN case_service_areas ON case_id = id WHERE start_year IS NOT NULL "
            "ORDER BY 1, 2, 3"
        ).fetchall()
    random.Random(seed).shuffle(combos)
    urls = []
    for response, area, year in combos[:count]:
        ours = "/case-studies/?" + urllib.parse.urlencode(
            {"response": response, "service": area, "year_from": year, "year_to": year}
        )
        # `_where` for both plain filters: Datasette 0.65 gives `_through` and the first
        # column filter the same parameter name (see run.py).
        through = json.dumps(
            {"table": "case_service_areas", "column": "service_area", "value": area}
        )
        theirs = "/catalogue/cases?" + urllib.parse.urlencode(
            {
                "_where": f"response = '{response}' AND start_year = {int(year)}",
                "_through": through,
            }
        )
        urls.append((ours, f"{theirs}&{run.PEER_FACETS}"))
    return urls


def timed(
    base: str, paths: list[str], *, seconds: int, connections: int, block: int
) -> run.Timing:
    return run.wrk_walk(
        base,
        paths,
        request=WRK_REQUEST,
        env={"BENCH_BLOCK": str(block)},
        seconds=seconds,
        connections=connections,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["20k"])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    # Every filter the data has (1,715 at 20k), and a duration short enough that wrk asks for
    # none three times (a row says so if it does: the hit rate is then above 50%).
    parser.add_argument("--urls", type=int, default=5000, help="distinct filter URLs, at most")
    parser.add_argument("--block", type=int, default=50)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    options = run.parse_args(
        ["--sizes", *args.sizes, "--databases", *args.databases, "--modes", "warm"]
        + ["--workers", str(args.workers), "--duration", str(args.duration)]
    )
    rows = run.each_size(options, functools.partial(measure_size, options, args))
    load = run.load_average()
    print(
        f"\n50% hit rate over distinct filter URLs, {args.connections} connections, "
        f"{args.duration} s, {args.workers} worker(s) against Datasette's one process; "
        f"load average at the end {load}\n"
    )
    print(
        run.table(
            ["size", "server", "distinct URLs asked", "req/s", "p50", "p99", "ours/Datasette"],
            rows,
        )
    )


def measure_size(options, args, servers, static_root, size, urls, peer_path) -> list[list[str]]:
    """Datasette, then ours on each database, on the same URLs; a table row each."""
    label = run.size_label(size)
    pairs = filter_urls(peer_path, args.urls, options.seed)
    list_check = run.Scenario("hit-rate", "", "", "", "list")

    def walk(base: str, paths: list[str]) -> run.Timing:
        return timed(
            base, paths, seconds=args.duration, connections=args.connections, block=args.block
        )

    port = options.port + 1
    server = run.start_datasette(servers, peer_path, port)
    try:
        peer_base = f"http://{run.LOOPBACK}:{port}"
        peer_counts = [
            run.check_peer(peer_base, theirs, list_check, "").results
            for _, theirs in pairs[:SAMPLE_CHECKED]
        ]
        theirs = walk(peer_base, [p for _, p in pairs])
    finally:
        servers.stop(server)
    rows = [[label, "Datasette", asked(theirs, pairs), *figures(theirs)]]
    for database in options.databases:
        env = run.app_env(options, urls[database], "warm", static_root)
        server = run.start_ours(servers, env, options.port)
        try:
            base = f"http://{run.LOOPBACK}:{options.port}"
            for (ours_path, _), expected in zip(pairs, peer_counts, strict=False):
                check = run.check_ours(base + ours_path, run.OUR_HEADERS, list_check, "")
                if check.results != expected:
                    raise run.HarnessError(
                        f"{ours_path}: ours matched {check.results}, Datasette {expected}"
                    )
            if options.redis:
                run.redis_command(options.redis_url, "FLUSHDB")
            ours = walk(base, [p for p, _ in pairs])
        finally:
            servers.stop(server)
        ratio = f"{ours.rps / theirs.rps:.1f}×" if theirs.rps else "–"
        if wrapped(ours, pairs) or wrapped(theirs, pairs):
            ratio = "– (not 50%: see distinct URLs asked)"
        rows.append([label, f"ours, {database}, warm", asked(ours, pairs), *figures(ours), ratio])
    rows[0].append("")
    return rows


def wrapped(timing: run.Timing, pairs: list) -> bool:
    """Whether wrk asked for more than each URL twice: it then starts the list again, and
    every request after that is a hit, so the hit rate is above 50%."""
    return timing.requests > 2 * len(pairs)


def asked(timing: run.Timing, pairs: list) -> str:
    if wrapped(timing, pairs):
        return (
            f"all {len(pairs):,}, then again ({timing.requests:,} requests): hit rate over 50%, "
            "lower --duration"
        )
    return f"{timing.requests // 2:,}"


def figures(timing: run.Timing) -> list[str]:
    return [run.fmt_rps(timing.rps), run.fmt_ms(timing.p50), run.fmt_ms(timing.p99)]


if __name__ == "__main__":
    try:
        main()
    except run.HarnessError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
