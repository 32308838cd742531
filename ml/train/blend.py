"""The weight of the predicted stars in the ranked list, fitted on the validation split.

Served ranking score: ranker score + blend x MF predicted stars (`Recommender.recommend`). The
ranker's scores have no fixed scale (a sum of item-item weights over the rated movies, whose
size depends on the ranker, its neighbourhood size and the user's history), so a fixed blend
suits one ranker and not another. `ranking_curve` scores the validation users as serving does
(fold-in and ranker scores from their fit ratings) for each candidate weight; `fit_blend` takes
the weight with the best validation NDCG@10, as the neighbour correction's alpha is fitted on
the same split. No test data is read. Opt-in (`TrainConfig.rank_blend < 0`): on the shared
splits the random validation split picks 0.05, below the fixed 0.1 on both test splits
(bench/ml/RESULTS.md).

A fixed weight is instead put on the served ranker's own scale: `spread_weight` multiplies it by
the ranker's `score_spread` over `REFERENCE_SPREAD`, so the mix of ranker and stars does not
change when the ranker's scores spread wider or narrower.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from ml.model import EASE, MatrixFactorization
from ml.sparse_ease import SparseEASE

LIKED = 4.0  # relevant: validation ratings >= this (the evaluation protocol's threshold)
# Candidate weights: 0 (ranker alone) and a geometric grid around the former fixed 0.1.
BLEND_GRID = (0.0, 0.02, 0.035, 0.05, 0.07, 0.1, 0.14, 0.2, 0.28, 0.4, 0.56, 0.8)
MAX_USERS = 1000  # validation users scored (seeded sample when there are more)
# A fixed weight (`TrainConfig.rank_blend` >= 0) is per this ranker-score spread: dense EASE's
# `score_spread` on the demo ratings (data/demo/ml-latest-small, default config: 0.03176), the
# ranker and data the served 0.1 was chosen with. The top-128 ranker's scores spread ~1.2x wider
# (it lacks the small negative weights of the movies outside each neighbourhood), so the same
# 0.1 gave it less of the stars than dense EASE got (bench/ml/RESULTS.md, 2026-12-02 morning).
REFERENCE_SPREAD = 0.0318


def ranking_curve(
    model: MatrixFactorization,
    ranker: EASE | SparseEASE,
    *,
    hist_users: torch.Tensor,
    hist_items: torch.Tensor,
    hist_stars: torch.Tensor,
    query_users: torch.Tensor,
    query_items: torch.Tensor,
    query_stars: torch.Tensor,
    weights: Sequence[float] = BLEND_GRID,
    k: int = 10,
    max_users: int = MAX_USERS,
    seed: int = 0,
) -> list[float]:
    """Mean binary-gain NDCG@k per weight, over users with a relevant query rating (>= LIKED):
    each user folded in from their history ratings, candidates all movies minus the history,
    as `ml.evaluate.evaluate_recommender` scores the served model."""
    rel = query_stars >= LIKED
    candidates = torch.unique(query_users[rel])
    if len(candidates) == 0 or len(hist_users) == 0:
        return [0.0] * len(weights)
    candidates = _sample_users(candidates, max_users, seed)
    h_order, h_lo, h_hi = _entries_of(candidates, hist_users)
    q_order, q_lo, q_hi = _entries_of(candidates, query_users, torch.nonzero(rel).flatten())
    w = torch.tensor(list(weights), dtype=torch.float32)[:, None]
    discount = 1.0 / torch.log2(torch.arange(2, k + 2, dtype=torch.float32))
    total = torch.zeros(len(weights), dtype=torch.float64)
    n = 0
    with torch.inference_mode():
        for c in range(len(candidates)):
            h = h_order[int(h_lo[c]) : int(h_hi[c])]
            if len(h) == 0:
                continue
            items, stars = hist_items[h], hist_stars[h]
            relevant = query_items[q_order[int(q_lo[c]) : int(q_hi[c])]]
            scores = ranker.score(items)
            bias, vec = model.fold_in(items, stars)
            stars_pred = model.predict_items(bias, vec)
            combined = scores[None, :] + w * stars_pred[None, :]
            combined[:, items] = float("-inf")
            top = torch.topk(combined, min(k, combined.shape[1]), dim=1).indices
            hits = torch.isin(top, relevant).to(torch.float32)
            ideal = float(discount[: min(len(relevant), k)].sum())
            total += ((hits * discount[: top.shape[1]]).sum(1) / ideal).double()
            n += 1
    return [float(v) / max(n, 1) for v in total]


def _sample_users(users: torch.Tensor, max_users: int, seed: int) -> torch.Tensor:
    """`users` (distinct, ascending), or a seeded sample of `max_users` of them, ascending."""
    if len(users) <= max_users:
        return users
    gen = torch.Generator().manual_seed(seed)
    return torch.sort(users[torch.randperm(len(users), generator=gen)[:max_users]]).values


def _entries_of(
    wanted: torch.Tensor, users: torch.Tensor, among: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(order, lo, hi): the entries of `users` (only the positions `among`, if given) that
    belong to `wanted[c]` are `order[lo[c]:hi[c]]`, in their original order."""
    among = torch.arange(len(users)) if among is None else among
    order = among[torch.argsort(users[among], stable=True)]
    grouped = users[order]
    lo = torch.searchsorted(grouped, wanted)
    return order, lo, torch.searchsorted(grouped, wanted, right=True)


def fit_blend(curve: Sequence[float], weights: Sequence[float] = BLEND_GRID) -> float:
    """The weight with the best validation NDCG (the smallest such weight on ties)."""
    best = max(range(len(weights)), key=lambda i: (curve[i], -weights[i]))
    value = float(weights[best])
    return value if math.isfinite(value) else 0.0


def score_spread(
    ranker: EASE | SparseEASE,
    *,
    users: torch.Tensor,
    items: torch.Tensor,
    max_users: int = MAX_USERS,
    seed: int = 0,
) -> float:
    """The scale of the ranker's scores: over (a seeded sample of) the users, each folded in
    from their ratings (`users`, `items`), the mean standard deviation of their scores over the
    kept movies they have not rated. 0.0 when no user has two such movies."""
    present = _sample_users(torch.unique(users), max_users, seed)
    order, lo, hi = _entries_of(present, users)
    total, n = 0.0, 0
    with torch.inference_mode():
        for c in range(len(present)):
            rated = items[order[int(lo[c]) : int(hi[c])]]
            if not bool((ranker.position[rated] >= 0).any()):
                continue  # no kept movie: the popularity fallback, not the ranker's scale
            scores = ranker.score(rated)
            scores[rated] = float("-inf")
            open_ = scores[torch.isfinite(scores)]
            if len(open_) >= 2:
                total += float(open_.std())
                n += 1
    return total / n if n else 0.0


def spread_weight(weight: float, spread: float) -> float:
    """The stars' weight for a ranker whose scores spread `spread` (`score_spread`), from a
    weight chosen for `REFERENCE_SPREAD`; `weight` itself when the spread is unknown (0)."""
    scaled = weight * spread / REFERENCE_SPREAD
    return scaled if spread > 0 and math.isfinite(scaled) else weight
