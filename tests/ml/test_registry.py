"""python -m ml.registry: list, compare, promote (gate or --force), roll back, prune."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ml.deployment import deployed_version
from ml.registry import main as registry_main
from ml.train.__main__ import main as train_main

GOOD = ["--epochs", "60", "--dim", "8", "--lr", "0.05", "--reg", "0.02", "--patience", "100"]
GOOD += ["--ease-lambda", "5.0", "--ease-min-support", "1", "--seed", "7"]
BAD = [*GOOD, "--epochs", "1", "--resid-alpha", "0"]
HOLDOUT = ["--holdout", "0.2"]


@pytest.fixture(scope="module")
def built(tmp_path_factory, ratings: pd.DataFrame) -> dict[str, object]:
    """Ratings on disk and two artifacts trained without the gate's holdout: good and bad."""
    base = tmp_path_factory.mktemp("registry")
    csv = base / "ratings.csv"
    ratings.to_csv(csv, index=False)
    versions = {}
    for name, args in (("good", GOOD), ("bad", BAD)):
        out = base / name
        assert train_main(["--ratings", str(csv), "--out", str(out), *HOLDOUT, *args]) == 0
        (versions[name],) = (p.name for p in out.iterdir())
    return {"base": base, "csv": str(csv), **versions}


@pytest.fixture
def models(tmp_path: Path, built) -> Path:
    root = tmp_path / "models"
    for name in ("good", "bad"):
        shutil.copytree(built["base"] / name / built[name], root / built[name])
    return root


def _run(models: Path, *args: str) -> int:
    try:
        return registry_main(["--models", str(models), *args])
    except SystemExit as exc:
        return int(exc.code or 0)


def test_list_shows_artifacts_with_metrics(models, built, capsys):
    capsys.readouterr()
    assert _run(models, "list", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["version"] for r in rows} == {built["good"], built["bad"]}
    for row in rows:
        assert row["val_rmse"] > 0
        assert 0 < row["holdout_ndcg@10"] <= 1
        assert row["status"] == ""
    assert _run(models, "list") == 0
    assert built["good"] in capsys.readouterr().out


def test_compare_scores_both_on_the_rebuilt_holdout(models, built, capsys):
    capsys.readouterr()
    args = ["compare", built["good"], built["bad"], "--ratings", built["csv"], *HOLDOUT]
    assert _run(models, *args, "--json") == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    good, bad = result[built["good"]], result[built["bad"]]
    assert good["rmse"] < bad["rmse"]
    assert good["n_test_ratings"] == bad["n_test_ratings"] > 0
    assert not good["leaked"]
    assert "warning" not in captured.err
    assert _run(models, *args) == 0
    assert "B - A rmse" in capsys.readouterr().out


def test_compare_warns_when_the_holdout_differs_from_training(models, built, capsys):
    args = ["compare", built["good"], built["bad"], "--ratings", built["csv"], "--holdout", "0.3"]
    assert _run(models, *args, "--json") == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)[built["good"]]["leaked"] is True
    assert "does not record training without this holdout" in captured.err


def test_promote_goes_through_the_gate_and_rollback_undoes_it(models, built, capsys):
    gate = ["--ratings", built["csv"], *HOLDOUT]
    assert _run(models, "promote", built["good"], *gate) == 0
    assert deployed_version(models) == built["good"]

    assert _run(models, "promote", built["bad"], *gate) == 1
    assert "Not deployed: RMSE" in capsys.readouterr().err
    assert deployed_version(models) == built["good"]

    assert _run(models, "promote", built["bad"], "--force") == 0
    assert deployed_version(models) == built["bad"]
    capsys.readouterr()
    assert _run(models, "list", "--json") == 0
    status = {r["version"]: r["status"] for r in json.loads(capsys.readouterr().out)}
    assert status == {built["bad"]: "deployed", built["good"]: "previous"}

    assert _run(models, "rollback") == 0
    assert deployed_version(models) == built["good"]
    assert _run(models, "rollback") == 2
    assert "no earlier deployment" in capsys.readouterr().err


def test_promote_without_ratings_needs_force_and_unknown_versions_fail(models, built, capsys):
    assert _run(models, "promote", built["good"]) == 2
    assert "needs --ratings" in capsys.readouterr().err
    assert _run(models, "promote", "nope", "--force") == 2
    assert "no artifact nope" in capsys.readouterr().err
    assert deployed_version(models) is None


def test_prune_keeps_newest_deployed_and_previous(models, built, capsys):
    assert _run(models, "promote", built["good"], "--force") == 0
    assert _run(models, "prune", "--keep", "0", "--dry-run") == 0
    assert "Would delete 1 artifact(s)" in capsys.readouterr().out
    assert _run(models, "prune", "--keep", "0") == 0
    assert sorted(p.name for p in models.iterdir() if p.is_dir()) == [built["good"]]
