#!/usr/bin/env bash
# Live-updates benchmark: one daphne process (python -m realtime.server) on Postgres + Redis,
# and bench.py's clients in a second process. Usage: bench/realtime/run.sh [extra bench.py args]
set -euo pipefail
cd "$(dirname "$0")/../.."
export DATABASE_URL="${DATABASE_URL:-postgres://mc:mc@127.0.0.1:5432/mc_realtime}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/3}"
export DJANGO_SETTINGS_MODULE=mcbackend.settings.local DJANGO_DEBUG=false LOG_LEVEL=WARNING
export DB_CONN_MAX_AGE="${DB_CONN_MAX_AGE:-60}"
PY="${PY:-.venv/bin/python}"
PORT="${PORT:-8765}"
ulimit -n "$(ulimit -Hn)"

"$PY" manage.py migrate -v0
"$PY" -m realtime.server -b 127.0.0.1 -p "$PORT" -v0 mcbackend.asgi:application &
DAPHNE=$!
trap 'kill $DAPHNE' EXIT
until curl -sf "http://127.0.0.1:$PORT/api/health/" >/dev/null; do sleep 0.2; done
curl -s "http://127.0.0.1:$PORT/api/health/"; echo

"$PY" bench/realtime/bench.py --url "ws://127.0.0.1:$PORT/ws/" --daphne-pid "$DAPHNE" "$@"
