"""`python -m ml.evaluate`: score a model on held-out ratings, or cross-validate one.

    python -m ml.evaluate --train TRAIN --test TEST                  # train with defaults, score
    python -m ml.evaluate --train TRAIN --test TEST --artifact DIR   # score a saved artifact
    python -m ml.evaluate --ratings RATINGS --folds 5                # k-fold mean and spread

An artifact is refused (exit 2) when the test ratings overlap what it was trained on, unless
--allow-overlap (the figures are then marked "leaked"). Bad input or options: one error line,
exit status 2. A leaf: nothing imports this module.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path
from typing import Any

from ml.artifacts import load_trained_pairs
from ml.cli import Parser, add_config_options, add_reader_options, config_from, fail, reader_from
from ml.data import RatingsError, describe_ratings, load_ratings
from ml.evaluate import evaluate_recommender, overlap_report
from ml.recommender import Recommender
from ml.train import train
from ml.tuning import cross_validate

PROG = "python -m ml.evaluate"


def _round(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value):
        return round(value, 5)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog=PROG, description=__doc__)
    parser.add_argument("--train", help="training ratings (users are folded in from these)")
    parser.add_argument("--test", help="held-out ratings to score")
    parser.add_argument("--ratings", help="with --folds: the ratings to cross-validate on")
    parser.add_argument("--folds", type=int, help="k-fold cross-validation (k >= 2)")
    parser.add_argument("--artifact", help="score this artifact (or models folder's CURRENT)")
    parser.add_argument(
        "--allow-overlap",
        action="store_true",
        help="score an artifact even if it was trained on test ratings (figures marked leaked)",
    )
    parser.add_argument("--k", type=int, default=10, help="list length for the ranking metrics")
    parser.add_argument("--out", help="also write the JSON here")
    add_reader_options(parser)
    add_config_options(parser)
    args = parser.parse_args(argv)
    if args.k < 1:
        return fail(PROG, "--k must be at least 1")
    try:
        config = config_from(args)
        reader = reader_from(args)
        if args.folds is not None:
            if args.folds < 2:
                return fail(PROG, "--folds must be at least 2")
            if args.artifact or args.test:
                return fail(PROG, "--folds trains its own models: give --ratings, not --artifact")
            source = args.ratings or args.train
            if not source:
                return fail(PROG, "--folds needs --ratings")
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=r"Sparse (CSR|invariant)")
                result = cross_validate(
                    load_ratings(source, reader=reader), config, folds=args.folds, k=args.k
                )
            return _emit(args, {"n_folds": args.folds, **result})
        if not (args.train and args.test):
            return fail(PROG, "give --train and --test (or --ratings with --folds)")
        train_df = load_ratings(args.train, reader=reader)
        test_df = load_ratings(args.test, reader=reader)
        rec = Recommender.load(args.artifact) if args.artifact else None
    except (ValueError, RatingsError, FileNotFoundError) as exc:
        return fail(PROG, str(exc))
    extra: dict[str, Any] = {}
    if rec is not None:
        extra["artifact"] = rec.version
        artifact_dir = Path(args.artifact)
        if (artifact_dir / rec.version).is_dir():
            artifact_dir = artifact_dir / rec.version
        pairs = load_trained_pairs(artifact_dir)
        report = overlap_report(test=test_df, trained_pairs=pairs)
        if pairs is None:
            print(
                f"{PROG}: warning: artifact {rec.version} does not record its training pairs; "
                "cannot check that the test ratings were not trained on",
                file=sys.stderr,
            )
        if report and not args.allow_overlap:
            return fail(PROG, f"artifact {rec.version}: {report} (--allow-overlap to score anyway)")
        if report:
            print(f"{PROG}: warning: {report}", file=sys.stderr)
            extra["leaked"] = True
        trained = rec.manifest.get("training_data", {}).get("sha256")
        if trained and trained != describe_ratings(train_df)["sha256"]:
            extra["note"] = "the artifact was trained on other ratings than --train"
    else:
        report = overlap_report(test=test_df, train=train_df)
        if report:
            print(f"{PROG}: warning: {report}", file=sys.stderr)
            extra["leaked"] = True
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Sparse (CSR|invariant)")
            result = train(train_df, config)
        rec = Recommender.from_result(result)
        extra["train_seconds"] = round(result.train_seconds, 3)
        extra["best_epoch"] = result.best_epoch
        extra["val_rmse"] = result.metrics["val_rmse"]
    metrics = {**evaluate_recommender(rec, train=train_df, test=test_df, k=args.k), **extra}
    return _emit(args, metrics)


def _emit(args: Any, payload: dict[str, Any]) -> int:
    text = json.dumps(_round(payload), indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
