from __future__ import annotations

import math

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
