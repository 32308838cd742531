"""What the home page and group picks ask of the deployed model, beyond a ranked list.

Three questions, answered from the model's own terms (no Django here):
- `pick_contributions`: how much each rated movie adds to a pick's ranking score;
- `item_neighbours`: a movie's nearest movies in the model's item space;
- `member_stars`: one user's predicted stars for many movies, personal or cold-start;
- `member_ranking`: one user's ranking score for every movie (what `Recommender.recommend`
  ranks by).

They read the serving object's parts (`Recommender.model`, `.ranker`, the id maps), so a new
recommender only has to re-implement this module, not its callers.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import torch

from ml.recommender import MAX_STARS, MIN_STARS, Recommender

# Cold start: a member's mean offset from the model's baseline, damped as if they had this many
# more ratings exactly on the baseline (3 ratings 1 star above the baseline lift by 0.375).
COLD_START_DAMPING = 5.0


def movie_ids(recommender: Recommender) -> np.ndarray:
    """Every movie id the model knows, in its internal order (the order of `member_stars`)."""
    return recommender._movie_ids


def rating_counts(recommender: Recommender) -> np.ndarray:
    """Training ratings per movie, in the order of `movie_ids`."""
    return recommender._counts.numpy()


def _indices(recommender: Recommender, ids: Collection[int]) -> list[int]:
    index = recommender._movie_index
    return [index[m] for m in map(int, ids) if m in index]


def pick_contributions(
    recommender: Recommender,
    *,
    ratings: Mapping[int, float],
    picks: Sequence[int],
    among: Collection[int],
    k: int = 3,
) -> dict[int, list[int]]:
    """For each pick, up to `k` movies of `among` (rated by the user) that add most to its score.

    The ranking score of movie i is sum_j B[j, i] over the rated movies j (the item model) plus
    `blend` x the predicted stars, whose personal part q_i . p_u is linear in the ratings through
    the fold-in's ridge solve: p_u = sum_j h_j (r_j - mu - b_j). So rated movie j contributes
    B[j, i] + blend * (q_i . h_j) (r_j - mu - b_j), and the parts add up to the score (up to the
    terms that do not depend on j). Largest first; movies of `among` the model does not know
    cannot be credited and are left out.
    """
    model, ranker = recommender.model, recommender.ranker
    index = recommender._movie_index
    rated = [(int(m), float(v)) for m, v in ratings.items() if int(m) in index]
    wanted = [i for i, (m, _) in enumerate(rated) if m in set(map(int, among))]
    pick_idx = [index.get(int(p), -1) for p in picks]
    if not rated or not wanted or not picks:
        return {int(p): [] for p in picks}
    with torch.inference_mode():
        items = torch.tensor([index[m] for m, _ in rated], dtype=torch.long)
        stars = torch.tensor([v for _, v in rated], dtype=torch.float32)
        known_picks = torch.tensor([max(i, 0) for i in pick_idx], dtype=torch.long)
        contrib = torch.zeros(len(rated), len(picks))
        # Item model: B[j, i] for each rated j (0 outside the kept set or i's neighbours); the
        # ranker answers it in its own storage, dense (EASE) or top-k (SparseEASE).
        for column, pick in enumerate(pick_idx):
            if pick >= 0:
                contrib[:, column] = ranker.contributions(items, pick)
        # Rating model, through the ridge solve's hat matrix.
        blend = float(ranker.blend)
        if blend:
            n = len(items)
            q = model.item_factors[items]
            design = torch.cat([torch.ones(n, 1), q], dim=1)
            penalty = torch.full((model.dim + 1,), float(model.reg) * n)
            penalty[0] = float(model.reg_bias) * n
            gram = design.T @ design + torch.diag(penalty)
            hat = torch.linalg.solve(gram, design.T)[1:]  # dim x n: p_u = hat @ target
            target = stars - model.global_mean - model.item_bias[items]
            per_rating = hat * target  # dim x n
            contrib += blend * (per_rating.T @ model.item_factors[known_picks].T)
        scores = contrib[wanted].T.tolist()  # picks x wanted
    out: dict[int, list[int]] = {}
    wanted_ids = [rated[i][0] for i in wanted]
    for p, idx, row in zip(picks, pick_idx, scores, strict=True):
        if idx < 0:
            out[int(p)] = []
            continue
        order = sorted(range(len(row)), key=lambda c: (-row[c], wanted_ids[c]))
        out[int(p)] = [wanted_ids[c] for c in order[:k]]
    return out


def item_neighbours(
    recommender: Recommender,
    *,
    movie_id: int,
    k: int,
    exclude: Collection[int] = (),
    min_support: int = 5,
) -> list[int]:
    """The `k` nearest movies to `movie_id` by item-embedding cosine (the similar-movies list),
    among movies with at least `min_support` training ratings, never `movie_id` or `exclude`.
    [] when the model does not know the movie."""
    i = recommender._movie_index.get(int(movie_id))
    if i is None:
        return []
    unit, counts = recommender._item_unit, recommender._counts
    with torch.inference_mode():
        sims = unit @ unit[i]
        sims[counts < min_support] = float("-inf")
        sims[i] = float("-inf")
        blocked = _indices(recommender, exclude)
        if blocked:
            sims[torch.tensor(blocked, dtype=torch.long)] = float("-inf")
        n = min(k, int((sims > float("-inf")).sum()))
        if n <= 0:
            return []
        top = torch.topk(sims, n).indices.tolist()
    return [int(recommender._movie_ids[j]) for j in top]


def member_stars(
    recommender: Recommender, *, ratings: Mapping[int, float], personal: bool
) -> np.ndarray:
    """Predicted stars (0.5-5.0) for every movie of `movie_ids`, as float32.

    personal: the rating model folded in from `ratings` with its neighbour correction (what
    `Recommender.predict` serves). Otherwise cold start: the model's baseline mu + b_i plus the
    user's damped mean offset from it, so a member with two ratings is not treated as average
    on everything but is not trusted with a full profile either.
    """
    if personal:
        return _personal_stars(recommender, ratings)
    model = recommender.model
    with torch.inference_mode():
        baseline = (model.global_mean + model.item_bias).numpy().astype(np.float32)
    idx = _indices(recommender, ratings.keys())
    offset = 0.0
    if idx:
        values = np.array(
            [float(v) for m, v in ratings.items() if int(m) in recommender._movie_index],
            dtype=np.float32,
        )
        offset = float((values - baseline[idx]).sum() / (len(idx) + COLD_START_DAMPING))
    return np.clip(baseline + offset, MIN_STARS, MAX_STARS)


def member_ranking(recommender: Recommender, *, ratings: Mapping[int, float]) -> np.ndarray:
    """The ranking score of every movie (order of `movie_ids`, float32) for a user with
    `ratings`, as `Recommender.recommend` computes it before it drops the rated movies: the
    item model's terms plus `blend` x the predicted stars. log(1 + training ratings) when the
    model knows none of the rated movies. Scores of different users are on different scales:
    standardise them before combining."""
    model, ranker = recommender.model, recommender.ranker
    index = recommender._movie_index
    pairs = [(index[int(m)], float(v)) for m, v in ratings.items() if int(m) in index]
    with torch.inference_mode():
        if not pairs:
            return np.log1p(recommender._counts.numpy().astype(np.float32))
        items = torch.tensor([i for i, _ in pairs], dtype=torch.long)
        stars = torch.tensor([v for _, v in pairs], dtype=torch.float32)
        scores = ranker.score(items)
        blend = float(ranker.blend)
        if blend:
            bias, vec = model.fold_in(items, stars)
            scores = scores + blend * model.predict_items(bias, vec)
        return scores.numpy().astype(np.float32)


def _personal_stars(recommender: Recommender, ratings: Mapping[int, float]) -> np.ndarray:
    """`Recommender.predict` over every movie, vectorised (no per-movie Python work)."""
    model, ranker = recommender.model, recommender.ranker
    index = recommender._movie_index
    pairs = [(index[int(m)], float(v)) for m, v in ratings.items() if int(m) in index]
    with torch.inference_mode():
        items = torch.tensor([i for i, _ in pairs], dtype=torch.long)
        stars = torch.tensor([v for _, v in pairs], dtype=torch.float32)
        bias, vec = model.fold_in(items, stars)
        out = model.predict_items(bias, vec)
        if len(items) and float(ranker.alpha):
            residuals = stars - out[items]
            out += ranker.correction(items, residuals)
        return out.clamp(MIN_STARS, MAX_STARS).numpy().astype(np.float32)
