from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

import pytest

from ml.evaluate import (
    catalog_coverage,
    mae,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    rmse,
)


def test_rating_errors() -> None:
    assert rmse([1, 2, 3], [1, 2, 5]) == pytest.approx(math.sqrt(4 / 3))
    assert mae([1, 2, 3], [2, 2, 5]) == pytest.approx(1.0)


def test_ranking_metrics_by_hand() -> None:
    recommended = {1: [10, 11, 12], 2: [20, 21, 22], 3: [30]}
    relevant = {
        1: {11, 99},
        2: {20},
        3: set(),
    }  # user 3 has nothing relevant: not averaged
    assert precision_at_k(recommended, relevant, k=3) == pytest.approx((1 / 3 + 1 / 3) / 2)
    assert recall_at_k(recommended, relevant, k=3) == pytest.approx((1 / 2 + 1) / 2)
    user1 = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(recommended, relevant, k=3) == pytest.approx((user1 + 1.0) / 2)
    assert catalog_coverage(recommended, catalogue={10, 11, 12, 13}) == pytest.approx(0.75)


class _FixedRecommender:
    """Predicts 3.0 for known movies and 2.0 (its 'baseline') for unknown; ranks a fixed order."""

    def __init__(self, known: set[int], order: list[int]) -> None:
        self.known, self.order = known, order
        self.seen_histories: dict[int | None, dict[int, float]] = {}

    def predict(
        self, *, ratings: Mapping[int, float], movie_ids: Sequence[int], user_id: int | None = None
    ) -> list[float]:
        self.seen_histories[user_id] = dict(ratings)
        return [3.0 if m in self.known else 2.0 for m in movie_ids]

    def recommend(
        self,
        *,
        ratings: Mapping[int, float],
        k: int = 20,
        exclude: Collection[int] = (),
        user_id: int | None = None,
    ) -> list[tuple[int, float]]:
        return [(m, 1.0) for m in self.order if m not in ratings][:k]


def test_protocol_scores_every_rating_and_ranks_users_with_relevant_items() -> None:
    import pandas as pd

    from ml.evaluate import evaluate_recommender

    train = pd.DataFrame(
        {"userId": [1, 1, 2], "movieId": [10, 11, 10], "rating": [4.0, 3.0, 5.0], "timestamp": 0}
    )
    test = pd.DataFrame(
        {"userId": [1, 1, 2], "movieId": [12, 99, 11], "rating": [5.0, 2.0, 3.0], "timestamp": 0}
    )
    rec = _FixedRecommender(known={10, 11, 12}, order=[10, 12, 11])
    out = evaluate_recommender(rec, train=train, test=test, k=2)
    # every test rating is scored, the unknown movie 99 with the baseline
    assert out["n_test_ratings"] == 3
    assert out["rmse"] == pytest.approx(math.sqrt((4 + 0 + 0) / 3))
    assert rec.seen_histories[1] == {10: 4.0, 11: 3.0}
    # only user 1 has a relevant (>= 4) test item; its list skips its training movies: [12]
    assert out["n_ranked_users"] == 1
    assert out["ndcg@2"] == pytest.approx(1.0)
    assert out["precision@2"] == pytest.approx(0.5)
    assert out["recall@2"] == pytest.approx(1.0)
