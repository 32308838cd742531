from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.data import (
    IdMap,
    RatingsError,
    Reader,
    describe_ratings,
    load_ratings,
    split_chrono,
    split_random,
)
from ml.train.__main__ import main as train_main


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


def _lines(ratings: pd.DataFrame, sep: str, order: tuple[str, ...]) -> str:
    fields = {
        "user": "userId",
        "item": "movieId",
        "rating": "rating",
        "timestamp": "timestamp",
    }
    rows = []
    for row in ratings.itertuples(index=False):
        values = {"userId": row.userId, "movieId": row.movieId, "rating": f"{row.rating:g}"}
        values["timestamp"] = row.timestamp
        rows.append(sep.join(str(values[fields[name]]) for name in order))
    return "\n".join(rows) + "\n"


def test_u_data_is_read_tab_separated_in_movielens_100k_order(
    tmp_path: Path, ratings: pd.DataFrame
) -> None:
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    (folder / "u.data").write_text(_lines(ratings, "\t", ("user", "item", "rating", "timestamp")))
    pd.testing.assert_frame_equal(load_ratings(folder / "u.data"), load_ratings(ratings))
    pd.testing.assert_frame_equal(load_ratings(folder), load_ratings(ratings))  # found in a folder


def test_sep_and_columns_read_any_field_order(tmp_path: Path, ratings: pd.DataFrame) -> None:
    path = tmp_path / "export.txt"
    # Semicolons, item first, an extra field to skip, no header line.
    rows = [
        f"{r.movieId};{r.userId};web;{r.rating:g};{r.timestamp}"
        for r in ratings.itertuples(index=False)
    ]
    path.write_text("\n".join(rows) + "\n")
    reader = Reader.from_options(sep=";", columns="item user - rating timestamp")
    pd.testing.assert_frame_equal(load_ratings(path, reader=reader), load_ratings(ratings))


def test_columns_without_timestamp_and_a_tab_given_as_text(
    tmp_path: Path, ratings: pd.DataFrame
) -> None:
    path = tmp_path / "ratings.tsv"
    path.write_text(_lines(ratings, "\t", ("user", "item", "rating")))
    reader = Reader.from_options(sep="\\t", columns="user,item,rating")
    loaded = load_ratings(path, reader=reader)
    assert loaded["timestamp"].eq(0).all()
    pd.testing.assert_frame_equal(
        loaded.drop(columns="timestamp"), load_ratings(ratings).drop(columns="timestamp")
    )


def test_rating_scale_and_skip_lines(tmp_path: Path, ratings: pd.DataFrame) -> None:
    ten = ratings.assign(rating=ratings["rating"] * 2)  # a 1..10 scale
    path = tmp_path / "scores.csv"
    path.write_text("# exported 2026-12-01\n" + ten.to_csv(index=False))
    reader = Reader.from_options(rating_scale="1-10", skip_lines=1)
    assert load_ratings(path, reader=reader)["rating"].max() == 10.0
    with pytest.raises(RatingsError, match=r"outside the rating scale 0\.5\.\.5"):
        load_ratings(path, reader=Reader(skip_lines=1))


def test_the_train_command_reads_u_data_with_options(tmp_path: Path, ratings: pd.DataFrame):
    path = tmp_path / "ratings.psv"
    path.write_text(_lines(ratings, "|", ("item", "user", "rating", "timestamp")))
    argv = ["--ratings", str(path), "--out", str(tmp_path / "out"), "--sep", "|"]
    argv += ["--columns", "item user rating timestamp", "--epochs", "2", "--dim", "4"]
    assert train_main(argv) == 0
    (version,) = (tmp_path / "out").iterdir()
    manifest = json.loads((version / "manifest.json").read_text())
    assert manifest["training_data"]["n_ratings"] == len(ratings)
    assert manifest["training_data"]["sha256"] == describe_ratings(load_ratings(ratings))["sha256"]
