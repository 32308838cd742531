"""`python -m ml.tune`: a small grid search by k-fold cross-validation (no Django).

    python -m ml.tune --ratings data/demo/ml-latest-small --grid dim=16,32 --grid reg=0.05,0.1
    python -m ml.tune --ratings RATINGS --grid ease_lambda=100,200 --folds 3 --sort-by rmse

Each `--grid FIELD=V1,V2,...` names a `ml.types.TrainConfig` field and its values; every
combination is cross-validated (`ml.tuning.grid_search`) over the base configuration the other
flags describe. Prints one row per combination, best first by `--sort-by` (RMSE and MAE: lowest
first; ranking metrics: highest first), with each metric's mean and spread over the folds;
`--out` also writes the JSON. Bad input or options: one error line, exit status 2. A leaf:
nothing imports this module.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

from ml.cli import Parser, add_config_options, add_reader_options, config_from, fail, reader_from
from ml.data import RatingsError, load_ratings
from ml.tuning import SUMMARISED, grid_search
from ml.types import TrainConfig

PROG = "python -m ml.tune"


def parse_grid(items: list[str]) -> dict[str, list[Any]]:
    """`["dim=16,32", "reg=0.1"]` -> {"dim": [16, 32], "reg": [0.1]}; ValueError naming the bad
    item (unknown field, no value, a value of the wrong type, a field given twice)."""
    grid: dict[str, list[Any]] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not raw.strip():
            raise ValueError(f"--grid {item!r}: expected FIELD=V1,V2,...")
        if name not in TrainConfig.field_names():
            raise ValueError(f"--grid {item!r}: {name!r} is not a TrainConfig field")
        if name in grid:
            raise ValueError(f"--grid {item!r}: {name} is given twice")
        try:
            values = [TrainConfig.parse_value(name, v) for v in raw.split(",") if v.strip()]
        except ValueError as exc:
            raise ValueError(f"--grid {item!r}: {exc}") from None
        grid[name] = list(dict.fromkeys(values))
    return grid


def _table(rows: list[dict[str, Any]], sort_by: str) -> str:
    metrics = [sort_by] + [m for m in ("rmse", "ndcg@10") if m != sort_by]
    header = ["params", *(f"{m} (mean ± std)" for m in metrics), "seconds"]
    lines = [header]
    for row in rows:
        params = " ".join(f"{k}={v}" for k, v in row["params"].items())
        cells = [params]
        for metric in metrics:
            s = row["summary"].get(metric)
            cells.append(f"{s['mean']:.4f} ± {s['std']:.4f}" if s else "-")
        cells.append(f"{row['seconds']:.1f}")
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--ratings", required=True, help="ratings folder, .csv(.gz), .dat, u.data")
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="FIELD=V1,V2",
        help="a TrainConfig field and the values to try (repeatable)",
    )
    parser.add_argument("--folds", type=int, default=3, help="folds per combination [3]")
    parser.add_argument(
        "--sort-by", default="ndcg@10", choices=SUMMARISED, help="metric ranking the rows"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--out", help="also write the JSON here")
    add_reader_options(parser)
    add_config_options(parser)
    args = parser.parse_args(argv)
    if args.folds < 2:
        return fail(PROG, "--folds must be at least 2")
    if not args.grid:
        return fail(PROG, "give at least one --grid FIELD=V1,V2,...")
    try:
        grid = parse_grid(args.grid)
        base = config_from(args)
        for name, values in grid.items():  # every value must make a valid config
            for value in values:
                TrainConfig(**{**_fields(base), name: value})
        ratings = load_ratings(args.ratings, reader=reader_from(args))
    except (ValueError, RatingsError) as exc:
        return fail(PROG, str(exc))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Sparse (CSR|invariant)")
        rows = grid_search(ratings, base, grid, folds=args.folds, sort_by=args.sort_by)
    payload = {"n_folds": args.folds, "sort_by": args.sort_by, "rows": rows}
    text = json.dumps(payload, indent=2)
    print(text if args.json else _table(rows, args.sort_by))
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


def _fields(config: TrainConfig) -> dict[str, Any]:
    return {n: getattr(config, n) for n in TrainConfig.field_names()}


if __name__ == "__main__":
    sys.exit(main())
