"""Create bench/home's user and print its token and group as JSON (run by bench.py).

    python bench/home/seed.py     # with the bench's environment (settings, DATABASE_URL)

`bench_home`: 100 ratings of the demo's most rated movies (4.5 / 5.0 / 2.0 in turn, one minute
apart) and 20 friends: the 20 demo (MovieLens) users with the most ratings after the first 10,
so the friends row has real material. The group is bench_home and 7 of those friends (8 members).
Recreated on every run, so every run sees the same state.
"""

import datetime
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
from movies.models import Movie, Rating  # noqa: E402
from social.services import friendship_create  # noqa: E402

RATINGS = 100
FRIENDS = 20
GROUP_FRIENDS = 7


def main() -> None:
    User.objects.filter(username="bench_home").delete()
    hot = list(
        Movie.objects.annotate(n=Count("ratings")).order_by("-n", "id").values_list("id", flat=True)
    )[:RATINGS]
    user = User.objects.create_user(
        username="bench_home", email="bench_home@example.com", password=None
    )
    start = timezone.now() - datetime.timedelta(days=1)
    Rating.objects.bulk_create(
        Rating(user=user, movie_id=movie_id, value=Decimal(("4.5", "5.0", "2.0")[i % 3]),
               timestamp=start + datetime.timedelta(minutes=i))
        for i, movie_id in enumerate(hot)
    )  # fmt: skip
    friends = list(
        User.objects.exclude(username__startswith="bench_")
        .annotate(n=Count("ratings"))
        .filter(n__gt=0)
        .order_by("-n", "id")[10 : 10 + FRIENDS]
    )
    assert len(friends) == FRIENDS, len(friends)
    for friend in friends:
        friendship_create(user_a=user, user_b=friend)
    json.dump(
        {
            "token": session_tokens_for_user(user)[0],
            "group": [f.pk for f in friends[:GROUP_FRIENDS]],
            "friend_ratings": [f.n for f in friends],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
