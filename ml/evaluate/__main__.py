"""`python -m ml.evaluate`: score a trained artifact, or a model trained on --train, on --test.

A leaf: nothing imports this module.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from ml.data import load_ratings
from ml.evaluate import evaluate_recommender
from ml.recommender import Recommender
from ml.train import train
from ml.types import TrainConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.evaluate")
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--artifact", help="evaluate this artifact instead of training one")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=TrainConfig().seed)
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args(argv)
    train_df, test_df = load_ratings(args.train), load_ratings(args.test)
    extra: dict[str, Any] = {}
    if args.artifact:
        rec = Recommender.load(args.artifact)
        extra["artifact"] = rec.version
    else:
        result = train(train_df, TrainConfig(seed=args.seed))
        rec = Recommender.from_result(result)
        extra["train_seconds"] = round(result.train_seconds, 3)
        extra["best_epoch"] = result.best_epoch
        extra["val_rmse"] = result.metrics["val_rmse"]
    metrics = {
        **evaluate_recommender(rec, train=train_df, test=test_df, k=args.k),
        **extra,
    }
    metrics = {
        k: (round(v, 5) if isinstance(v, float) and math.isfinite(v) else v)
        for k, v in metrics.items()
    }
    text = json.dumps(metrics, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
