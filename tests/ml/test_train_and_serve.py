from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import torch

from ml.artifacts import save_artifact
from ml.recommender import Recommender
from ml.train import TrainConfig, TrainResult, train
from ml.train.__main__ import main


def test_loss_falls(
    ratings: pd.DataFrame,
    group_a: list[int],
    group_b: list[int],
    small_config: TrainConfig,
) -> None:
    result = train(ratings, dataclasses.replace(small_config, epochs=3, refit=False))
    losses = [row["train_loss"] for row in result.history]
    assert len(losses) == 3
    assert losses[-1] < losses[0]


def test_training_is_reproducible(
    ratings: pd.DataFrame,
    group_a: list[int],
    group_b: list[int],
    small_config: TrainConfig,
) -> None:
    config = dataclasses.replace(small_config, epochs=5)
    a, b = train(ratings, config), train(ratings, config)
    for key, value in a.model.state_dict().items():
        assert torch.equal(value, b.model.state_dict()[key]), key


def test_planted_preferences_are_recovered(
    trained: TrainResult,
    group_a: list[int],
    group_b: list[int],
    small_config: TrainConfig,
) -> None:
    rec = Recommender.from_result(trained)
    fan_of_a = {group_a[0]: 5.0, group_a[1]: 4.5, group_a[2]: 5.0}
    top = [m for m, _ in rec.recommend(ratings=fan_of_a, k=5)]
    assert set(top) <= set(group_a)
    pred_a, pred_b = rec.predict(ratings=fan_of_a, movie_ids=[group_a[5], group_b[5]])
    assert pred_a > pred_b + 1.0
    assert all(0.5 <= p <= 5.0 for p in (pred_a, pred_b))


def test_fold_in_moves_list_towards_rated_group(
    trained: TrainResult,
    group_a: list[int],
    group_b: list[int],
    small_config: TrainConfig,
) -> None:
    rec = Recommender.from_result(trained)
    empty = rec.recommend(ratings={}, k=10)
    assert len(empty) == 10
    fan_of_b = {m: 5.0 for m in group_b[:4]}
    top = [m for m, _ in rec.recommend(ratings=fan_of_b, k=10)]
    share_b = sum(m in group_b for m in top) / len(top)
    assert share_b >= 0.9
    assert sum(m in group_b for m, _ in empty) / 10 < share_b


def test_rated_and_excluded_movies_are_never_recommended(
    trained: TrainResult,
    group_a: list[int],
    group_b: list[int],
    small_config: TrainConfig,
) -> None:
    rec = Recommender.from_result(trained)
    rated = {m: 4.0 for m in group_a[:10]}
    exclude = set(group_a[10:15])
    out = rec.recommend(ratings=rated, k=100, exclude=exclude)
    ids = [m for m, _ in out]
    assert not set(ids) & (set(rated) | exclude)
    assert len(ids) == len(set(ids)) == 40 - 15
    scores = [s for _, s in out]
    assert scores == sorted(scores, reverse=True)


def test_unknown_movies_are_ignored_and_get_baseline(
    trained: TrainResult,
    group_a: list[int],
    group_b: list[int],
    small_config: TrainConfig,
) -> None:
    rec = Recommender.from_result(trained)
    assert not rec.knows_movie(999_999)
    assert rec.knows_movie(group_a[0])
    base = rec.recommend(ratings={group_a[0]: 5.0}, k=5)
    assert rec.recommend(ratings={group_a[0]: 5.0, 999_999: 1.0}, k=5) == base
    (unknown,) = rec.predict(ratings={}, movie_ids=[999_999])
    assert abs(unknown - float(trained.model.global_mean)) < 1e-5


def test_similar_excludes_itself_and_thin_movies(
    trained: TrainResult,
    group_a: list[int],
    group_b: list[int],
    small_config: TrainConfig,
) -> None:
    rec = Recommender.from_result(trained)
    near = rec.similar(group_a[0], k=5, min_support=1)
    assert len(near) == 5
    assert group_a[0] not in near
    assert sum(m in group_a for m in near) >= 4
    assert rec.similar(999_999) == []
    assert rec.similar(group_a[0], min_support=10_000) == []


def test_save_load_gives_identical_scores(
    trained: TrainResult,
    tmp_path: Path,
    group_a: list[int],
    group_b: list[int],
    small_config: TrainConfig,
) -> None:
    path = save_artifact(tmp_path, result=trained, version="v1")
    for name in ("model.pt", "ids.json", "manifest.json", "learning_curve.png"):
        assert (path / name).exists()
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["version"] == "v1"
    assert manifest["data_cutoff"] == 1000 + 60 * 15 - 1
    assert manifest["hyper_parameters"]["dim"] == 8
    before, after = Recommender.from_result(trained), Recommender.load(path)
    assert after.version == "v1"
    rated = {group_a[0]: 5.0, group_b[3]: 2.0}
    assert before.recommend(ratings=rated, k=10) == after.recommend(ratings=rated, k=10)
    movies = group_a[:5] + group_b[:5]
    assert before.predict(ratings=rated, movie_ids=movies) == after.predict(
        ratings=rated, movie_ids=movies
    )
    assert before.similar(group_b[0], min_support=1) == after.similar(group_b[0], min_support=1)


def test_cli_writes_versioned_artifact(
    ratings: pd.DataFrame,
    tmp_path: Path,
    capsys,
    group_a: list[int],
    group_b: list[int],
    small_config: TrainConfig,
) -> None:
    csv = tmp_path / "ratings.csv"
    ratings.to_csv(csv, index=False)
    code = main(
        [
            "--ratings",
            str(csv),
            "--out",
            str(tmp_path / "art"),
            "--epochs",
            "3",
            "--dim",
            "4",
        ]
    )
    assert code == 0
    (version_dir,) = (tmp_path / "art").iterdir()
    out = json.loads(capsys.readouterr().out)
    assert out["artifact"] == str(version_dir)
    assert Recommender.load(version_dir).version == version_dir.name
