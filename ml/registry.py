"""`python -m ml.registry`: list, compare, promote, roll back and prune artifacts (no Django).

    python -m ml.registry list                                  # artifacts with their metrics
    python -m ml.registry compare A B --ratings RATINGS         # side by side on the gate's holdout
    python -m ml.registry promote B --ratings RATINGS [--force] # through the deploy gate
    python -m ml.registry rollback                              # back to the previous deployment
    python -m ml.registry prune --keep 3 [--dry-run]            # newest 3 + deployed + previous

`--models` is the artifact root with the CURRENT pointer [$ML_MODEL_DIR or var/models]. RATINGS
are the ratings the models were trained from (e.g. `data/demo/ml-latest-small`, or the CSV
`manage.py build_datasets` writes): the gate's fixed holdout is rebuilt from them with the same
hash as `manage.py train_recommender`, so no Django is needed. Web workers pick up a promotion or
roll-back within ML_RELOAD_SECONDS. Bad input: one error line, exit 2; promotion refused by the
gate: exit 1. A leaf: nothing imports this module.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from ml.artifacts import load_trained_pairs
from ml.cli import Parser, add_reader_options, fail, reader_from
from ml.data import RatingsError, load_ratings
from ml.deployment import (
    GATE_METRICS,
    GatePolicy,
    Holdout,
    artifact_versions,
    deploy,
    deployed_version,
    previous_version,
    prune,
    read_manifest,
    rollback,
)
from ml.evaluate import overlap_report
from ml.recommender import Recommender

PROG = "python -m ml.registry"


def _size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def _figure(manifest: dict[str, Any], *keys: str) -> Any:
    value: Any = manifest
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def cmd_list(args: Any) -> int:
    root = Path(args.models)
    current, previous = deployed_version(root), previous_version(root)
    rows = []
    for version in reversed(artifact_versions(root)):
        manifest = read_manifest(root, version)
        holdout = _figure(manifest, "served", "holdout") or _figure(manifest, "metrics", "holdout")
        rows.append(
            {
                "version": version,
                "status": "deployed"
                if version == current
                else "previous"
                if version == previous
                else "",
                "trained_at": manifest.get("trained_at"),
                "n_ratings": _figure(manifest, "training_data", "n_ratings")
                or manifest.get("n_ratings"),
                "val_rmse": _figure(manifest, "rating_model", "validation", "val_rmse")
                or _figure(manifest, "metrics", "val_rmse"),
                "holdout_rmse": (holdout or {}).get("rmse"),
                "holdout_ndcg@10": (holdout or {}).get("ndcg@10"),
                "size_mb": round(_size_mb(root / version), 1),
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"No artifacts in {root}.")
        return 0
    header = ["version", "status", "trained_at", "n_ratings", "val_rmse", "holdout_rmse"]
    header += ["holdout_ndcg@10", "size_mb"]
    table = [header] + [[_cell(r[h]) for h in header] for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _holdout_of(args: Any) -> Holdout:
    return Holdout(fraction=args.holdout, seed=args.seed, eval_users=args.eval_users)


def _score(
    root: Path, version: str, holdout: Holdout, train: Any, test: Any
) -> tuple[dict[str, Any], str | None]:
    """Holdout scores of one artifact, and a warning when it was trained on the holdout."""
    rec = Recommender.load(root / version)
    scores = holdout.scores(rec, train, test)
    report = overlap_report(test=test, trained_pairs=load_trained_pairs(root / version))
    excluded = _figure(rec.manifest, "training_data", "excludes_holdout") or {
        "rule": _figure(rec.manifest, "metrics", "holdout_rule"),
        "fraction": _figure(rec.manifest, "metrics", "holdout_fraction"),
        "seed": _figure(rec.manifest, "metrics", "holdout_seed"),
    }
    if report:
        return scores, f"{version}: {report}"
    if excluded != holdout.describe():
        return scores, (
            f"{version} does not record training without this holdout ({excluded}); "
            "its figures may be leaked"
        )
    return scores, None


def _ratings(args: Any) -> tuple[Any, Any]:
    frame = load_ratings(args.ratings, reader=reader_from(args))
    return _holdout_of(args).split(frame)


def cmd_compare(args: Any) -> int:
    root = Path(args.models)
    holdout = _holdout_of(args)
    train, test = _ratings(args)
    results = {}
    for version in args.versions:
        scores, warning = _score(root, version, holdout, train, test)
        if warning:
            print(f"{PROG}: warning: {warning}", file=sys.stderr)
        results[version] = {**scores, "leaked": warning is not None}
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    names = ["metric", *args.versions]
    keys = [*GATE_METRICS, "n_test_ratings", "n_ranked_users", "leaked"]
    table = [names] + [[k, *(_cell(results[v][k]) for v in args.versions)] for k in keys]
    a, b = (results[v] for v in args.versions)
    table.append(["B - A rmse", "", f"{b['rmse'] - a['rmse']:+.4f}"])
    table.append(["B - A ndcg@10", "", f"{b['ndcg@10'] - a['ndcg@10']:+.4f}"])
    widths = [max(len(row[i]) for row in table) for i in range(len(names))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_promote(args: Any) -> int:
    root = Path(args.models)
    read_manifest(root, args.version)  # FileNotFoundError: not an artifact
    current = deployed_version(root)
    if current == args.version:
        print(f"{args.version} is already deployed.")
        return 0
    policy = GatePolicy(
        rmse_tolerance=args.rmse_tolerance,
        ndcg_tolerance=args.ndcg_tolerance,
        max_rmse=args.max_rmse,
    )
    reasons: list[str] = []
    if args.ratings:
        holdout = _holdout_of(args)
        train, test = _ratings(args)
        candidate, warning = _score(root, args.version, holdout, train, test)
        print(f"Candidate {args.version} on the holdout: {json.dumps(_rounded(candidate))}")
        if warning:
            reasons.append(warning)
        deployed = None
        if current is not None:
            deployed, old_warning = _score(root, current, holdout, train, test)
            print(f"Deployed {current} on the holdout: {json.dumps(_rounded(deployed))}")
            if old_warning:
                print(f"{PROG}: warning: {old_warning}", file=sys.stderr)
        reasons += policy.reasons(candidate, deployed)
    elif not args.force:
        return fail(PROG, "promote needs --ratings to score the models on the holdout, or --force")
    if reasons and not args.force:
        print(f"Not deployed: {'; '.join(reasons)}", file=sys.stderr)
        return 1
    if reasons:
        print("Deploying anyway (--force): " + "; ".join(reasons))
    deploy(root, args.version, action="promote", note="forced" if args.force else "")
    print(f"Deployed {args.version} (was {current or 'nothing'}).")
    return 0


def _rounded(scores: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()}


def cmd_rollback(args: Any) -> int:
    root = Path(args.models)
    current = deployed_version(root)
    try:
        version = rollback(root)
    except LookupError as exc:
        return fail(PROG, str(exc))
    print(f"Rolled back from {current} to {version}.")
    return 0


def cmd_prune(args: Any) -> int:
    if args.keep < 0:
        return fail(PROG, "--keep must be >= 0")
    root = Path(args.models)
    doomed = prune(root, keep=args.keep, dry_run=args.dry_run)
    verb = "Would delete" if args.dry_run else "Deleted"
    print(f"{verb} {len(doomed)} artifact(s){': ' + ', '.join(doomed) if doomed else ''}.")
    return 0


def _parser() -> Parser:
    parser = Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--models",
        default=os.environ.get("ML_MODEL_DIR", "var/models"),
        help="artifact root with CURRENT [$ML_MODEL_DIR or var/models]",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    listing = sub.add_parser("list", help="artifacts, newest first, with their metrics")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=cmd_list)

    def holdout_options(p: Any, *, required: bool) -> None:
        p.add_argument("--ratings", required=required, help="ratings to rebuild the holdout from")
        p.add_argument("--holdout", type=float, default=0.1, help="held-out share [0.1]")
        p.add_argument("--seed", type=int, default=42, help="holdout seed [42]")
        p.add_argument("--eval-users", type=int, default=300, help="users scored [300; 0: all]")
        add_reader_options(p)

    compare = sub.add_parser("compare", help="two artifacts side by side on the holdout")
    compare.add_argument("versions", nargs=2, metavar="VERSION")
    compare.add_argument("--json", action="store_true")
    holdout_options(compare, required=True)
    compare.set_defaults(run=cmd_compare)

    promote = sub.add_parser("promote", help="deploy an artifact through the gate")
    promote.add_argument("version")
    promote.add_argument("--force", action="store_true", help="deploy even if the gate refuses")
    promote.add_argument("--rmse-tolerance", type=float, default=0.005)
    promote.add_argument("--ndcg-tolerance", type=float, default=0.005)
    promote.add_argument("--max-rmse", type=float)
    holdout_options(promote, required=False)
    promote.set_defaults(run=cmd_promote)

    back = sub.add_parser("rollback", help="deploy the previous version again")
    back.set_defaults(run=cmd_rollback)

    pruning = sub.add_parser("prune", help="delete old artifacts")
    pruning.add_argument("--keep", type=int, default=3, help="newest artifacts kept [3]")
    pruning.add_argument("--dry-run", action="store_true", help="only say what would go")
    pruning.set_defaults(run=cmd_prune)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (ValueError, RatingsError, FileNotFoundError) as exc:
        return fail(PROG, str(exc))


if __name__ == "__main__":
    sys.exit(main())
