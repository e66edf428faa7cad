# Sourced by the CI checks that need the app served with production settings.
# Prepares a throwaway database with the seed data and collected static files in $WORK.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d)"
export DJANGO_DEBUG=0
export DJANGO_SECRET_KEY="$("$ROOT/.venv/bin/python" -c "import secrets; print(secrets.token_urlsafe(50))")"
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DATABASE_URL="sqlite:///$WORK/catalogue.sqlite3"
unset DJANGO_ALLOW_ASYNC_UNSAFE
"$ROOT/.venv/bin/python" "$ROOT/manage.py" migrate --no-input -v0
"$ROOT/.venv/bin/python" "$ROOT/manage.py" loadseed >/dev/null
"$ROOT/.venv/bin/python" "$ROOT/manage.py" collectstatic --no-input -v0
PIDS=()
stop_servers() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_servers EXIT
wait_for() { for _ in $(seq 60); do curl -skf -o /dev/null "$1" && return 0; sleep 0.5; done; echo "server at $1 did not start"; return 1; }
