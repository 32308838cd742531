"""Cross-validation and grid search: ml.tuning, `ml.evaluate --folds` and `ml.tune`."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.evaluate.__main__ import main as evaluate_main
from ml.tune import main as tune_main
from ml.tune import parse_grid
from ml.tuning import cross_validate, fold_ids, grid_search
from ml.types import TrainConfig

FAST = TrainConfig(dim=4, epochs=8, lr=0.05, reg=0.02, patience=100, ease_lambda=5.0)
FAST = dataclasses.replace(FAST, ease_min_support=1, seed=7, refit=False)
FAST_FLAGS = ["--dim", "4", "--epochs", "8", "--lr", "0.05", "--reg", "0.02", "--patience", "100"]
FAST_FLAGS += ["--ease-lambda", "5", "--ease-min-support", "1", "--seed", "7", "--refit", "false"]


def _run(main, argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def test_folds_cover_every_rating_once_whatever_the_row_order(ratings: pd.DataFrame) -> None:
    folds = fold_ids(ratings, folds=5)
    assert set(folds.tolist()) == {0, 1, 2, 3, 4}
    sizes = np.bincount(folds)
    assert sizes.min() > 0.6 * len(ratings) / 5  # roughly balanced
    shuffled = ratings.sample(frac=1.0, random_state=3)
    again = pd.Series(fold_ids(shuffled, folds=5), index=shuffled.index).sort_index()
    assert again.tolist() == folds.tolist()  # a rating's fold follows it, not its row
    assert fold_ids(ratings, folds=5, seed=1).tolist() != folds.tolist()
    with pytest.raises(ValueError, match="at least 2"):
        fold_ids(ratings, folds=1)


def test_cross_validate_scores_each_fold_on_ratings_it_did_not_train_on(
    ratings: pd.DataFrame,
) -> None:
    cv = cross_validate(ratings, FAST, folds=3)
    assert [row["fold"] for row in cv["folds"]] == [0, 1, 2]
    assert sum(row["n_test_ratings"] for row in cv["folds"]) == len(ratings)
    rmse = [row["rmse"] for row in cv["folds"]]
    summary = cv["summary"]["rmse"]
    assert summary["mean"] == pytest.approx(np.mean(rmse))
    assert summary["std"] == pytest.approx(np.std(rmse, ddof=1))
    assert summary["min"] <= summary["mean"] <= summary["max"]
    assert 0 < cv["summary"]["ndcg@10"]["mean"] <= 1
    assert cv["seconds"] > 0
    assert cross_validate(ratings, FAST, folds=3)["summary"] == cv["summary"]  # seeded


def test_grid_search_ranks_every_combination_best_first(ratings: pd.DataFrame) -> None:
    grid = {"epochs": [1, 8], "reg": [0.02, 0.5]}
    by_rmse = grid_search(ratings, FAST, grid, folds=2, sort_by="rmse")
    assert sorted(map(str, (r["params"] for r in by_rmse))) == sorted(
        map(str, ({"epochs": e, "reg": r} for e in (1, 8) for r in (0.02, 0.5)))
    )
    rmse = [r["summary"]["rmse"]["mean"] for r in by_rmse]
    assert rmse == sorted(rmse)  # lowest error first
    by_ndcg = grid_search(ratings, FAST, grid, folds=2, sort_by="ndcg@10")
    ndcg = [r["summary"]["ndcg@10"]["mean"] for r in by_ndcg]
    assert ndcg == sorted(ndcg, reverse=True)  # highest ranking quality first
    with pytest.raises(ValueError, match="not TrainConfig fields: depth"):
        grid_search(ratings, FAST, {"depth": [1]})


def test_evaluate_folds_prints_mean_and_spread(tmp_path: Path, ratings: pd.DataFrame, capsys):
    csv = tmp_path / "ratings.csv"
    ratings.to_csv(csv, index=False)
    out = tmp_path / "cv.json"
    argv = ["--ratings", str(csv), "--folds", "2", "--out", str(out), *FAST_FLAGS]
    code = _run(evaluate_main, argv)
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text())
    assert printed["n_folds"] == 2
    assert [f["fold"] for f in printed["folds"]] == [0, 1]
    assert set(printed["summary"]["rmse"]) == {"mean", "std", "min", "max"}
    assert len(printed["summary"]) >= 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--folds", "1"], "--folds must be at least 2"),
        (["--folds", "3", "--test", "x.csv"], "give --ratings, not --artifact"),
    ],
)
def test_evaluate_folds_refuses_bad_options(tmp_path, ratings, capsys, argv, message):
    csv = tmp_path / "ratings.csv"
    ratings.to_csv(csv, index=False)
    assert _run(evaluate_main, ["--ratings", str(csv), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1


def test_tune_prints_the_grid_best_first_and_writes_json(tmp_path, ratings, capsys):
    csv = tmp_path / "ratings.csv"
    ratings.to_csv(csv, index=False)
    out = tmp_path / "grid.json"
    argv = ["--ratings", str(csv), "--grid", "reg=0.02,0.5", "--folds", "2", "--sort-by", "rmse"]
    assert _run(tune_main, [*argv, "--out", str(out), *FAST_FLAGS]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:2] == ["params", "rmse"]
    saved = json.loads(out.read_text())
    assert saved["n_folds"] == 2
    assert {r["params"]["reg"] for r in saved["rows"]} == {0.02, 0.5}
    rmse = [r["summary"]["rmse"]["mean"] for r in saved["rows"]]
    assert rmse == sorted(rmse)
    for line, row in zip(table[1:], saved["rows"], strict=True):
        assert line.startswith(f"reg={row['params']['reg']}")
        assert f"{row['summary']['rmse']['mean']:.4f} ± " in line


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ("depth=1,2", "'depth' is not a TrainConfig field"),
        ("dim", "expected FIELD=V1,V2"),
        ("dim=a,b", "dim must be int"),
        ("dim=0,8", "dim must be at least 1"),
        ("refit=maybe", "refit must be true or false"),
    ],
)
def test_tune_refuses_a_bad_grid_in_one_line(tmp_path, ratings, capsys, grid, message):
    csv = tmp_path / "ratings.csv"
    ratings.to_csv(csv, index=False)
    assert _run(tune_main, ["--ratings", str(csv), "--grid", grid]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1


def test_parse_grid_converts_values_and_drops_repeats() -> None:
    assert parse_grid(["dim=16,32,16", "refit=false", "reg=0.1"]) == {
        "dim": [16, 32],
        "refit": [False],
        "reg": [0.1],
    }
    with pytest.raises(ValueError, match="given twice"):
        parse_grid(["dim=8", "dim=16"])
