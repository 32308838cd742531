"""Create the load run's users and write what the simulated users pick from (run.sh step 2).

    python bench/load/seed.py --users 200 --out bench/out/load

Runs with the product's environment (same settings and database as the stack). Deletes the
previous run's `load_*` users first (their ratings, comments and friendships go with them), so
every run starts from the same state: demo data plus N fresh users without ratings or friends.
All users share one password, hashed once (hashing 200 passwords would cost ~minutes of CPU
and is not what is measured). Writes users.json (id, username) and movies.json (the movies with
the most ratings, which a user browses 80% of the time, a wider sample, and title words to search).
"""

import argparse
import json
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcbackend.settings.production")

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db.models import Count  # noqa: E402

from accounts.models import User  # noqa: E402
from movies.models import Movie  # noqa: E402

PASSWORD = "load-run-Password-7"  # noqa: S105  (throwaway bench users)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("bench/out/load"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    deleted, _ = User.objects.filter(username__startswith="load_").delete()
    password = make_password(PASSWORD)
    User.objects.bulk_create(
        User(
            username=f"load_{i:04d}",
            email=f"load_{i:04d}@example.com",
            birth_date="1990-01-01",
            password=password,
        )
        for i in range(args.users)
    )
    users = list(User.objects.filter(username__startswith="load_").values("id", "username"))
    (args.out / "users.json").write_text(json.dumps({"password": PASSWORD, "users": users}))

    hot = list(
        Movie.objects.annotate(n=Count("ratings")).order_by("-n").values_list("id", flat=True)[:300]
    )
    all_ids = list(Movie.objects.values_list("id", flat=True))
    rng = random.Random(7)
    sample = rng.sample(all_ids, min(3000, len(all_ids)))
    words = sorted(
        {
            w.strip("(),:.!?'\"").lower()
            for title in Movie.objects.filter(id__in=sample[:600]).values_list("title", flat=True)
            for w in title.split()
            if len(w) >= 4 and w.isalpha()
        }
    )
    (args.out / "movies.json").write_text(json.dumps({"hot": hot, "any": sample, "words": words}))
    print(f"deleted {deleted} rows of a previous run; {len(users)} users; {len(words)} words")


if __name__ == "__main__":
    main()
