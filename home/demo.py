"""The synthetic demo social graph: friendships among the MovieLens demo users.

MovieLens has no social data, so the demo's friendships are made up, reproducibly: a seeded
generator gives each user a few friends drawn from the users with the most similar taste and one
drawn from everyone (`demo_friend_pairs`). The result is committed as
data/demo/social/friendships.csv (MovieLens user ids), which `load_demo_data` loads; regenerate
it with `manage.py generate_demo_friendships`. No Django in the generator.
"""

from __future__ import annotations

import csv
import gzip
import random
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

SEED = 13
SIMILAR_FRIENDS = 3  # per user, from their SIMILAR_POOL most similar users
SIMILAR_POOL = 25
RANDOM_FRIENDS = 1  # per user, from everyone
MIN_CO_RATED = 5  # fewer movies in common than this: not "similar taste"


def read_ratings(path: Path) -> dict[int, dict[int, float]]:
    """MovieLens ratings.csv(.gz): {user id: {movie id: stars}}."""
    opener = gzip.open if path.suffix == ".gz" else open
    by_user: dict[int, dict[int, float]] = {}
    with opener(path, "rt", encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            by_user.setdefault(int(row["userId"]), {})[int(row["movieId"])] = float(row["rating"])
    return by_user


def taste_similarity(ratings: Mapping[int, Mapping[int, float]]) -> tuple[list[int], np.ndarray]:
    """Users (sorted) and their pairwise cosine similarity of mean-centred ratings; pairs with
    fewer than MIN_CO_RATED movies in common get -inf, and so does the diagonal."""
    users = sorted(ratings)
    movies = sorted({m for r in ratings.values() for m in r})
    column = {m: j for j, m in enumerate(movies)}
    centred = np.zeros((len(users), len(movies)), dtype=np.float32)
    rated = np.zeros_like(centred)
    for i, user in enumerate(users):
        values = ratings[user]
        mean = sum(values.values()) / len(values)
        for movie, stars in values.items():
            centred[i, column[movie]] = stars - mean
            rated[i, column[movie]] = 1.0
    norms = np.linalg.norm(centred, axis=1)
    norms[norms == 0] = 1.0
    unit = centred / norms[:, None]
    similarity = unit @ unit.T
    similarity[(rated @ rated.T) < MIN_CO_RATED] = -np.inf
    np.fill_diagonal(similarity, -np.inf)
    return users, similarity


def demo_friend_pairs(
    ratings: Mapping[int, Mapping[int, float]], *, seed: int = SEED
) -> list[tuple[int, int]]:
    """Undirected friendships (smaller id first, sorted) among the users of `ratings`."""
    rng = random.Random(seed)  # noqa: S311 (a reproducible demo, not a secret)
    users, similarity = taste_similarity(ratings)
    pairs: set[tuple[int, int]] = set()
    for i, user in enumerate(users):
        ranked = [j for j in np.argsort(-similarity[i], kind="stable") if similarity[i, j] > 0]
        pool = ranked[:SIMILAR_POOL]
        chosen = rng.sample(pool, min(SIMILAR_FRIENDS, len(pool)))
        others = [j for j in range(len(users)) if j != i]
        chosen += rng.sample(others, min(RANDOM_FRIENDS, len(others)))
        for j in chosen:
            a, b = sorted((user, users[j]))
            pairs.add((a, b))
    return sorted(pairs)


def write_pairs(path: Path, pairs: Iterable[tuple[int, int]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["userId", "friendUserId"])
        writer.writerows(pairs)


def read_pairs(path: Path) -> list[tuple[int, int]]:
    with path.open(encoding="utf-8", newline="") as file:
        return [(int(r["userId"]), int(r["friendUserId"])) for r in csv.DictReader(file)]
