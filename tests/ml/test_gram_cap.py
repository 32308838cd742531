"""The ranker's Gram walks at scale: the per-user rating cap that bounds their co-rating pairs
(`TrainConfig.ease_max_pairs`), and the block walk used when the whole Gram is too big to build
at once, which must give the same model as the whole Gram."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import torch

from ml import sparse_ease
from ml.data import IdMap
from ml.sparse_ease import SparseEASE, capped_ratings, user_cap
from ml.train import TrainConfig, _encode, train

HEAVY = (901, 902, 903)  # users who rated every movie (40 ratings; the others have 15)


@pytest.fixture(scope="module")
def with_heavy_raters(
    ratings: pd.DataFrame, group_a: list[int], group_b: list[int]
) -> pd.DataFrame:
    rows = [
        (user, movie, 4.5 if (movie in group_a) == (user % 2 == 1) else 1.5, 5000 + i)
        for i, (user, movie) in enumerate((u, m) for u in HEAVY for m in group_a + group_b)
    ]
    extra = pd.DataFrame(rows, columns=["userId", "movieId", "rating", "timestamp"])
    return pd.concat([ratings, extra], ignore_index=True)


def _fit_kwargs(frame: pd.DataFrame) -> dict:
    users, movies = IdMap(frame.userId), IdMap(frame.movieId)
    data = _encode(frame, users, movies)
    return {
        "users": data.users,
        "items": data.items,
        "ratings": data.ratings,
        "n_items": len(movies),
        "min_support": 1,
        "lam": 5.0,
        "dropout": 0.25,
        "topk": 8,
    }


def test_cap_is_the_largest_that_keeps_the_pairs_within_the_budget() -> None:
    users = torch.repeat_interleave(torch.arange(4), torch.tensor([3, 10, 50, 200]))
    assert user_cap(users, max_pairs=9 + 100 + 2500 + 40_000) == 0  # everything fits: no cap
    cap = user_cap(users, max_pairs=9 + 100 + 2 * 30**2)
    assert cap == 30
    assert user_cap(users, max_pairs=9 + 100 + 2 * 30**2 - 1) == 29


def test_a_user_above_the_cap_keeps_a_seeded_sample_of_cap_ratings() -> None:
    users = torch.repeat_interleave(torch.arange(4), torch.tensor([3, 10, 50, 200]))
    kept = capped_ratings(users, 20, seed=1)
    assert torch.equal(torch.bincount(users[kept]), torch.tensor([3, 10, 20, 20]))
    assert torch.equal(kept, torch.sort(kept).values)
    assert torch.equal(kept, capped_ratings(users, 20, seed=1))  # same seed, same sample
    assert not torch.equal(kept, capped_ratings(users, 20, seed=2))
    under = torch.isin(users, torch.tensor([0, 1]))
    assert torch.equal(kept[under[kept]], torch.nonzero(under).flatten())  # all of theirs


def test_capped_fit_is_the_fit_of_the_sampled_ratings(with_heavy_raters: pd.DataFrame) -> None:
    """Only the heavy raters are cut (to the cap, by the seeded sample); everyone else's
    ratings all enter the Gram, and popularity still counts every rating."""
    kwargs = _fit_kwargs(with_heavy_raters)
    n_light = len(with_heavy_raters) - 40 * len(HEAVY)
    max_pairs = n_light // 15 * 15**2 + len(HEAVY) * 20**2
    capped = SparseEASE.fit(**kwargs, max_pairs=max_pairs, seed=3)
    assert capped.user_cap == 20
    keep = capped_ratings(kwargs["users"], 20, seed=3)
    assert len(keep) == n_light + 20 * len(HEAVY)
    assert capped.gram_share == pytest.approx(len(keep) / len(with_heavy_raters))
    sampled = {**kwargs, **{k: kwargs[k][keep] for k in ("users", "items", "ratings")}}
    reference = SparseEASE.fit(**sampled)
    assert reference.user_cap == 0
    assert torch.equal(capped.neighbours, reference.neighbours)
    assert torch.equal(capped.weights, reference.weights)
    assert torch.equal(capped.co_liked, reference.co_liked)
    assert torch.equal(
        capped.popularity, torch.bincount(kwargs["items"], minlength=40).to(torch.float32)
    )
    again = SparseEASE.fit(**kwargs, max_pairs=max_pairs, seed=3)
    assert torch.equal(capped.weights, again.weights)


def test_budget_above_the_datas_pairs_changes_nothing(with_heavy_raters: pd.DataFrame) -> None:
    config = TrainConfig(dim=4, epochs=3, ease_min_support=1, ease_topk=8, seed=7)
    default = train(with_heavy_raters, config)
    uncapped = train(with_heavy_raters, dataclasses.replace(config, ease_max_pairs=0))
    assert default.metrics["ease_user_cap"] == 0
    assert torch.equal(default.ranker.weights, uncapped.ranker.weights)
    capped = train(with_heavy_raters, dataclasses.replace(config, ease_max_pairs=15_000))
    assert 15 <= capped.metrics["ease_user_cap"] < 40
    assert not torch.equal(default.ranker.weights, capped.ranker.weights)


def test_block_walk_gives_the_whole_gram_model(
    with_heavy_raters: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large catalogues walk the Gram in blocks of rows enumerated from the co-rating pairs;
    that path must give the same ranker as the Gram built at once (the small-data path)."""
    kwargs = _fit_kwargs(with_heavy_raters)
    whole = SparseEASE.fit(**kwargs)
    monkeypatch.setattr(sparse_ease, "DENSE_GRAM_BYTES", 0)
    monkeypatch.setattr(sparse_ease, "MAX_BLOCK", 3)
    blocks = SparseEASE.fit(**kwargs, pair_budget=500)
    assert torch.equal(whole.neighbours, blocks.neighbours)
    assert torch.equal(whole.weights, blocks.weights)
    assert torch.equal(whole.co_liked, blocks.co_liked)
