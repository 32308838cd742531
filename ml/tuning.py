"""Cross-validation and a small grid search over TrainConfig, for tuning (no Django).

    from ml.tuning import cross_validate, grid_search
    cv = cross_validate(ratings, TrainConfig(dim=32), folds=5)     # {"rmse": {"mean", "std"}, ...}
    rows = grid_search(ratings, TrainConfig(), {"dim": [16, 32], "reg": [0.05, 0.1]}, folds=3)

Folds are chosen by a hash of (user, movie) (`ml.deployment.holdout_mask`'s hash, per fold
seed), so they are the same for every configuration and do not depend on row order. Each fold's
model trains on the other folds and is scored by `ml.evaluate.evaluate_recommender` (users
folded in from their training ratings). Command lines: `python -m ml.evaluate --folds 5` and
`python -m ml.tune`.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ml.data import load_ratings, pair_hashes
from ml.evaluate import evaluate_recommender
from ml.recommender import Recommender
from ml.train import train
from ml.types import TrainConfig

SUMMARISED = ("rmse", "mae", "precision@10", "recall@10", "ndcg@10", "catalog_coverage")


def fold_ids(ratings: pd.DataFrame, *, folds: int, seed: int = 42) -> np.ndarray:
    """Fold number (0..folds-1) of each rating, from a hash of (user, movie, seed)."""
    if folds < 2:
        raise ValueError("folds must be at least 2")
    with np.errstate(over="ignore"):
        mixed = pair_hashes(ratings) ^ (np.uint64(seed) * np.uint64(0xD1B54A32D192ED03))
        mixed = (mixed ^ (mixed >> np.uint64(29))) * np.uint64(0xBF58476D1CE4E5B9)
    return ((mixed >> np.uint64(11)) % np.uint64(folds)).astype(np.int64)


def _summary(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    out = {}
    for key in SUMMARISED:
        values = [float(r[key]) for r in rows if key in r]
        if values:
            arr = np.asarray(values)
            out[key] = {
                "mean": float(arr.mean()),
                "std": float(arr.std(ddof=1)) if len(arr) > 1 else 0.0,
                "min": float(arr.min()),
                "max": float(arr.max()),
            }
    return out


def cross_validate(
    ratings: pd.DataFrame | str,
    config: TrainConfig | None = None,
    *,
    folds: int = 5,
    seed: int = 42,
    k: int = 10,
) -> dict[str, Any]:
    """K-fold cross-validation: {"folds": [per-fold metrics], "summary": {metric: {mean, std,
    min, max}}, "seconds": wall time}."""
    config = config or TrainConfig()
    frame = load_ratings(ratings)
    started = time.perf_counter()
    assignment = fold_ids(frame, folds=folds, seed=seed)
    rows = []
    for fold in range(folds):
        train_part = frame[assignment != fold].reset_index(drop=True)
        test_part = frame[assignment == fold].reset_index(drop=True)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Sparse (CSR|invariant)")
            result = train(train_part, config)
        scores = evaluate_recommender(
            Recommender.from_result(result), train=train_part, test=test_part, k=k
        )
        scores.update(fold=fold, best_epoch=result.best_epoch, train_seconds=result.train_seconds)
        rows.append(scores)
    return {
        "folds": rows,
        "summary": _summary(rows),
        "seconds": round(time.perf_counter() - started, 3),
    }


def grid_search(
    ratings: pd.DataFrame | str,
    base: TrainConfig | None,
    grid: Mapping[str, Sequence[Any]],
    *,
    folds: int = 3,
    seed: int = 42,
    sort_by: str = "ndcg@10",
) -> list[dict[str, Any]]:
    """Cross-validate every combination of `grid` (TrainConfig field -> values) over `base`;
    rows {"params", "summary", "seconds"}, best first by the mean of `sort_by` (RMSE: lowest
    first, other metrics highest first)."""
    base = base or TrainConfig()
    names = list(grid)
    unknown = [n for n in names if n not in TrainConfig.field_names()]
    if unknown:
        raise ValueError(f"not TrainConfig fields: {', '.join(unknown)}")
    frame = load_ratings(ratings)
    rows = []
    for values in itertools.product(*(grid[n] for n in names)):
        params = dict(zip(names, values, strict=True))
        config = dataclasses.replace(base, **params)
        cv = cross_validate(frame, config, folds=folds, seed=seed)
        rows.append({"params": params, "summary": cv["summary"], "seconds": cv["seconds"]})

    def key(row: dict[str, Any]) -> float:
        mean = row["summary"].get(sort_by, {}).get("mean", math.nan)
        if not math.isfinite(mean):
            return math.inf
        return mean if sort_by in ("rmse", "mae") else -mean

    return sorted(rows, key=key)
