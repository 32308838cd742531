# Production image: gunicorn for HTTP (compose `web`), daphne for /ws/ (compose `ws`). Built by
# docker-compose.yml.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The CPU build of torch first, so requirements.txt's pin does not pull the CUDA wheels.
COPY requirements.txt .
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
    && pip install -r requirements.txt

COPY . .
RUN DJANGO_SETTINGS_MODULE=mcbackend.settings.local python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 --home /app app \
    && mkdir -p /app/var/models && chown -R app /app/var

USER app
EXPOSE 8000
ENV DJANGO_SETTINGS_MODULE=mcbackend.settings.production
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "mcbackend.wsgi:application"]
