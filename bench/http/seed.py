"""Create bench/http's two users and print their access tokens as JSON (run by bench.py).

    python bench/http/seed.py     # with the bench's environment (settings, DATABASE_URL)

`bench_cold`: 3 ratings, two of them liked, so GET /api/user/movies/ is the genre-weighted
cold-start list. `bench_personal`: 30 ratings of well-known movies and 5 watch-list entries, so it
is the model's personal list. Both are recreated on every run, so every run sees the same state.
"""

import json
import os
import sys
from decimal import Decimal

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcbackend.settings.production")

import django

django.setup()

from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.tokens import session_tokens_for_user  # noqa: E402
from movies.models import Movie, Rating, WatchlistItem  # noqa: E402


def main() -> None:
    User.objects.filter(username__startswith="bench_").delete()
    hot = list(
        Movie.objects.annotate(n=Count("ratings")).order_by("-n", "id").values_list("id", flat=True)
    )[:60]
    tokens = {}
    for name, count in (("cold", 3), ("personal", 30)):
        user = User.objects.create_user(
            username=f"bench_{name}", email=f"bench_{name}@example.com", password=None
        )
        now = timezone.now()
        # Ratings through the ORM (the bench measures reads; the aggregates are not used here).
        Rating.objects.bulk_create(
            Rating(user=user, movie_id=movie_id, value=Decimal(("4.5", "5.0", "2.0")[i % 3]),
                   timestamp=now)
            for i, movie_id in enumerate(hot[:count])
        )  # fmt: skip
        if name == "personal":
            WatchlistItem.objects.bulk_create(
                WatchlistItem(user=user, movie_id=movie_id) for movie_id in hot[40:45]
            )
        tokens[name] = session_tokens_for_user(user)[0]
    json.dump(tokens, sys.stdout)


if __name__ == "__main__":
    main()
