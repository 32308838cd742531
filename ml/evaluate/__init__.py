"""Metrics (names as in Microsoft recommenders) and the evaluation protocol.

The command line is `python -m ml.evaluate` (`ml/evaluate/__main__.py`, which nothing imports).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

Lists = Mapping[int, Sequence[int]]
Relevant = Mapping[int, Collection[int]]


class Scorer(Protocol):
    """What the protocol needs of a model: `ml.recommender.Recommender`, or a baseline."""

    def predict(
        self, *, ratings: Mapping[int, float], movie_ids: Sequence[int], user_id: int | None = ...
    ) -> list[float]: ...

    def recommend(
        self, *, ratings: Mapping[int, float], k: int = ..., user_id: int | None = ...
    ) -> list[tuple[int, float]]: ...


def rmse(y_true: Sequence[float] | np.ndarray, y_pred: Sequence[float] | np.ndarray) -> float:
    diff = np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    return float(np.sqrt(np.mean(diff**2)))


def mae(y_true: Sequence[float] | np.ndarray, y_pred: Sequence[float] | np.ndarray) -> float:
    diff = np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    return float(np.mean(np.abs(diff)))


def _users(recommended: Lists, relevant: Relevant) -> list[int]:
    """Users that have at least one relevant item (the averaging population)."""
    return [u for u, rel in relevant.items() if len(rel) > 0]


def precision_at_k(recommended: Lists, relevant: Relevant, *, k: int = 10) -> float:
    """hits in the top k / k, averaged over users with at least one relevant item."""
    users = _users(recommended, relevant)
    if not users:
        return 0.0
    vals = [len(set(recommended.get(u, [])[:k]) & set(relevant[u])) / k for u in users]
    return float(np.mean(vals))


def recall_at_k(recommended: Lists, relevant: Relevant, *, k: int = 10) -> float:
    """hits in the top k / |relevant|, averaged over users with at least one relevant item."""
    users = _users(recommended, relevant)
    if not users:
        return 0.0
    vals = [
        len(set(recommended.get(u, [])[:k]) & set(relevant[u])) / len(relevant[u]) for u in users
    ]
    return float(np.mean(vals))


def ndcg_at_k(recommended: Lists, relevant: Relevant, *, k: int = 10) -> float:
    """Binary-gain NDCG; the ideal DCG places min(|relevant|, k) hits first."""
    users = _users(recommended, relevant)
    if not users:
        return 0.0
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    vals = []
    for u in users:
        rel = set(relevant[u])
        gains = [1.0 if m in rel else 0.0 for m in list(recommended.get(u, []))[:k]]
        dcg = float(np.dot(gains, discounts[: len(gains)]))
        idcg = float(discounts[: min(len(rel), k)].sum())
        vals.append(dcg / idcg)
    return float(np.mean(vals))


def catalog_coverage(recommended: Lists, *, catalogue: Collection[int]) -> float:
    """Distinct recommended movies / catalogue size."""
    if not catalogue:
        return 0.0
    shown = {m for items in recommended.values() for m in items}
    return len(shown & set(catalogue)) / len(catalogue)


def evaluate_recommender(
    rec: Scorer,
    *,
    train: pd.DataFrame,
    test: pd.DataFrame,
    k: int = 10,
    relevance_threshold: float = 4.0,
) -> dict[str, Any]:
    """Protocol: every test rating scored (fold-in from the user's training ratings); ranking over
    all training movies minus the user's training movies, relevant = test ratings >= threshold."""
    start = time.perf_counter()
    history = {
        int(u): dict(zip(g["movieId"].astype(int), g["rating"].astype(float), strict=True))
        for u, g in train.groupby("userId")
    }
    truth, preds = [], []
    recommended: dict[int, list[int]] = {}
    relevant: dict[int, set[int]] = {}
    for u, g in test.groupby("userId"):
        user = int(u)
        rated = history.get(user, {})
        movies = g["movieId"].astype(int).tolist()
        preds.extend(rec.predict(ratings=rated, movie_ids=movies, user_id=user))
        truth.extend(g["rating"].astype(float).tolist())
        rel = set(g.loc[g["rating"] >= relevance_threshold, "movieId"].astype(int))
        if rel:
            relevant[user] = rel
            recommended[user] = [m for m, _ in rec.recommend(ratings=rated, k=k, user_id=user)]
    catalogue = set(train["movieId"].astype(int))
    return {
        "rmse": rmse(truth, preds),
        "mae": mae(truth, preds),
        f"precision@{k}": precision_at_k(recommended, relevant, k=k),
        f"recall@{k}": recall_at_k(recommended, relevant, k=k),
        f"ndcg@{k}": ndcg_at_k(recommended, relevant, k=k),
        "catalog_coverage": catalog_coverage(recommended, catalogue=catalogue),
        "n_test_ratings": len(truth),
        "n_ranked_users": len(relevant),
        "eval_seconds": round(time.perf_counter() - start, 3),
    }


def overlap_report(
    *,
    test: pd.DataFrame,
    train: pd.DataFrame | None = None,
    trained_pairs: np.ndarray | None = None,
) -> str | None:
    """None when `test` is disjoint from the training data, else one line saying how much of it
    the model was trained on: exactly against `train`, or estimated from an artifact's sample of
    hashed training pairs (`ml.data.pair_sample`)."""
    from ml.data import PAIR_SAMPLE_EVERY, sample_overlap

    if train is not None:
        keys = ["userId", "movieId"]
        shared = len(test[keys].merge(train[keys].drop_duplicates(), on=keys))
        if shared:
            return (
                f"{shared} of {len(test)} test ratings ({shared / len(test):.1%}) are also in "
                "the training ratings: the figures are leaked, not a fair test"
            )
    if trained_pairs is not None:
        probed, found = sample_overlap(trained_pairs, test)
        if found:
            share = found / probed
            return (
                f"about {share:.0%} of the test ratings were in the model's training data "
                f"({found} of {probed} sampled pairs, 1 in {PAIR_SAMPLE_EVERY}): the figures "
                "are leaked, not a fair test"
            )
    return None
