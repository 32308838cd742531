#!/usr/bin/env bash
# Load run against the production-shaped stack on this machine (see README.md):
#   nginx (deploy/'s config, :LOAD_PORT) -> gunicorn, 2 workers (:LOAD_PORT+1) and daphne /ws/ (:LOAD_PORT+2)
#   -> Postgres (mc_load) + Redis (db 7), settings mcbackend.settings.production.
# Seeds, logs the load users in, runs locust's steps (LOAD_STEPS users x LOAD_STEP_S s), then
# the REST comment -> WebSocket fan-out bench (bench/realtime/rest_fanout.py, LOAD_FANOUT=0 skips),
# writes bench/out/load/ and stops everything it started.
# Usage: bench/load/run.sh      env: LOAD_STEPS=10,50,100,200 LOAD_STEP_S=60 LOAD_USERS=200
#        PY (product venv python, default .venv/bin/python) BENCH_VENV (default /work/bench-venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/load/env.sh
PY="${PY:-.venv/bin/python}"
BENCH_VENV="${BENCH_VENV:-/work/bench-venv}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
export LOAD_OUT="$PWD/bench/out/load"
W1=$((LOAD_PORT + 1)) W2=$((LOAD_PORT + 2))
HOST="http://127.0.0.1:$LOAD_PORT"
ulimit -n "$(ulimit -Hn)"
mkdir -p "$LOAD_OUT/nginx/tmp"
log() { echo "[$(date +%T)] $* (load average: $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$LOAD_OUT/run.log"; }
: > "$LOAD_OUT/run.log"

PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

log "seeding: migrate, demo data (skipped when present), recommender (--if-missing)"
"$PY" manage.py migrate -v0
"$PY" manage.py load_demo_data
"$PY" manage.py train_recommender --if-missing
"$PY" bench/load/seed.py --users "${LOAD_USERS:-200}" --out "$LOAD_OUT"

log "starting gunicorn (web, 2 workers) on :$W1, daphne (ws) on :$W2, nginx on :$LOAD_PORT"
# docker-compose.yml's `web` and `ws` commands; nginx runs deploy/nginx-main.conf + deploy/nginx.conf
GUNICORN_BIND="127.0.0.1:$W1" WEB_WORKERS=2 WEB_THREADS="${WEB_THREADS:-4}" DB_POOL_MIN_SIZE=1 \
    DB_POOL_MAX_SIZE=5 PROMETHEUS_MULTIPROC_DIR="$LOAD_OUT/metrics" \
    "$(dirname "$PY")/gunicorn" -c deploy/gunicorn.conf.py mcbackend.wsgi:application \
    >"$LOAD_OUT/web.log" 2>&1 &
PIDS+=($!)
WEB=$!
"$PY" -m realtime.server -b 127.0.0.1 -p "$W2" --proxy-headers --proxy-headers-host X-Real-IP -v0 \
    mcbackend.asgi:application >"$LOAD_OUT/ws.log" 2>&1 &
PIDS+=($!)
WS=$!
"$PY" -c 'import sys; from pathlib import Path; from tests.production.stack import nginx_config
nginx_config(Path(sys.argv[1]), port=int(sys.argv[2]), web=int(sys.argv[3]), ws=int(sys.argv[4]))' \
    "$LOAD_OUT/nginx" "$LOAD_PORT" "$W1" "$W2"
"$NGINX" -c "$LOAD_OUT/nginx/nginx.conf" -e "$LOAD_OUT/nginx/error.log" -g "daemon off;" &
PIDS+=($!)
NGINX_PID=$!
for port in $W1 $W2 $LOAD_PORT; do
    for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/api/health/" >/dev/null && break; sleep 0.2; done
done
curl -sf "$HOST/api/health/" | tee "$LOAD_OUT/health.json"; echo

log "logging the load users in"
"$BENCH_VENV/bin/python" bench/load/login.py --host "$HOST" --out "$LOAD_OUT"

log "locust steps ${LOAD_STEPS:-10,50,100,200} x ${LOAD_STEP_S:-60} s"
mapfile -t WORKERS < <(pgrep -P "$WEB")  # gunicorn's two worker processes
WEB1=${WORKERS[0]} WEB2=${WORKERS[1]:-}
export LOAD_PIDS="web1=$WEB1,web2=$WEB2,ws=$WS,nginx=$NGINX_PID"
if [ "${LOAD_PROFILE:-0}" != 0 ]; then  # py-spy on worker 1 during the third step (100 users)
    (sleep "$((2 * ${LOAD_STEP_S:-60} + 5))" && "$BENCH_VENV/bin/py-spy" record --nonblocking -f raw -r 50 \
        -d "$((${LOAD_STEP_S:-60} - 10))" -p "$WEB1" -o "$LOAD_OUT/profile-web1.txt" \
        >/dev/null 2>&1) &
    PIDS+=($!)
fi
"$BENCH_VENV/bin/locust" -f bench/load/locustfile.py --headless --host "$HOST" \
    --only-summary --csv "$LOAD_OUT/locust" --stop-timeout 5 --loglevel WARNING \
    2>&1 | tee "$LOAD_OUT/locust.txt" || true  # locust exits 1 when a request failed; report it
log "locust done"
"$BENCH_VENV/bin/python" bench/load/report.py "$LOAD_OUT/steps.json" | tee "$LOAD_OUT/steps.md"

if [ "${LOAD_FANOUT:-1}" != 0 ]; then
    log "REST comment -> WebSocket fan-out, 100 and 1,000 subscribers through nginx"
    "$BENCH_VENV/bin/python" bench/realtime/rest_fanout.py --host "$HOST" \
        --tokens "$LOAD_OUT/tokens.json" --movie "$(curl -sf -H "Authorization: Bearer $(
            "$BENCH_VENV/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["token"])' "$LOAD_OUT/tokens.json"
        )" "$HOST/api/movies/popular/?limit=1" | "$BENCH_VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')" \
        2>&1 | tee "$LOAD_OUT/fanout.txt"
fi
log "done; stopping the stack"
