"""The blend weight fitted on a time-ordered validation split, measured on the shared splits.

For each split: carve each user's latest `--val-fraction` (by timestamp) out of the training
ratings, train the default model on the earlier part, and score the blend grid on the carved-out
ratings as serving would (`ml.evaluate.evaluate_recommender`, fold-in from the earlier part): the
weight with the best validation NDCG@10 is the fitted one. Then train the default model on all
the training ratings and report the test NDCG@10 at every weight of the grid beside it, for the
record (the test curve chooses nothing). Writes bench/out/ml/blend_chrono.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import torch

from ml.data import load_ratings, split_chrono
from ml.evaluate import evaluate_recommender
from ml.recommender import Recommender, configure_threads
from ml.train import TrainConfig, train
from ml.train.blend import BLEND_GRID, fit_blend

SPLITS = Path(__file__).resolve().parents[2].parent / "shared/data/splits/ml-latest-small"


def curve(rec: Recommender, *, history: Any, query: Any) -> list[float]:
    out = []
    for weight in BLEND_GRID:
        rec.ranker.blend.fill_(weight)
        out.append(float(evaluate_recommender(rec, train=history, test=query)["ndcg@10"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="bench/out/ml")
    parser.add_argument("--splits", nargs="+", default=["random-seed42", "temporal-last20pct"])
    parser.add_argument("--splits-dir", type=Path, default=SPLITS)
    parser.add_argument("--val-fraction", type=float, default=0.05)
    args = parser.parse_args()
    torch.set_num_threads(1)
    report: dict[str, Any] = {"grid": BLEND_GRID, "val_fraction": args.val_fraction, "splits": {}}
    for split in args.splits:
        train_df = load_ratings(args.splits_dir / split / "train.csv.gz")
        test_df = load_ratings(args.splits_dir / split / "test.csv.gz")
        t = time.perf_counter()
        earlier, latest = split_chrono(train_df, test_fraction=args.val_fraction)
        val_rec = Recommender.from_result(train(earlier, TrainConfig()))
        configure_threads(1)
        val_curve = curve(val_rec, history=earlier, query=latest)
        chosen = fit_blend(val_curve)
        served = Recommender.from_result(train(train_df, TrainConfig()))
        configure_threads(1)
        test_curve = curve(served, history=train_df, query=test_df)
        row = {
            "validation_ratings": len(latest),
            "validation_ndcg@10": dict(zip(map(str, BLEND_GRID), val_curve, strict=True)),
            "chosen_blend": chosen,
            "test_ndcg@10": dict(zip(map(str, BLEND_GRID), test_curve, strict=True)),
            "test_ndcg@10_at_chosen": test_curve[BLEND_GRID.index(chosen)],
            "seconds": round(time.perf_counter() - t, 1),
            "load_average": os.getloadavg(),
        }
        report["splits"][split] = row
        print(split, json.dumps(row, indent=1), flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "blend_chrono.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
