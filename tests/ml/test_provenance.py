"""Artifacts say what they were trained on, hold no users, and evaluation refuses leaked tests."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest
import torch

from ml.artifacts import load_trained_pairs, save_artifact
from ml.data import describe_ratings, split_random
from ml.deployment import deploy
from ml.evaluate.__main__ import main as evaluate_main
from ml.recommender import Recommender
from ml.train import train
from ml.train.__main__ import main as train_main

FAST = ["--epochs", "3", "--dim", "4", "--ease-min-support", "1", "--ease-lambda", "5"]


def _csv(tmp_path: Path, frame: pd.DataFrame, name: str) -> str:
    frame.to_csv(tmp_path / name, index=False)
    return str(tmp_path / name)


def _train_cli(tmp_path: Path, csv: str, *extra: str) -> Path:
    assert train_main(["--ratings", csv, "--out", str(tmp_path / "models"), *FAST, *extra]) == 0
    (path,) = (tmp_path / "models").iterdir()
    return path


def test_manifest_records_the_training_data_and_command(tmp_path, ratings, capsys):
    csv = _csv(tmp_path, ratings, "all.csv")
    path = _train_cli(tmp_path, csv)
    manifest = json.loads((path / "manifest.json").read_text())
    data = manifest["training_data"]
    assert data["sha256"] == describe_ratings(ratings)["sha256"]
    assert data["n_ratings"] == len(ratings)
    assert data["cutoff"] == int(ratings.timestamp.max())
    assert data["source"] == csv
    assert "--ratings" in data["command"]
    # The rating model's validation figures are kept apart from the served model's scores.
    assert set(manifest["rating_model"]["validation"]) == {"val_rmse", "val_mae"}
    assert manifest["rating_model"]["epochs_run"] == 3
    assert manifest["served"] == {}


def test_artifacts_hold_no_user_ids_or_user_vectors(tmp_path, trained):
    path = save_artifact(tmp_path, result=trained, version="v1")
    assert set(json.loads((path / "ids.json").read_text())) == {"movies"}
    state = torch.load(path / "model.pt", weights_only=True)
    assert not {"user_factors", "user_bias"} & set(state["mf"])
    rec = Recommender.load(path)
    assert rec.model.user_factors.shape[0] == 0
    assert len(rec.recommend(ratings={1000: 5.0, 1001: 4.0}, k=5)) == 5


def test_evaluating_an_artifact_on_its_own_training_ratings_is_refused(tmp_path, ratings, capsys):
    train_part, test_part = split_random(ratings, test_fraction=0.2, seed=1)
    all_csv = _csv(tmp_path, ratings, "all.csv")
    path = _train_cli(tmp_path, all_csv)  # trained on everything, the test part included
    capsys.readouterr()
    args = ["--train", _csv(tmp_path, train_part, "train.csv")]
    args += ["--test", _csv(tmp_path, test_part, "test.csv"), "--artifact", str(path)]
    assert evaluate_main(args) == 2
    err = capsys.readouterr().err
    assert "were in the model's training data" in err
    assert "leaked" in err

    assert evaluate_main([*args, "--allow-overlap"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["leaked"] is True
    assert "warning" in captured.err


def test_an_artifact_trained_without_the_test_ratings_is_scored(tmp_path, ratings, capsys):
    train_part, test_part = split_random(ratings, test_fraction=0.2, seed=1)
    train_csv = _csv(tmp_path, train_part, "train.csv")
    path = _train_cli(tmp_path, train_csv)
    assert load_trained_pairs(path) is not None
    capsys.readouterr()
    args = ["--train", train_csv, "--test", _csv(tmp_path, test_part, "test.csv")]
    assert evaluate_main([*args, "--artifact", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "leaked" not in out
    assert out["n_test_ratings"] == len(test_part)


def test_train_cli_holdout_scores_the_served_model(tmp_path, ratings, capsys):
    path = _train_cli(tmp_path, _csv(tmp_path, ratings, "all.csv"), "--holdout", "0.2")
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["training_data"]["excludes_holdout"]["fraction"] == 0.2
    assert manifest["training_data"]["n_ratings"] < len(ratings)
    assert set(manifest["served"]["holdout"]) >= {"rmse", "ndcg@10"}
    assert manifest["metrics"]["holdout_rule"] == "hash(user,movie,seed)-v1"


def test_recommender_load_takes_a_models_folder_with_current(tmp_path, trained):
    path = save_artifact(tmp_path, result=trained, version="v1")
    deploy(tmp_path, "v1")
    assert Recommender.load(tmp_path).version == "v1"
    assert Recommender.load(path).version == "v1"
    with pytest.raises(FileNotFoundError, match="neither an artifact folder"):
        Recommender.load(tmp_path / "nothing")


def test_recommend_takes_a_dataframe_and_refuses_nan_stars(trained, group_a):
    rec = Recommender.from_result(trained)
    frame = pd.DataFrame({"movieId": group_a[:3], "rating": [5.0, 4.5, 5.0]})
    as_dict = dict(zip(group_a[:3], [5.0, 4.5, 5.0], strict=True))
    assert rec.recommend(ratings=frame, k=5) == rec.recommend(ratings=as_dict, k=5)
    assert rec.similar(group_a[0], 3, min_support=1) == rec.similar(group_a[0], k=3, min_support=1)
    with pytest.raises(ValueError, match="not a finite number"):
        rec.recommend(ratings={group_a[0]: float("nan")}, k=5)


def test_one_epoch_run_draws_a_curve_and_marks_the_best_epoch(tmp_path, ratings, small_config):
    result = train(ratings, dataclasses.replace(small_config, epochs=1))
    assert result.best_epoch == 1
    path = save_artifact(tmp_path, result=result, version="one")
    png = path / "learning_curve.png"
    assert png.stat().st_size > 10_000
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["rating_model"]["best_epoch"] == 1
    assert manifest["rating_model"]["epochs_run"] == 1
