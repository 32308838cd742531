"""Recommender.explain: the rated movies behind each recommendation."""

from __future__ import annotations

from ml.recommender import Recommender
from ml.types import TrainResult


def test_reasons_come_from_the_users_own_taste(trained: TrainResult, group_a, group_b) -> None:
    rec = Recommender.from_result(trained)
    ratings = {m: 5.0 for m in group_a[:6]} | {group_b[0]: 1.0}
    top = [m for m, _ in rec.recommend(ratings=ratings, k=5)]
    reasons = rec.explain(ratings=ratings, movie_ids=top, n=2)
    assert list(reasons) == top
    for movie_id, because in reasons.items():
        assert 1 <= len(because) <= 2
        assert set(because) <= set(ratings)
        assert movie_id not in because
        assert set(because) <= set(group_a)  # the liked group speaks for the liked group


def test_no_reasons_without_ratings_or_for_unknown_movies(trained: TrainResult, group_a) -> None:
    rec = Recommender.from_result(trained)
    assert rec.explain(ratings={}, movie_ids=group_a[:2]) == {group_a[0]: [], group_a[1]: []}
    assert rec.explain(ratings={group_a[0]: 5.0}, movie_ids=[999_999]) == {999_999: []}
    assert rec.explain(ratings={group_a[0]: 5.0}, movie_ids=[group_a[1]], n=0) == {group_a[1]: []}
