"""Create bench/social's data and print the viewers' access tokens as JSON (run by bench.py).

    python bench/social/seed.py     # with the bench's environment (settings, DATABASE_URL)

On a fresh database: 2,000 synthetic movies; 1,000 friends `bsoc_f<i>`, each with 200 ratings and
20 comments spread over the last year (seeded, so every run sees the same data); viewers
`bsoc_v10`, `bsoc_v100`, `bsoc_v1000` befriend the first 10, 100 and 1,000 of them. `bsoc_v100`
also has 500 notifications, the first 400 read. Later runs reuse the rows and issue new tokens.
"""

import json
import os
import random
import sys
from datetime import timedelta
from decimal import Decimal

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcbackend.settings.production")

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.tokens import session_tokens_for_user  # noqa: E402
from movies.models import Comment, Movie, Rating  # noqa: E402
from movies.text import normalize_title  # noqa: E402
from realtime.models import Notification, NotificationCounter  # noqa: E402
from social.models import Friendship  # noqa: E402

MOVIES = 2_000
FRIENDS = 1_000
RATINGS_EACH = 200
COMMENTS_EACH = 20
VIEWERS = (10, 100, 1_000)
NOTIFICATIONS, READ = 500, 400
FIRST_MOVIE_ID = 5_000_000  # clear of MovieLens ids
UNUSABLE = "!"  # Django's marker for an unusable password


@transaction.atomic
def seed() -> None:
    rng = random.Random(12)
    now = timezone.now()
    year = 365 * 86_400
    Movie.objects.bulk_create(
        Movie(id=FIRST_MOVIE_ID + i, title=f"Bench movie {i}", title_normalized=normalize_title(
            f"Bench movie {i}"), overview="A synthetic movie.", runtime=100)
        for i in range(MOVIES)
    )  # fmt: skip
    movie_ids = list(range(FIRST_MOVIE_ID, FIRST_MOVIE_ID + MOVIES))
    User.objects.bulk_create(  # no usable password: nobody signs in as a friend
        User(username=f"bsoc_f{i}", email=f"bsoc_f{i}@example.com", password=UNUSABLE)
        for i in range(FRIENDS)
    )
    friends = list(User.objects.filter(username__startswith="bsoc_f").order_by("pk"))
    values = [Decimal(v) / 2 for v in range(1, 11)]
    ratings, comments = [], []
    for friend in friends:
        for movie_id in rng.sample(movie_ids, RATINGS_EACH):
            moment = now - timedelta(seconds=rng.randrange(year))
            ratings.append(
                Rating(user=friend, movie_id=movie_id, value=rng.choice(values), timestamp=moment)
            )
        for movie_id in rng.sample(movie_ids, COMMENTS_EACH):
            moment = now - timedelta(seconds=rng.randrange(year))
            comments.append(
                Comment(author=friend, movie_id=movie_id, body="Worth a watch.", created=moment)
            )
    Rating.objects.bulk_create(ratings, batch_size=5_000)
    Comment.objects.bulk_create(comments, batch_size=5_000)
    for n in VIEWERS:
        viewer = User.objects.create(username=f"bsoc_v{n}", email=f"bsoc_v{n}@example.com")
        Friendship.objects.bulk_create(
            Friendship(user_low_id=min(viewer.pk, f.pk), user_high_id=max(viewer.pk, f.pk))
            for f in friends[:n]
        )
    inbox = User.objects.get(username="bsoc_v100")
    Notification.objects.bulk_create(
        Notification(user=inbox, seq=seq, type="friend.removed", data={"user_id": seq})
        for seq in range(1, NOTIFICATIONS + 1)
    )
    NotificationCounter.objects.create(user=inbox, last_id=NOTIFICATIONS, read_up_to=READ)


def main() -> None:
    if not User.objects.filter(username="bsoc_v1000").exists():
        seed()
    tokens = {
        f"v{n}": session_tokens_for_user(User.objects.get(username=f"bsoc_v{n}"))[0]
        for n in VIEWERS
    }
    print(json.dumps(tokens))


if __name__ == "__main__":
    main()
