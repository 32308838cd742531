"""Serving latency through Django's test client (no network): GET /api/user/movies/ with a warm
model vs GET /api/health/, plus the similar list. Needs a database with the demo data and a
deployed model:

    DATABASE_URL=sqlite:////tmp/recs-demo.sqlite3 ML_MODEL_DIR=/tmp/recs-models \\
        .venv/bin/python bench/mlserving/latency.py --requests 200
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcbackend.settings.local")

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts.models import User  # noqa: E402
from ml.loader import get_recommender  # noqa: E402
from movies.models import Rating  # noqa: E402


def _client() -> APIClient:
    return APIClient(SERVER_NAME="localhost")


def _timed(client: APIClient, url: str, n: int) -> dict[str, float]:
    for _ in range(5):  # warm-up: model load, connection, caches
        assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, url
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 2),
        "mean_ms": round(statistics.fmean(samples), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    recommender = get_recommender()
    if recommender is None:
        print("no model deployed in ML_MODEL_DIR", file=sys.stderr)
        return 1
    # A typical demo user: the median number of ratings.
    users = list(User.objects.annotate(n=Count("ratings")).filter(n__gt=0).order_by("n", "pk"))
    user = users[len(users) // 2]
    client = _client()
    client.force_authenticate(user)
    movie_id = int(recommender.recommend(ratings={}, k=1)[0][0])
    results = {
        "model_version": recommender.version,
        "user_ratings": user.n,
        "requests": args.requests,
        "health": _timed(_client(), "/api/health/", args.requests),
        "user_movies_20": _timed(client, "/api/user/movies/", args.requests),
        "user_movies_100": _timed(client, "/api/user/movies/?limit=100", args.requests),
        "movie_similar": _timed(client, f"/api/movie/{movie_id}/similar/", args.requests),
    }
    # Cold start: a new user with two liked movies (created in a transaction that rolls back).
    with transaction.atomic():
        newcomer = User.objects.create_user(username="bench-cold-start", password=None)
        liked = Rating.objects.filter(user=user, value__gte=4).values_list("movie_id", flat=True)
        for movie_id in list(liked)[:2]:
            Rating.objects.create(user=newcomer, movie_id=movie_id, value=Decimal("4.5"))
        cold = _client()
        cold.force_authenticate(newcomer)
        results["user_movies_20_cold_start"] = _timed(cold, "/api/user/movies/", args.requests)
        transaction.set_rollback(True)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
