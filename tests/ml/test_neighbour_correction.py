from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import torch

from ml.data import IdMap, split_random
from ml.recommender import Recommender
from ml.sparse_ease import neighbour_numbers
from ml.train import TrainConfig, TrainResult, _encode, _fit_ranker, _neighbour_numbers


def test_batched_neighbour_sums_match_brute_force(
    ratings: pd.DataFrame, small_config: TrainConfig
) -> None:
    users, movies = IdMap(ratings.userId), IdMap(ratings.movieId)
    fit_df, query_df = split_random(ratings, test_fraction=0.2, seed=1)
    fit, query = _encode(fit_df, users, movies), _encode(query_df, users, movies)
    residuals = torch.linspace(-1.0, 1.0, len(fit.ratings))
    for kind in ("dense", "sparse"):
        config = dataclasses.replace(small_config, ranker=kind, ease_topk=10)
        ranker = _fit_ranker(fit, len(users), len(movies), config)
        if kind == "dense":
            num, den = _neighbour_numbers(ranker, fit, residuals, query, len(users))
        else:
            num, den = neighbour_numbers(
                ranker,
                fit_users=fit.users,
                fit_items=fit.items,
                residuals=residuals,
                query_users=query.users,
                query_items=query.items,
            )
        for q in range(len(query.users)):
            mine = (fit.users == query.users[q]) & (ranker.position[fit.items] >= 0)
            col = torch.tensor(
                [
                    max(float(ranker.contributions(fit.items[[j]], int(query.items[q]))[0]), 0.0)
                    for j in torch.nonzero(mine).flatten().tolist()
                ]
            )
            assert float(num[q]) == pytest.approx(float(residuals[mine] @ col), abs=1e-5)
            assert float(den[q]) == pytest.approx(float(col.sum()), abs=1e-5)


def test_correction_is_part_of_served_predictions(
    trained: TrainResult, group_a: list[int], group_b: list[int]
) -> None:
    rec = Recommender.from_result(trained)
    rated = {group_a[0]: 5.0, group_a[1]: 1.0, group_b[0]: 2.0}
    wanted = group_a[2:8]
    alpha = float(trained.ranker.alpha)
    assert 0.0 <= alpha <= 5.0
    with_corr = rec.predict(ratings=rated, movie_ids=wanted)
    trained.ranker.alpha.fill_(0.0)
    try:
        plain = rec.predict(ratings=rated, movie_ids=wanted)
    finally:
        trained.ranker.alpha.fill_(alpha)
    assert (with_corr != plain) == (alpha > 0)
