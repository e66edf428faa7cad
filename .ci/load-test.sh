#!/usr/bin/env bash
# A bounded load test on loopback: gunicorn with production settings, wrk with 16 connections
# for $DURATION over a mix of list, filtered list, search, detail (and export) URLs.
# Fails on any socket error or any response other than 200.
DURATION="${DURATION:-60s}"
source "$(dirname "$0")/serve-production.sh"
# As behind a TLS-terminating proxy: production settings with the HTTPS redirect satisfied.
export DJANGO_BEHIND_PROXY=1
cd "$ROOT"
.venv/bin/gunicorn -c config/gunicorn.py -b 127.0.0.1:8600 --access-logfile /dev/null config.wsgi & PIDS+=($!)
wait_for http://127.0.0.1:8600/healthz
# Warm up first: each of the five workers builds its facet index and fills its cache once.
wrk -t2 -c16 -d5s -s .ci/load-mix.lua -H "X-Forwarded-Proto: https" http://127.0.0.1:8600 \
  > /dev/null
# A request counts as failed after 10 s (gunicorn's own limit is 30 s).
wrk -t2 -c16 -d"$DURATION" --timeout 10s --latency -s .ci/load-mix.lua \
  -H "X-Forwarded-Proto: https" http://127.0.0.1:8600 | tee "$WORK/wrk.txt"
if grep -qE "Non-2xx or 3xx responses|Socket errors" "$WORK/wrk.txt" \
  || ! grep -q "Responses other than 200: 0$" "$WORK/wrk.txt"; then
  echo "load test: errors under load"; exit 1
fi
echo "load test: zero errors"
