"""The sparse ranking model's contract: it is EASE restricted to top-k neighbours, serving folds a
user in exactly as training scores them, save/load changes nothing, and the artifact is mapped."""

from __future__ import annotations

import dataclasses
import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import ml.recommender as recommender_module
from ml.artifacts import load_artifact, save_artifact
from ml.data import IdMap
from ml.model import EASE
from ml.recommender import Recommender
from ml.sparse_ease import SparseEASE
from ml.train import TrainConfig, TrainResult, _encode, _fit_ranker, _gram, train
from ml.train.blend import REFERENCE_SPREAD, score_spread, spread_weight


def _dense(ranker: SparseEASE) -> torch.Tensor:
    """B as a dense (kept x kept) matrix: B[source, target]."""
    m, k = ranker.neighbours.shape
    b = torch.zeros(m, m)
    b[ranker.neighbours.long(), torch.arange(m)[:, None].expand(m, k)] = ranker.weights
    return b


def test_full_neighbourhood_is_exactly_ease(
    ratings: pd.DataFrame, small_config: TrainConfig
) -> None:
    users, movies = IdMap(ratings.userId), IdMap(ratings.movieId)
    data = _encode(ratings, users, movies)
    sparse = _fit_ranker(
        data, len(users), len(movies), dataclasses.replace(small_config, ease_topk=10_000)
    )
    kept = torch.ones(len(movies), dtype=torch.bool)
    dense = EASE.fit(
        gram=_gram(data, kept, len(users)),
        kept=torch.arange(len(movies)),
        counts=torch.bincount(data.items, minlength=len(movies)),
        lam=small_config.ease_lambda,
        dropout=small_config.ease_dropout,
    )
    assert isinstance(sparse, SparseEASE)
    assert torch.equal(sparse.kept, dense.kept)
    assert torch.allclose(_dense(sparse), dense.weights, atol=1e-5)


def test_pruned_model_keeps_topk_neighbours_and_never_itself(trained: TrainResult) -> None:
    ranker = trained.ranker
    assert isinstance(ranker, SparseEASE)
    m, k = ranker.neighbours.shape
    assert k == min(trained.config.ease_topk, m - 1)
    assert not bool((ranker.neighbours.long() == torch.arange(m)[:, None]).any())
    assert ranker.row_targets.numel() == int((ranker.weights != 0).sum())


def test_fold_in_scores_equal_training_matrix_product(
    trained: TrainResult, ratings: pd.DataFrame
) -> None:
    """Serving a user from their current ratings gives x_u B, the scores training optimised."""
    ranker = trained.ranker
    assert isinstance(ranker, SparseEASE)
    b = _dense(ranker)
    for user in (1, 2, 17):
        mine = ratings[ratings.userId == user]
        items = torch.from_numpy(trained.movies.to_index(mine.movieId.to_numpy()))
        x = torch.zeros(len(ranker.kept))
        x[ranker.position[items]] = 1.0
        served = ranker.score(items)[ranker.kept]
        assert torch.allclose(served, x @ b, atol=1e-5)
        target = int(torch.argmax(served))
        assert float(ranker.contributions(items, target).sum()) == pytest.approx(
            float(served[target]), abs=1e-5
        )


def test_contributions_and_neighbours_by_movie_id(
    trained: TrainResult, group_a: list[int], group_b: list[int]
) -> None:
    rec = Recommender.from_result(trained)
    rated = {group_a[0]: 5.0, group_a[1]: 4.5, group_b[0]: 1.0}
    (best, score), *_ = rec.recommend(ratings={m: 1.0 for m in rated}, k=1)
    old_blend = float(trained.ranker.blend)
    trained.ranker.blend.fill_(0.0)
    try:
        (best, score), *_ = rec.recommend(ratings=rated, k=1)
    finally:
        trained.ranker.blend.fill_(old_blend)
    terms = rec.contributions(ratings=rated, movie_id=best)
    assert set(terms) <= set(rated)
    assert sum(terms.values()) == pytest.approx(score, abs=1e-5)
    assert rec.contributions(ratings=rated, movie_id=999_999) == {}
    near = rec.item_neighbours(group_a[0], k=5)
    assert 0 < len(near) <= 5
    assert group_a[0] not in [m for m, _ in near]
    weights = [w for _, w in near]
    assert weights == sorted(weights, reverse=True)
    assert rec.item_neighbours(999_999) == []


def test_similar_lists_ten_movies_never_itself(trained: TrainResult) -> None:
    rec = Recommender.from_result(trained)
    for movie in trained.movies.ids[:10].tolist():
        near = rec.similar_by_neighbours(movie, k=10, min_support=1)
        assert len(near) == 10
        assert len(set(near)) == 10
        assert movie not in near


def test_served_similar_is_what_the_movies_fans_liked_most(
    trained: TrainResult, ratings: pd.DataFrame
) -> None:
    rec = Recommender.from_result(trained)
    liked = ratings[ratings.rating >= 4.0]
    for movie in trained.movies.ids[:10].tolist():
        near = rec.similar(movie, 10, min_support=1)
        assert len(near) == 10
        assert len(set(near)) == 10
        assert movie not in near
        fans = liked.loc[liked.movieId == movie, "userId"]
        co = liked[liked.userId.isin(fans) & (liked.movieId != movie)].movieId.value_counts()
        # The first listed movie is one of the most co-liked (ties in any order).
        assert co[near[0]] == co.max()
        counts = [int(co.get(m, 0)) for m in near]
        assert counts == sorted(counts, reverse=True)


def test_similar_falls_back_to_cosine_for_artifacts_without_the_list(
    trained: TrainResult, tmp_path: Path, group_a: list[int]
) -> None:
    path = save_artifact(tmp_path, result=trained, version="v1", curve=False)
    state = torch.load(path / "model.pt", weights_only=True)
    del state["ranker"]["co_liked"]  # an artifact saved before the list existed
    torch.save(state, path / "model.pt")
    rec = Recommender.load(path)
    assert rec.similar(group_a[0], 10, min_support=1) == rec.similar_by_embedding(
        group_a[0], k=10, min_support=1
    )


def _mapped(path: Path) -> bool:
    return str(path) in Path("/proc/self/maps").read_text()


def test_artifact_loads_mapped_and_serves_identically(
    trained: TrainResult, tmp_path: Path, group_a: list[int], group_b: list[int]
) -> None:
    path = save_artifact(tmp_path, result=trained, version="v1", curve=False)
    art = load_artifact(path)
    assert isinstance(art.ranker, SparseEASE)
    for name, tensor in [*art.ranker.state_dict().items(), *art.model.state_dict().items()]:
        assert tensor.is_contiguous(), name
    assert _mapped(path / "model.pt")  # read through the page cache, shared by every process
    before, after = Recommender.from_result(trained), Recommender.load(path)
    rated = {group_a[0]: 5.0, group_a[3]: 4.0, group_b[3]: 2.0}
    assert before.recommend(ratings=rated, k=10) == after.recommend(ratings=rated, k=10)
    movies = group_a[:5] + group_b[:5]
    assert before.predict(ratings=rated, movie_ids=movies) == after.predict(
        ratings=rated, movie_ids=movies
    )
    assert before.similar_by_neighbours(group_a[2], min_support=1) == after.similar_by_neighbours(
        group_a[2], min_support=1
    )
    assert before.similar(group_a[2], 10, min_support=1) == after.similar(
        group_a[2], 10, min_support=1
    )
    assert before.contributions(ratings=rated, movie_id=group_a[5]) == after.contributions(
        ratings=rated, movie_id=group_a[5]
    )


def test_cpu_only_process_trains_and_serves(tmp_path: Path) -> None:
    """No CUDA device visible: training, saving and a mapped load still work."""
    script = """
import sys
import numpy as np, pandas as pd, torch
from ml.artifacts import save_artifact
from ml.recommender import Recommender
from ml.train import TrainConfig, train
assert not torch.cuda.is_available()
rng = np.random.default_rng(0)
frame = pd.DataFrame({"userId": rng.integers(1, 40, 600), "movieId": rng.integers(1, 30, 600),
                      "rating": rng.choice([1.0, 3.0, 5.0], 600), "timestamp": np.arange(600)})
frame = frame.drop_duplicates(["userId", "movieId"])
result = train(frame, TrainConfig(dim=4, epochs=3, ease_min_support=1, ease_topk=8))
rec = Recommender.load(save_artifact(sys.argv[1], result=result, version="cpu", curve=False))
print(len(rec.recommend(ratings={1: 5.0, 2: 4.0}, k=5)))
"""
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        timeout=300,
        check=True,
    )
    assert out.stdout.strip() == "5"


def test_training_walks_blocks_within_the_pair_budget(ratings: pd.DataFrame) -> None:
    """A tiny pair budget (many Gram blocks) gives the same model as one block."""
    users, movies = IdMap(ratings.userId), IdMap(ratings.movieId)
    data = _encode(ratings, users, movies)
    kwargs = {
        "users": data.users,
        "items": data.items,
        "n_items": len(movies),
        "min_support": 1,
        "lam": 5.0,
        "dropout": 0.25,
        "topk": 6,
    }
    one = SparseEASE.fit(**kwargs, pair_budget=10**9)
    many = SparseEASE.fit(**kwargs, pair_budget=50)
    assert torch.equal(one.neighbours, many.neighbours)
    assert torch.allclose(one.weights, many.weights)
    assert np.array_equal(one.row_ptr.numpy(), many.row_ptr.numpy())


def test_train_defaults_to_sparse_ranker(ratings: pd.DataFrame) -> None:
    result = train(ratings, TrainConfig(dim=4, epochs=2, ease_min_support=1, ease_topk=5))
    assert isinstance(result.ranker, SparseEASE)
    assert result.ranker.neighbours.shape == (40, 5)


def test_fitted_blend_is_chosen_on_validation_and_stored(
    ratings: pd.DataFrame, small_config: TrainConfig, tmp_path: Path
) -> None:
    from ml.train.blend import BLEND_GRID

    result = train(ratings, dataclasses.replace(small_config, rank_blend=-1.0))
    blend = result.metrics["rank_blend"]
    assert blend in BLEND_GRID
    curve = [result.metrics[f"val_ndcg@10_blend_{w:g}"] for w in BLEND_GRID]
    assert curve[BLEND_GRID.index(blend)] == max(curve)
    assert float(result.ranker.blend) == pytest.approx(blend)
    loaded = Recommender.load(save_artifact(tmp_path, result=result, curve=False))
    assert float(loaded.ranker.blend) == pytest.approx(blend)
    fixed = train(ratings, dataclasses.replace(small_config, rank_blend=0.3))
    spread = fixed.metrics["ranker_spread"]
    assert spread > 0
    assert float(fixed.ranker.blend) == pytest.approx(0.3 * spread / REFERENCE_SPREAD)
    assert fixed.metrics["rank_blend"] == pytest.approx(float(fixed.ranker.blend))


def test_fixed_blend_follows_the_rankers_score_scale(
    trained: TrainResult, ratings: pd.DataFrame
) -> None:
    """A ranker whose scores are all twice as large spreads twice as wide and gets twice the
    stars' weight, so the served lists do not change with the ranker's scale."""
    frame = ratings
    encoded = _encode(frame, trained.users, trained.movies)
    users, items = encoded.users, encoded.items
    ranker = trained.ranker
    spread = score_spread(ranker, users=users, items=items)
    assert spread == pytest.approx(trained.metrics["ranker_spread"])
    rec = Recommender.from_result(trained)
    histories = [dict(zip(g.movieId, g.rating, strict=True)) for _, g in frame.groupby("userId")]
    before = [rec.recommend(ratings=h, k=10) for h in histories[:20]]
    old = {name: getattr(ranker, name).clone() for name in ("weights", "row_weights", "blend")}
    try:
        ranker.weights.mul_(2.0)
        ranker.row_weights.mul_(2.0)
        doubled = score_spread(ranker, users=users, items=items)
        assert doubled == pytest.approx(2 * spread, rel=1e-5)
        ranker.blend.fill_(spread_weight(trained.config.rank_blend, doubled))
        after = [rec.recommend(ratings=h, k=10) for h in histories[:20]]
    finally:
        for name, value in old.items():
            getattr(ranker, name).copy_(value)
    assert [[m for m, _ in row] for row in after] == [[m for m, _ in row] for row in before]
    assert spread_weight(0.1, REFERENCE_SPREAD) == pytest.approx(0.1)
    assert spread_weight(0.1, 0.0) == 0.1  # unknown spread: the weight as given


def _rows(ranker: SparseEASE) -> list[dict[int, float]]:
    """Each source row's {target position: weight}."""
    ptr = ranker.row_ptr.tolist()
    targets, weights = ranker.row_targets.tolist(), ranker.row_weights.tolist()
    return [dict(zip(targets[a:b], weights[a:b], strict=True)) for a, b in itertools.pairwise(ptr)]


def test_row_cap_keeps_each_rated_movies_largest_weights(
    ratings: pd.DataFrame, small_config: TrainConfig
) -> None:
    users, movies = IdMap(ratings.userId), IdMap(ratings.movieId)
    data = _encode(ratings, users, movies)

    def fitted(cap: int) -> SparseEASE:
        config = dataclasses.replace(small_config, ease_topk=40, ease_row_cap=cap)
        ranker = _fit_ranker(data, len(users), len(movies), config)
        assert isinstance(ranker, SparseEASE)
        return ranker

    whole = _rows(fitted(0))
    cap = max(len(row) for row in whole) // 2
    capped = _rows(fitted(cap))
    assert any(len(row) > cap for row in whole)  # the cap binds somewhere
    for full, kept in zip(whole, capped, strict=True):
        largest = sorted(full.values(), key=abs, reverse=True)[:cap]
        assert sorted(kept.values(), key=abs, reverse=True) == pytest.approx(largest)
        assert all(full[target] == weight for target, weight in kept.items())
    assert _rows(fitted(max(len(row) for row in whole))) == whole


def test_served_list_blends_stars_into_the_rankers_best(
    trained: TrainResult, ratings: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With candidates enough for the catalogue the list is exactly ranker + blend x stars over
    every movie; with fewer, it comes from the ranker's best `BLEND_CANDIDATES`, in blend order."""
    rec = Recommender.from_result(trained)
    ranker, model = trained.ranker, trained.model
    assert isinstance(ranker, SparseEASE)
    assert float(ranker.blend) > 0
    for user in (1, 2, 17):
        mine = ratings[ratings.userId == user]
        stars = dict(zip(mine.movieId.tolist(), mine.rating.tolist(), strict=True))
        items, values = rec._encode(stars)
        with torch.inference_mode():
            rank = ranker.score(items)
            rank[items] = float("-inf")
            bias, vec = model.fold_in(items, values)
            blended = rank + float(ranker.blend) * model.predict_items(bias, vec)
        exact = torch.topk(blended, 10).indices.tolist()
        served = [rec._movie_index[m] for m, _ in rec.recommend(ratings=stars, k=10)]
        assert served == exact

        monkeypatch.setattr(recommender_module, "BLEND_CANDIDATES", 12)
        best = set(torch.topk(rank, 12).indices.tolist())
        few = [rec._movie_index[m] for m, _ in rec.recommend(ratings=stars, k=10)]
        assert set(few) <= best
        assert few == sorted(few, key=lambda i: -float(blended[i]))
        monkeypatch.undo()
