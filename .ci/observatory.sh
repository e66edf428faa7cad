#!/usr/bin/env bash
# Mozilla's HTTP Observatory scanner, offline, against gunicorn on 127.0.0.1:443 (TLS with a
# throwaway certificate) and :80 (plain, redirecting). Fails below A+.
source "$(dirname "$0")/serve-production.sh"
TOOLS="$ROOT/.ci/.tools/node_modules/@mdn/mdn-http-observatory"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 2 \
  -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
cd "$ROOT"
.venv/bin/gunicorn -c config/gunicorn.py -w 2 -b 127.0.0.1:443 --certfile "$WORK/cert.pem" \
  --keyfile "$WORK/key.pem" --access-logfile /dev/null config.wsgi & PIDS+=($!)
.venv/bin/gunicorn -c config/gunicorn.py -w 1 -b 127.0.0.1:80 --access-logfile /dev/null config.wsgi & PIDS+=($!)
wait_for https://127.0.0.1/healthz
NODE_EXTRA_CA_CERTS="$WORK/cert.pem" node "$TOOLS/src/scan.js" 127.0.0.1 > "$WORK/observatory.json"
python3 - "$WORK/observatory.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
scan = report.get("scan", report)
grade, score = scan.get("grade"), scan.get("score")
print(f"HTTP Observatory: grade {grade}, score {score}, "
      f"{scan.get('testsPassed')}/{scan.get('testsQuantity')} tests passed")
for name, test in sorted(report.get("tests", {}).items()):
    print(f"  {'pass' if test.get('pass') else 'FAIL'} {name}: {test.get('result')} ({test.get('scoreModifier'):+d})")
sys.exit(0 if grade == "A+" else 1)
PY
