"""The deploy gate's policy, the holdout, and the deployment history (ml/deployment.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from ml.deployment import (
    HISTORY,
    POINTER,
    GatePolicy,
    Holdout,
    deploy,
    deployed_version,
    deployment_stack,
    holdout_mask,
    non_finite,
    previous_version,
    prune,
    rollback,
)

GOOD = {"rmse": 0.85, "ndcg@10": 0.25}


def test_policy_deploys_a_candidate_not_worse_than_the_deployed_one() -> None:
    policy = GatePolicy()
    assert policy.reasons(GOOD, GOOD) == []
    assert policy.reasons({"rmse": 0.854, "ndcg@10": 0.246}, GOOD) == []  # within tolerance
    assert policy.reasons(GOOD, None) == []  # nothing deployed


def test_policy_names_each_metric_that_got_worse() -> None:
    reasons = GatePolicy().reasons({"rmse": 0.9, "ndcg@10": 0.2}, GOOD)
    assert reasons == [
        "RMSE 0.9000 is worse than the deployed 0.8500",
        "NDCG@10 0.2000 is worse than the deployed 0.2500",
    ]


def test_policy_max_rmse_applies_even_with_nothing_deployed() -> None:
    assert GatePolicy(max_rmse=0.8).reasons(GOOD) == ["holdout RMSE 0.8500 above --max-rmse 0.8"]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), None])
def test_policy_refuses_non_finite_metrics_even_under_max_rmse(bad: float | None) -> None:
    reasons = GatePolicy(max_rmse=1.0).reasons({"rmse": bad, "ndcg@10": 0.3}, GOOD)
    assert len(reasons) == 1
    assert reasons[0].startswith("candidate metrics are not finite")


def test_policy_refuses_non_finite_parameters() -> None:
    state = {"mf": {"item_factors": torch.tensor([[1.0, float("nan")]]), "ok": torch.ones(2)}}
    broken = non_finite(state)
    assert broken == ["mf.item_factors"]
    assert GatePolicy().reasons(GOOD, GOOD, parameters=broken) == [
        "candidate parameters are not finite: mf.item_factors"
    ]
    assert non_finite({"a": np.array([1.0, np.inf]), "b": 1.0, "c": float("nan")}) == ["a", "c"]


def test_holdout_is_stable_as_the_data_grows() -> None:
    base = pd.DataFrame({"userId": np.arange(5000) % 97, "movieId": np.arange(5000)})
    grown = pd.concat([base, pd.DataFrame({"userId": [1, 2], "movieId": [9001, 9002]})])
    before = holdout_mask(base, fraction=0.1, seed=42)
    after = holdout_mask(grown, fraction=0.1, seed=42)
    assert (after[: len(base)] == before).all()
    assert 0.08 < before.mean() < 0.12
    train, test = Holdout(fraction=0.1, seed=42).split(base)
    assert len(train) + len(test) == len(base)
    assert not set(zip(train.userId, train.movieId, strict=True)) & set(
        zip(test.userId, test.movieId, strict=True)
    )


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.5])
def test_holdout_fraction_must_be_a_proper_share(fraction: float) -> None:
    with pytest.raises(ValueError, match="fraction"):
        Holdout(fraction=fraction)


def _artifact(root: Path, version: str, trained_at: str) -> None:
    (root / version).mkdir(parents=True)
    (root / version / "manifest.json").write_text(
        json.dumps({"version": version, "trained_at": trained_at})
    )


def test_history_rolls_back_one_deployment_at_a_time(tmp_path: Path) -> None:
    for i, name in enumerate(["a", "b", "c"]):
        _artifact(tmp_path, name, f"2026-11-0{i + 1}T00:00:00Z")
        deploy(tmp_path, name)
    assert deployment_stack(tmp_path) == ["a", "b", "c"]
    assert previous_version(tmp_path) == "b"
    assert rollback(tmp_path) == "b"
    assert deployed_version(tmp_path) == "b"
    assert rollback(tmp_path) == "a"
    with pytest.raises(LookupError, match="no earlier deployment"):
        rollback(tmp_path)
    lines = [json.loads(x) for x in (tmp_path / HISTORY).read_text().splitlines()]
    assert [(x["action"], x["version"]) for x in lines][-2:] == [
        ("rollback", "b"),
        ("rollback", "a"),
    ]


def test_prune_keeps_the_newest_the_deployed_and_its_predecessor(tmp_path: Path) -> None:
    for i in range(6):
        _artifact(tmp_path, f"v{i}", f"2026-11-0{i + 1}T00:00:00Z")
    deploy(tmp_path, "v0")
    deploy(tmp_path, "v1")  # deployed: v1, predecessor v0
    (tmp_path / "notes").mkdir()  # not an artifact: never touched
    assert prune(tmp_path, keep=2, dry_run=True) == ["v2", "v3"]
    assert (tmp_path / "v2").is_dir()
    assert prune(tmp_path, keep=2) == ["v2", "v3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [POINTER, HISTORY, "notes", "v0", "v1", "v4", "v5"]
    )
    assert deployed_version(tmp_path) == "v1"
