from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ml.data import IdMap, load_ratings, split_chrono, split_random


def test_id_map_round_trip_and_unknown() -> None:
    ids = IdMap([30, 10, 20, 10])
    assert len(ids) == 3
    assert ids.to_index(np.array([10, 20, 30, 99])).tolist() == [0, 1, 2, -1]
    assert IdMap.from_json(ids.to_json()).to_json() == [10, 20, 30]
    assert 20 in ids
    assert 99 not in ids


def test_loaders_agree(tmp_path: Path, ratings: pd.DataFrame) -> None:
    ratings.to_csv(tmp_path / "ratings.csv", index=False)
    lines = [f"{r.userId}::{r.movieId}::{r.rating:g}::{r.timestamp}" for r in ratings.itertuples()]
    (tmp_path / "ratings.dat").write_text("\n".join(lines) + "\n")
    from_dir = load_ratings(tmp_path)
    from_dat = load_ratings(tmp_path / "ratings.dat")
    pd.testing.assert_frame_equal(from_dir, from_dat)
    pd.testing.assert_frame_equal(from_dir, load_ratings(ratings))


def test_random_split_is_deterministic(ratings: pd.DataFrame) -> None:
    a_train, a_test = split_random(ratings, test_fraction=0.2, seed=3)
    _, b_test = split_random(ratings, test_fraction=0.2, seed=3)
    pd.testing.assert_frame_equal(a_test, b_test)
    assert len(a_train) + len(a_test) == len(ratings)


def test_chrono_split_takes_each_users_latest(ratings: pd.DataFrame) -> None:
    train, test = split_chrono(ratings, test_fraction=0.2)
    assert len(train) + len(test) == len(ratings)
    for user, group in test.groupby("userId"):
        assert group["timestamp"].min() > train.loc[train.userId == user, "timestamp"].max()
        assert len(group) == 3  # floor(15 * 0.2)
