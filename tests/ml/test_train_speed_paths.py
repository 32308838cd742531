"""What the fast training paths keep: the written-out Adam is torch's Adam step for step, and
without a refit one ranker, fitted on the part the rating model saw, is served."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import torch

from ml import sparse_ease
from ml.data import IdMap, split_random
from ml.sparse_ease import SparseEASE
from ml.train import TrainConfig, _Adam, _encode, _fit_ranker, train


def test_written_out_adam_matches_torch_adam_step_for_step() -> None:
    gen = torch.Generator().manual_seed(3)
    start = [torch.randn(7, 4, generator=gen), torch.randn(11, generator=gen)]
    targets = [torch.randn(7, 4, generator=gen), torch.randn(11, generator=gen)]
    ours = [torch.nn.Parameter(t.clone()) for t in start]
    theirs = [torch.nn.Parameter(t.clone()) for t in start]
    opt_ours = _Adam(ours, lr=0.03)
    opt_theirs = torch.optim.Adam(theirs, lr=0.03)
    for _ in range(60):
        for params, opt in ((ours, opt_ours), (theirs, opt_theirs)):
            loss = torch.stack(
                [((p - t) ** 4).sum() for p, t in zip(params, targets, strict=True)]
            ).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    for a, b in zip(ours, theirs, strict=True):
        assert torch.equal(a, b)


def test_without_refit_the_served_ranker_is_fitted_on_the_fit_part(
    ratings: pd.DataFrame, small_config: TrainConfig
) -> None:
    config = dataclasses.replace(small_config, refit=False)
    result = train(ratings, config)
    assert isinstance(result.ranker, SparseEASE)
    fit_part, _ = split_random(ratings, test_fraction=config.val_fraction, seed=config.seed)
    users, movies = IdMap(ratings["userId"].to_numpy()), IdMap(ratings["movieId"].to_numpy())
    expected = _fit_ranker(_encode(fit_part, users, movies), len(users), len(movies), config)
    assert isinstance(expected, SparseEASE)
    assert torch.equal(result.ranker.kept, expected.kept)
    assert torch.equal(result.ranker.weights, expected.weights)
    assert torch.equal(result.ranker.co_liked, expected.co_liked)
    assert result.ranker.co_liked.shape[1] > 0  # the similar-movies lists are there


def test_dense_gram_gives_the_same_ranker_as_the_pair_walk(
    ratings: pd.DataFrame, small_config: TrainConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    users, movies = IdMap(ratings["userId"].to_numpy()), IdMap(ratings["movieId"].to_numpy())
    data = _encode(ratings, users, movies)
    dense = _fit_ranker(data, len(users), len(movies), small_config)
    monkeypatch.setattr(sparse_ease, "DENSE_GRAM_BYTES", 0)  # every Gram row from the pair walk
    walked = _fit_ranker(data, len(users), len(movies), small_config)
    assert isinstance(dense, SparseEASE)
    assert isinstance(walked, SparseEASE)
    assert torch.equal(dense.neighbours, walked.neighbours)
    assert torch.equal(dense.weights, walked.weights)
    assert torch.equal(dense.co_liked, walked.co_liked)
