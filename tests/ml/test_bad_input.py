"""Every bad input or option ends the CLIs with one clear error line and exit status 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.data import RatingsError, Reader, load_ratings
from ml.evaluate.__main__ import main as evaluate_main
from ml.train.__main__ import main as train_main

FAST = ["--epochs", "3", "--dim", "4", "--ease-min-support", "1", "--ease-lambda", "5"]


def _run(main: Callable[[list[str]], int], args: list[str], capsys) -> tuple[int, str]:
    try:
        code = main(args)
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert ": error: " in lines[0]
    return lines[0]


def _csv(tmp_path: Path, frame: pd.DataFrame, name: str = "ratings.csv") -> str:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return str(path)


def test_nan_ratings_are_refused_not_trained_into_a_nan_model(tmp_path, ratings, capsys):
    bad = ratings.astype({"rating": float}).copy()
    bad.loc[[3, 10, 20, 30, 40], "rating"] = np.nan
    code, err = _run(
        train_main,
        ["--ratings", _csv(tmp_path, bad), "--out", str(tmp_path / "m"), "--max-rmse", "2"],
        capsys,
    )
    assert code == 2
    line = _one_error_line(err)
    assert "5 rows with a missing or non-numeric rating" in line
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rating": 7.0}, "outside the rating scale 0.5..5"),
        ({"rating": -3.0}, "outside the rating scale 0.5..5"),
        ({"userId": np.nan}, "missing or non-numeric userId"),
        ({"movieId": "abc"}, "missing or non-numeric movieId"),
        ({"userId": 1.5}, "userId must be whole numbers"),
    ],
)
def test_bad_values_are_refused(tmp_path, ratings, capsys, change, message):
    bad = ratings.astype(object).copy()
    for column, value in change.items():
        bad.loc[5, column] = value
    code, err = _run(
        train_main, ["--ratings", _csv(tmp_path, bad), "--out", str(tmp_path / "m")], capsys
    )
    assert code == 2
    assert message in _one_error_line(err)


def test_duplicate_pairs_are_refused_or_kept_latest_on_request(tmp_path, ratings, capsys):
    first = ratings.iloc[0]
    again = pd.DataFrame([{**first.to_dict(), "rating": 1.0, "timestamp": first.timestamp + 9}])
    dup = pd.concat([ratings, again], ignore_index=True)
    code, err = _run(
        train_main, ["--ratings", _csv(tmp_path, dup), "--out", str(tmp_path / "m")], capsys
    )
    assert code == 2
    assert "rate the same (user, movie) pair more than once" in _one_error_line(err)
    kept = load_ratings(dup, reader=Reader(duplicates="last"))
    assert len(kept) == len(ratings)
    row = kept[(kept.userId == first.userId) & (kept.movieId == first.movieId)]
    assert row.rating.tolist() == [1.0]


@pytest.mark.parametrize("content", ["", "userId,movieId,rating,timestamp\n"])
def test_empty_and_header_only_files_are_refused(tmp_path, capsys, content):
    path = tmp_path / "ratings.csv"
    path.write_text(content)
    code, err = _run(train_main, ["--ratings", str(path), "--out", str(tmp_path / "m")], capsys)
    assert code == 2
    line = _one_error_line(err)
    assert "empty" in line or "no ratings" in line


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--val-fraction", "0"], "val_fraction must be between 0 and 1"),
        (["--epochs", "0"], "epochs must be at least 1"),
        (["--dim", "0"], "dim must be at least 1"),
        (["--refit", "maybe"], "refit must be true or false"),
        (["--lr", "nan"], "lr must be a finite number"),
        (["--rating-scale", "5-1"], "rating scale"),
        (["--columns", "user rating"], "lack movieId"),
        (["--holdout", "1.5"], "holdout fraction"),
    ],
)
def test_bad_options_are_refused(tmp_path, ratings, capsys, option, message):
    args = ["--ratings", _csv(tmp_path, ratings), "--out", str(tmp_path / "m"), *option]
    code, err = _run(train_main, args, capsys)
    assert code == 2
    assert message in _one_error_line(err)


def test_too_few_ratings_for_a_validation_split(tmp_path, capsys):
    tiny = pd.DataFrame({"userId": [1, 2], "movieId": [1, 2], "rating": [4.0, 3.0]})
    code, err = _run(
        train_main, ["--ratings", _csv(tmp_path, tiny), "--out", str(tmp_path / "m")], capsys
    )
    assert code == 2
    assert "too few to hold out" in _one_error_line(err)


def test_torchrun_without_distributed_is_refused(tmp_path, ratings, capsys, monkeypatch):
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "x")
    monkeypatch.setenv("LOCAL_RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    args = ["--ratings", _csv(tmp_path, ratings), "--out", str(tmp_path / "m"), *FAST]
    code, err = _run(train_main, args, capsys)
    assert code == 2
    assert "torchrun without --distributed" in _one_error_line(err)
    assert not (tmp_path / "m").exists()


def test_evaluate_options_are_validated(tmp_path, ratings, capsys):
    csv = _csv(tmp_path, ratings)
    for args, message in [
        (["--train", csv], "give --train and --test"),
        (["--ratings", csv, "--folds", "1"], "--folds must be at least 2"),
        (["--train", csv, "--test", csv, "--artifact", str(tmp_path)], "neither an artifact"),
        (["--train", csv, "--test", csv, "--k", "0"], "--k must be at least 1"),
    ]:
        code, err = _run(evaluate_main, args, capsys)
        assert code == 2, args
        assert message in _one_error_line(err)


def test_dataframes_are_validated_too(ratings):
    with pytest.raises(RatingsError, match=r"outside the rating scale 1\.\.5"):
        load_ratings(ratings.assign(rating=0.5), reader=Reader(rating_scale=(1, 5)))
    with pytest.raises(RatingsError, match="no column rating"):
        load_ratings(ratings.drop(columns="rating"))
