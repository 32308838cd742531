# Environment of the production-shaped stack (sourced by run.sh and the realtime REST fan-out run).
# Generous throttles so the load itself is never throttled (the defaults are 1000/m per user,
# 50/h sign-ups and 30/15m failed logins per address: 200 users logging in from 127.0.0.1 would trip them).
export DJANGO_SETTINGS_MODULE="${LOAD_SETTINGS:-mcbackend.settings.production}"
export DJANGO_SECRET_KEY="${DJANGO_SECRET_KEY:-$(python3 -c 'import secrets; print(secrets.token_urlsafe(64))')}"
export LOAD_PORT="${LOAD_PORT:-8180}"   # nginx; the two daphne workers use LOAD_PORT+1 and +2
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export TRUSTED_ORIGINS="http://127.0.0.1:$LOAD_PORT"
export DJANGO_SECURE_SSL_REDIRECT=false AUTH_COOKIE_SECURE=false
export DATABASE_URL="${DATABASE_URL:-postgres://mc:mc@127.0.0.1:5432/mc_load}"
export DB_CONN_MAX_AGE=60
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/7}"
export ML_MODEL_DIR="${ML_MODEL_DIR:-/tmp/load-models}"
export THROTTLE_USER=1000000/m THROTTLE_SIGNUP_ADDRESS=1000000/h
export THROTTLE_LOGIN_ADDRESS=1000000/15m THROTTLE_LOGIN_USERNAME=1000000/15m
export NUM_PROXIES=1 LOG_LEVEL=WARNING
