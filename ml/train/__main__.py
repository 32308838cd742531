"""`python -m ml.train`: train on a ratings file and write a versioned artifact (no Django).

A leaf: nothing imports this module.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any

import torch
from torch import distributed as dist

from ml.artifacts import save_artifact
from ml.data import load_ratings
from ml.evaluate import evaluate_recommender
from ml.recommender import Recommender
from ml.train import _world, train
from ml.types import TrainConfig


def _parse(argv: list[str] | None) -> argparse.Namespace:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(prog="python -m ml.train", description=__doc__)
    parser.add_argument("--ratings", required=True, help="ratings folder, .csv(.gz) or .dat")
    parser.add_argument("--out", default="artifacts", help="artifact root; writes <out>/<version>/")
    parser.add_argument("--test", help="optional held-out ratings to evaluate the artifact on")
    parser.add_argument("--distributed", action="store_true", help="torchrun data-parallel (gloo)")
    parser.add_argument("--max-rmse", type=float, help="exit non-zero if validation RMSE exceeds")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch intra-op threads (0: torch default)"
    )
    for f in dataclasses.fields(TrainConfig):
        if f.name == "progress":
            continue
        value = getattr(defaults, f.name)
        name = "--" + f.name.replace("_", "-")
        if isinstance(value, bool):
            parser.add_argument(
                name, type=lambda s: s.lower() in ("1", "true", "yes"), default=value
            )
        else:
            parser.add_argument(name, type=type(value), default=value)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.distributed:
        dist.init_process_group("gloo")
    rank, world = _world()
    values = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(TrainConfig)
        if f.name != "progress"
    }
    config = TrainConfig(**values, progress=True)
    result = train(args.ratings, config)
    code = 0
    if rank == 0:
        metrics: dict[str, Any] = dict(result.metrics)
        metrics["train_seconds"] = round(result.train_seconds, 3)
        metrics["best_epoch"] = result.best_epoch
        metrics["world_size"] = world
        if args.test:
            rec = Recommender.from_result(result)
            metrics.update(
                evaluate_recommender(
                    rec, train=load_ratings(args.ratings), test=load_ratings(args.test)
                )
            )
        path = save_artifact(Path(args.out), result=result, metrics=metrics)
        print(json.dumps({"artifact": str(path), "metrics": metrics}, indent=2))
        if args.max_rmse is not None and metrics.get("val_rmse", 0.0) > args.max_rmse:
            print(f"validation RMSE above --max-rmse {args.max_rmse}", file=sys.stderr)
            code = 1
    if args.distributed:
        dist.barrier()
        dist.destroy_process_group()
    return code


if __name__ == "__main__":
    exit_code = main()
    if "--distributed" in sys.argv:
        # gloo's C++ threads can abort the interpreter's shutdown ("terminate called without an
        # active exception", seen once in CI after a finished run): the work is saved and the
        # group destroyed, so leave without running static destructors.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exit_code)
    raise SystemExit(exit_code)
