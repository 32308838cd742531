"""`python -m ml.train`: train on a ratings file and write a versioned artifact (no Django).

The artifact is written, never deployed: promote it with `python -m ml.registry promote`.
With `--holdout 0.1` it trains without the deploy gate's fixed holdout, so it can be compared
with, and promoted over, models trained by `manage.py train_recommender`. Bad input or options:
one error line, exit status 2; a model refused by `--max-rmse` or with non-finite parameters:
exit status 1. A leaf: nothing imports this module.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import distributed as dist

from ml.artifacts import save_artifact
from ml.cli import (
    Parser,
    add_config_options,
    add_reader_options,
    config_from,
    fail,
    reader_from,
    under_torchrun,
)
from ml.data import RatingsError, load_ratings
from ml.deployment import Holdout, non_finite
from ml.evaluate import evaluate_recommender, overlap_report
from ml.recommender import Recommender
from ml.train import _world, train

PROG = "python -m ml.train"


def _parse(argv: list[str] | None) -> Any:
    parser = Parser(prog=PROG, description=__doc__)
    parser.add_argument(
        "--ratings", required=True, help="ratings folder, .csv(.gz), .dat or u.data"
    )
    parser.add_argument("--out", default="artifacts", help="artifact root; writes <out>/<version>/")
    parser.add_argument("--test", help="optional held-out ratings to evaluate the artifact on")
    parser.add_argument(
        "--holdout",
        type=float,
        default=0.0,
        help="leave out the deploy gate's hash-chosen share of ratings (0.1 as the gate) [0: none]",
    )
    parser.add_argument("--holdout-seed", type=int, default=42, help="the gate's holdout seed")
    parser.add_argument(
        "--eval-users", type=int, default=300, help="holdout: score at most this many users"
    )
    parser.add_argument("--distributed", action="store_true", help="torchrun data-parallel (gloo)")
    parser.add_argument(
        "--max-rmse", type=float, help="exit 1 (no artifact) if the validation RMSE exceeds"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="torch intra-op threads (0: torch default)"
    )
    add_reader_options(parser)
    add_config_options(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    args.command = [*PROG.split(), *(sys.argv[1:] if argv is None else argv)]
    if under_torchrun() and not args.distributed:
        return fail(PROG, "started by torchrun without --distributed: every rank would train alone")
    if args.distributed and not under_torchrun():
        return fail(PROG, "--distributed needs torchrun (see bench/ml/README.md)")
    if args.threads < 0:
        return fail(PROG, "--threads must be >= 0")
    if args.max_rmse is not None and not args.max_rmse > 0:
        return fail(PROG, "--max-rmse must be a positive number")
    try:
        config = config_from(args, progress=True)
        reader = reader_from(args)
        holdout = (
            Holdout(fraction=args.holdout, seed=args.holdout_seed, eval_users=args.eval_users)
            if args.holdout
            else None
        )
        ratings = load_ratings(args.ratings, reader=reader)
        test = load_ratings(args.test, reader=reader) if args.test else None
    except (ValueError, RatingsError) as exc:
        return fail(PROG, str(exc))
    train_part, held = holdout.split(ratings) if holdout else (ratings, None)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.distributed:
        dist.init_process_group("gloo")
    rank, world = _world()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Sparse (CSR|invariant)")
            result = train(train_part, config)
    except RatingsError as exc:
        return fail(PROG, str(exc))
    code = 0
    if rank == 0:
        code = _report(args, result, train_part, held, test, holdout, world)
    if args.distributed:
        dist.barrier()
        dist.destroy_process_group()
    return code


def _report(
    args: Any, result: Any, train_part: Any, held: Any, test: Any, holdout: Any, world: int
) -> int:
    broken = non_finite({"mf": result.model.state_dict(), "ranker": result.ranker.state_dict()})
    val_rmse = result.metrics.get("val_rmse", float("nan"))
    if broken or non_finite({"v": val_rmse}):
        print(
            f"{PROG}: training diverged (non-finite {', '.join(broken) or 'validation RMSE'}); "
            "no artifact written",
            file=sys.stderr,
        )
        return 1
    metrics: dict[str, Any] = dict(result.metrics)
    metrics["train_seconds"] = round(result.train_seconds, 3)
    metrics["best_epoch"] = result.best_epoch
    metrics["world_size"] = world
    served: dict[str, Any] = {}
    rec = Recommender.from_result(result)
    if holdout is not None:
        served["holdout"] = holdout.scores(rec, train_part, held)
        metrics.update(
            {
                "holdout_rule": holdout.describe()["rule"],
                "holdout_fraction": holdout.fraction,
                "holdout_seed": holdout.seed,
                "holdout": served["holdout"],
            }
        )
    if test is not None:
        report = overlap_report(train=train_part, test=test)
        if report:
            print(f"{PROG}: warning: {report}", file=sys.stderr)
        served["test"] = evaluate_recommender(rec, train=train_part, test=test)
        metrics.update(served["test"])
    training = {"source": str(args.ratings)}
    if holdout is not None:
        training["excludes_holdout"] = holdout.describe()
    if args.max_rmse is not None and val_rmse > args.max_rmse:
        print(
            f"{PROG}: validation RMSE {val_rmse:.4f} above --max-rmse {args.max_rmse}; "
            "no artifact written",
            file=sys.stderr,
        )
        return 1
    path = save_artifact(
        Path(args.out),
        result=result,
        metrics=metrics,
        served=served,
        training=training,
        command=args.command,
    )
    print(json.dumps({"artifact": str(path), "metrics": metrics}, indent=2, default=str))
    return 0


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
