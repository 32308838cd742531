"""Metrics (names as in Microsoft recommenders) and the `python -m ml.evaluate` CLI."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ml.recommender import Recommender

Lists = Mapping[int, Sequence[int]]
Relevant = Mapping[int, Collection[int]]


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
    rec: Recommender,
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


def main(argv: list[str] | None = None) -> int:
    from ml.data import load_ratings
    from ml.recommender import Recommender
    from ml.train import TrainConfig, train

    parser = argparse.ArgumentParser(prog="python -m ml.evaluate")
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--artifact", help="evaluate this artifact instead of training one")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=TrainConfig().seed)
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args(argv)
    train_df, test_df = load_ratings(args.train), load_ratings(args.test)
    extra: dict[str, Any] = {}
    if args.artifact:
        rec = Recommender.load(args.artifact)
        extra["artifact"] = rec.version
    else:
        result = train(train_df, TrainConfig(seed=args.seed))
        rec = Recommender.from_result(result)
        extra["train_seconds"] = round(result.train_seconds, 3)
        extra["best_epoch"] = result.best_epoch
        extra["val_rmse"] = result.metrics["val_rmse"]
    metrics = {
        **evaluate_recommender(rec, train=train_df, test=test_df, k=args.k),
        **extra,
    }
    metrics = {
        k: (round(v, 5) if isinstance(v, float) and math.isfinite(v) else v)
        for k, v in metrics.items()
    }
    text = json.dumps(metrics, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
