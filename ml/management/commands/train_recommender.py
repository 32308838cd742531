"""Train a recommender on the live ratings, compare it with the deployed one, deploy if not worse.

Protocol (decided 2026-11-24): a fixed, seeded 10 % of ratings -- chosen by a hash of
(user, movie, seed), so the same ratings stay held out as the data grows -- is never trained on by
any model this command deploys. The candidate trains on the other 90 %; the candidate and the
deployed model are both scored on the holdout (RMSE and NDCG@10, users folded in from their
training ratings, at most --eval-users users); the candidate is deployed as trained when it is not
worse on either metric (within the tolerances), or with --force. Deploying that model rather than
a refit on all ratings keeps the next comparison fair: a model that had seen the holdout would
look better than it is. Serving folds users in from all their current ratings anyway.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ml.dataset import ratings_export
from ml.deployment import GatePolicy, Holdout, deploy, deployed_version, non_finite

if TYPE_CHECKING:
    from ml.types import TrainConfig

# --if-missing (first boot, `scripts/dev`): seconds on the demo data, close to the full quality
# (demo holdout with --quick --dry-run: RMSE 0.828, NDCG@10 0.250; bench/ml/RESULTS.md, first boot).
EXPORT_PROGRESS_EVERY = 1_000_000
QUICK = {"dim": 32, "epochs": 40, "patience": 3, "refit": False, "ease_min_support": 20}


class Command(BaseCommand):
    help = "Train the recommender on the database's ratings; deploy it if it is not worse."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="do nothing when a model is deployed; otherwise train the quick preset and deploy",
        )
        parser.add_argument("--force", action="store_true", help="deploy even if worse")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="train, score and save the candidate but do not deploy it "
            "(promote it later: python -m ml.registry promote VERSION)",
        )
        parser.add_argument(
            "--output-dir", help="artifact root with the CURRENT pointer [settings.ML_MODEL_DIR]"
        )
        parser.add_argument("--quick", action="store_true", help="the fast preset (see QUICK)")
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="override a TrainConfig field, e.g. --set epochs=50 (repeatable)",
        )
        parser.add_argument("--holdout", type=float, default=0.1, help="held-out share [0.1]")
        parser.add_argument("--seed", type=int, default=42, help="holdout and training seed")
        parser.add_argument(
            "--eval-users", type=int, default=300, help="score at most this many users [300]"
        )
        parser.add_argument("--rmse-tolerance", type=float, default=0.005)
        parser.add_argument("--ndcg-tolerance", type=float, default=0.005)
        parser.add_argument(
            "--max-rmse", type=float, help="refuse (exit 1) if the holdout RMSE is above this"
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=0,
            help="torch threads [1 with --quick or --if-missing, else torch's default]",
        )
        parser.add_argument(
            "--no-notify",
            action="store_true",
            help="do not push recommendations.updated to recently active users after deploying",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["output_dir"] or settings.ML_MODEL_DIR)
        current = deployed_version(out)
        if options["if_missing"] and current is not None:
            self.stdout.write(f"Model {current} is deployed in {out}; nothing to do.")
            return

        import torch

        from ml.types import TrainConfig

        try:
            holdout = Holdout(
                fraction=options["holdout"], seed=options["seed"], eval_users=options["eval_users"]
            )
            policy = GatePolicy(
                rmse_tolerance=options["rmse_tolerance"],
                ndcg_tolerance=options["ndcg_tolerance"],
                max_rmse=options["max_rmse"],
            )
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if options["dry_run"] and options["if_missing"]:
            raise CommandError("--dry-run and --if-missing do not go together", returncode=2)
        # The quick preset's steps are small: on a shared 2-core machine a second intra-op
        # thread mostly spin-waits (first boot: 8-10 s wall with one, 13-15 s with two).
        threads = options["threads"] or (1 if options["quick"] or options["if_missing"] else 0)
        if threads:
            torch.set_num_threads(threads)
        config = self._config(TrainConfig, options)
        started = time.perf_counter()
        ratings = ratings_export(progress=self._export_progress(options["verbosity"]))
        export_seconds = time.perf_counter() - started
        if ratings["userId"].nunique() < 2 or ratings["movieId"].nunique() < 2:
            message = f"Too few ratings to train on ({len(ratings)})."
            if options["if_missing"]:  # first boot on an empty database: not an error
                self.stdout.write(message + " No model deployed; cold-start lists are served.")
                return
            raise CommandError(message)
        train_part, test_part = holdout.split(ratings)
        self.stdout.write(
            f"{len(ratings):,} ratings exported in {export_seconds:.1f} s; training on "
            f"{len(train_part):,}, holding out {len(test_part):,}."
        )

        from ml.train import train

        with warnings.catch_warnings():
            # torch's notices about its sparse tensors (beta, unchecked invariants), per chunk
            warnings.filterwarnings(
                "ignore", message=r"Sparse (CSR|invariant)", category=UserWarning
            )
            result = train(train_part, config)
        self.stdout.write(
            f"Trained in {result.train_seconds:.1f} s (best epoch {result.best_epoch}, "
            f"validation RMSE {result.metrics['val_rmse']:.4f})."
        )
        metrics: dict[str, Any] = {
            **result.metrics,
            "train_seconds": round(result.train_seconds, 3),
            "best_epoch": result.best_epoch,
            "holdout_rule": holdout.describe()["rule"],
            "holdout_fraction": holdout.fraction,
            "holdout_seed": holdout.seed,
        }

        from ml.recommender import Recommender

        candidate_scores: dict[str, Any] | None = None
        # First deployment with --if-missing: no evaluation (seconds matter; nothing to beat).
        if not options["if_missing"] or options["max_rmse"] is not None:
            candidate_scores = holdout.scores(
                Recommender.from_result(result), train_part, test_part
            )
            metrics["holdout"] = candidate_scores
            self.stdout.write(f"Candidate on the holdout: {self._fmt(candidate_scores)}")

        deployed_scores = None
        if current is not None and candidate_scores is not None:
            deployed_scores = self._deployed_scores(out, current, holdout, train_part, test_part)
        parameters = non_finite(
            {"mf": result.model.state_dict(), "ranker": result.ranker.state_dict()}
        )
        reasons = policy.reasons(candidate_scores, deployed_scores, parameters=parameters)
        if parameters:
            raise CommandError("Not deployed: " + "; ".join(reasons))  # never saved, even forced
        if reasons and not options["force"] and not options["dry_run"]:
            raise CommandError("Not deployed: " + "; ".join(reasons))
        if reasons and not options["dry_run"]:
            self.stdout.write("Deploying anyway (--force): " + "; ".join(reasons))

        from ml.artifacts import save_artifact

        out.mkdir(parents=True, exist_ok=True)
        path = save_artifact(
            out,
            result=result,
            metrics=metrics,
            served={"holdout": candidate_scores} if candidate_scores else {},
            training={"source": "database", "excludes_holdout": holdout.describe()},
            curve=not options["if_missing"],  # matplotlib and the plot: seconds of a first boot
        )
        if options["dry_run"]:
            verdict = (
                ("the gate would refuse it: " + "; ".join(reasons))
                if reasons
                else ("the gate would deploy it")
            )
            message = f"Dry run: saved {path.name} in {out}, not deployed ({verdict})."
            self.stdout.write(self.style.SUCCESS(message))
            return
        deploy(out, path.name, note="forced" if reasons else "")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(f"Deployed {path.name} to {out} ({elapsed:.1f} s in all).")
        )
        if not options["no_notify"] and Path(settings.ML_MODEL_DIR) == out:
            self._notify()

    def _export_progress(self, verbosity: int) -> Callable[[int, int], None]:
        """Export progress on stderr: every million ratings (every chunk with -v 2)."""
        step = 1 if verbosity >= 2 else EXPORT_PROGRESS_EVERY
        shown = [0]

        def report(done: int, total: int) -> None:
            if verbosity >= 1 and (done - shown[0] >= step or done == total) and total > step:
                shown[0] = done
                self.stderr.write(f"exported {done:,} of {total:,} ratings")

        return report

    def _config(self, config_class: type[TrainConfig], options: dict[str, Any]) -> TrainConfig:
        values: dict[str, Any] = {"seed": options["seed"]}
        if options["quick"] or options["if_missing"]:
            values.update(QUICK)
        for item in options["set"]:
            name, sep, raw = item.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in config_class.field_names():
                raise CommandError(
                    f"--set {item!r}: expected FIELD=VALUE with a TrainConfig field", returncode=2
                )
            try:
                values[name] = config_class.parse_value(name, raw)
            except ValueError as exc:
                raise CommandError(f"--set {item!r}: {exc}", returncode=2) from exc
        try:
            return config_class(**values)
        except ValueError as exc:
            raise CommandError(f"--set: {exc}", returncode=2) from exc

    def _deployed_scores(
        self,
        out: Path,
        current: str,
        holdout: Holdout,
        train_part: pd.DataFrame,
        test_part: pd.DataFrame,
    ) -> dict[str, Any] | None:
        """The deployed model's holdout scores; None when it does not load (no reason to keep
        a broken artifact)."""
        from ml.recommender import Recommender

        try:
            deployed = Recommender.load(out / current)
        except Exception as exc:
            self.stderr.write(f"Deployed model {current} does not load ({exc}); replacing it.")
            return None
        rule = deployed.manifest.get("metrics", {}).get("holdout_rule")
        if rule != holdout.describe()["rule"]:
            self.stderr.write(
                f"Deployed model {current} was not trained with this holdout ({rule}); it may "
                "have seen the held-out ratings, so the comparison favours it."
            )
        scores = holdout.scores(deployed, train_part, test_part)
        self.stdout.write(f"Deployed {current} on the holdout: {self._fmt(scores)}")
        return scores

    @staticmethod
    def _fmt(scores: dict[str, Any]) -> str:
        return json.dumps(
            {k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()}
        )

    def _notify(self) -> None:
        from ml.loader import reset_recommender
        from ml.services import recommendations_push_active_users

        reset_recommender()  # this process serves the new version from here on
        pushed = recommendations_push_active_users(
            days=settings.ML_PUSH_ACTIVE_DAYS, max_users=settings.ML_PUSH_MAX_USERS
        )
        self.stdout.write(f"Pushed recommendations.updated to {pushed} recently active users.")
