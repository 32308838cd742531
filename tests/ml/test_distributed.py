"""Two gloo processes on 127.0.0.1 (torchrun) train the same model as one process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from ml.recommender import Recommender
from ml.sparse_ease import SparseEASE
from ml.train import TrainConfig, train

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_two_process_run_matches_single_process(
    ratings: pd.DataFrame, tmp_path: Path, group_a: list[int]
) -> None:
    csv = tmp_path / "ratings.csv"
    ratings.to_csv(csv, index=False)
    args = [
        "--epochs",
        "40",
        "--dim",
        "8",
        "--lr",
        "0.05",
        "--reg",
        "0.02",
        "--seed",
        "7",
    ]
    args += ["--ease-lambda", "5.0", "--ease-min-support", "1", "--patience", "100"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2"]
    cmd += ["--master_addr=127.0.0.1", f"--master_port={_free_port()}"]
    cmd += [
        "-m",
        "ml.train",
        "--distributed",
        "--ratings",
        str(csv),
        "--out",
        str(tmp_path / "a"),
    ]
    done = subprocess.run(
        cmd + args,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout[done.stdout.index("{") :])
    assert out["metrics"]["world_size"] == 2

    single = train(
        ratings,
        TrainConfig(
            epochs=40,
            dim=8,
            lr=0.05,
            reg=0.02,
            seed=7,
            ease_lambda=5.0,
            ease_min_support=1,
            patience=100,
        ),
    )
    assert out["metrics"]["val_rmse"] == pytest.approx(single.metrics["val_rmse"], abs=1e-3)
    dist_rec = Recommender.load(out["artifact"])
    one_rec = Recommender.from_result(single)
    rated = {m: 5.0 for m in group_a[:3]}
    dist_top = {m for m, _ in dist_rec.recommend(ratings=rated, k=5)}
    one_top = {m for m, _ in one_rec.recommend(ratings=rated, k=5)}
    assert len(dist_top & one_top) >= 4
    # The co-liked lists (served as similar movies) sum their Gram blocks over the ranks.
    assert isinstance(dist_rec.ranker, SparseEASE)
    assert isinstance(one_rec.ranker, SparseEASE)
    # Each rank solved its own share of the movies' columns: together, the one-process model.
    assert torch.equal(dist_rec.ranker.neighbours, one_rec.ranker.neighbours)
    assert torch.allclose(dist_rec.ranker.weights, one_rec.ranker.weights, atol=1e-6)
    assert dist_rec.ranker.co_liked.shape[1] > 0
    assert torch.equal(dist_rec.ranker.co_liked, one_rec.ranker.co_liked)
    assert dist_rec.similar(group_a[0], 5, min_support=1) == one_rec.similar(
        group_a[0], 5, min_support=1
    )
