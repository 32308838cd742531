"""Group picks' score on the shared fixed splits, against random groups of test users.

The model is trained on a split's train part (the product's `ml.train.train`, default config);
each member's predicted stars come from `ml.explain.member_stars` folded in from their training
ratings (cold start below ML_MIN_RATINGS known ratings), as `POST /api/recommendations/group/`
computes them. Candidates: movies with at least GROUP_MIN_SUPPORT training ratings that no
member rated in training. The group's top 10 is judged by each member's held-out test ratings:

- NDCG@10 per member (binary gain: test rating >= 4; ideal DCG over min(|relevant|, 10)),
  averaged over members ("mean") and the least-served member's per group ("min");
- hits: recommended movies a member rated in test; "hit stars" their mean test rating;
  "misery": the share of hits rated 2.5 or less (a pick a member disliked).

Strategies: score = mean - w * (mean - min) of the predicted stars for w in 0 (plain average),
0.25, 0.5, 0.75, 1 (least misery); the same over each member's ranking score (what
`GET /api/user/movies/` ranks by) turned into rank percentiles among the candidates ("ranker
pct"), as z-scores ("ranker z") and raw ("ranker raw"); popularity (training count) and
random candidates as floors.

    PYTHONPATH=. nice -n 10 python bench/home/group_quality.py [--groups 300] [--sizes 2 4 8]

Writes bench/out/home/group_quality.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ml import explain
from ml.data import load_ratings
from ml.recommender import Recommender
from ml.train import TrainConfig, train

ROOT = Path(__file__).resolve().parents[2]
SPLITS = ROOT.parent / "shared" / "data" / "splits" / "ml-latest-small"
MIN_RATINGS = 5  # settings.ML_MIN_RATINGS' default
MIN_SUPPORT = 10  # home.selectors.GROUP_MIN_SUPPORT
K = 10
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def _ndcg(ranked: np.ndarray, relevant: set[int]) -> float:
    if not relevant:
        return float("nan")
    gains = np.array([1.0 if int(m) in relevant else 0.0 for m in ranked[:K]])
    dcg = float((gains / np.log2(np.arange(2, len(gains) + 2))).sum())
    ideal = float((1.0 / np.log2(np.arange(2, min(len(relevant), K) + 2))).sum())
    return dcg / ideal


def _ranking_scores(rec: Recommender, ratings: dict[int, float]) -> np.ndarray:
    """The member's ranking score over every movie, as `Recommender.recommend` computes it."""
    with torch.inference_mode():
        items, stars = rec._encode(ratings)
        scores = rec.ranker.score(items)
        blend = float(rec.ranker.blend)
        if blend:
            bias, vec = rec.model.fold_in(items, stars)
            scores += blend * rec.model.predict_items(bias, vec)
        return scores.numpy().astype(np.float64)


def _percentiles(matrix: np.ndarray) -> np.ndarray:
    """Each row's values as rank percentiles in [0, 1] (1 = that member's best candidate)."""
    order = matrix.argsort(axis=1).argsort(axis=1)
    return order / max(matrix.shape[1] - 1, 1)


def evaluate_split(split: str, splits_dir: Path, n_groups: int, sizes: list[int]) -> dict:
    train_df = load_ratings(splits_dir / split / "train.csv.gz")
    test_df = load_ratings(splits_dir / split / "test.csv.gz")
    torch.set_num_threads(1)
    t = time.perf_counter()
    rec = Recommender.from_result(train(train_df, TrainConfig()))
    train_s = time.perf_counter() - t

    ids = explain.movie_ids(rec).astype(np.int64)
    counts = explain.rating_counts(rec)
    support = counts >= MIN_SUPPORT
    train_by_user = {
        int(u): dict(zip(g["movieId"].astype(int), g["rating"].astype(float), strict=True))
        for u, g in train_df.groupby("userId")
    }
    test_by_user = {
        int(u): dict(zip(g["movieId"].astype(int), g["rating"].astype(float), strict=True))
        for u, g in test_df.groupby("userId")
    }
    # Test users with at least one relevant held-out rating and a training history.
    users = sorted(
        u
        for u, r in test_by_user.items()
        if u in train_by_user and any(v >= 4.0 for v in r.values())
    )
    stars: dict[int, np.ndarray] = {}
    ranking: dict[int, np.ndarray] = {}
    cold = 0
    for u in users:
        ratings = train_by_user[u]
        personal = sum(1 for m in ratings if rec.knows_movie(m)) >= MIN_RATINGS
        cold += not personal
        stars[u] = explain.member_stars(rec, ratings=ratings, personal=personal)
        ranking[u] = _ranking_scores(rec, ratings)
    popularity = counts.astype(np.float64)

    rng = np.random.default_rng(42)
    report: dict[str, Any] = {
        "train_seconds": round(train_s, 1),
        "test_users": len(users),
        "cold_start_users": cold,
        "sizes": {},
    }
    for size in sizes:
        per: dict[str, dict[str, list[float]]] = {}
        for _ in range(n_groups):
            group = [int(u) for u in rng.choice(users, size=size, replace=False)]
            rated = set().union(*(train_by_user[u].keys() for u in group))
            allowed = support & ~np.isin(ids, np.fromiter(rated, dtype=np.int64))
            cand = np.flatnonzero(allowed)
            matrix = np.stack([stars[u][cand] for u in group])
            mean, low = matrix.mean(axis=0), matrix.min(axis=0)
            rankings = {f"w={w}": mean - w * (mean - low) for w in WEIGHTS}
            ranks = _percentiles(np.stack([ranking[u][cand] for u in group]))
            r_mean, r_low = ranks.mean(axis=0), ranks.min(axis=0)
            for w in (0.0, 0.5):
                rankings[f"ranker pct, w={w}"] = r_mean - w * (r_mean - r_low)
            raw = np.stack([ranking[u][cand] for u in group])
            z = (raw - raw.mean(axis=1, keepdims=True)) / (raw.std(axis=1, keepdims=True) + 1e-9)
            rankings["ranker raw, mean"] = raw.mean(axis=0)
            for w in (0.0, 0.5):
                z_mean, z_low = z.mean(axis=0), z.min(axis=0)
                rankings[f"ranker z, w={w}"] = z_mean - w * (z_mean - z_low)
            rankings["popularity"] = popularity[cand]
            rankings["random"] = rng.random(len(cand))
            for name, score in rankings.items():
                top = ids[cand[np.argsort(-score, kind="stable")[:K]]]
                row = per.setdefault(
                    name, {"ndcg_mean": [], "ndcg_min": [], "hit_stars": [], "misery": []}
                )
                ndcgs = []
                for u in group:
                    relevant = {m for m, v in test_by_user[u].items() if v >= 4.0}
                    ndcgs.append(_ndcg(top, relevant))
                    hits = [test_by_user[u][int(m)] for m in top if int(m) in test_by_user[u]]
                    row["hit_stars"].extend(hits)
                    row["misery"].extend(1.0 if v <= 2.5 else 0.0 for v in hits)
                row["ndcg_mean"].append(float(np.mean(ndcgs)))
                row["ndcg_min"].append(float(np.min(ndcgs)))
        report["sizes"][size] = {
            name: {
                "ndcg@10_mean_member": float(np.mean(v["ndcg_mean"])),
                "ndcg@10_least_served": float(np.mean(v["ndcg_min"])),
                "hits_per_group": len(v["hit_stars"]) / n_groups,
                "hit_stars": float(np.mean(v["hit_stars"])) if v["hit_stars"] else float("nan"),
                "misery_share": float(np.mean(v["misery"])) if v["misery"] else float("nan"),
            }
            for name, v in per.items()
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", nargs="+", default=["random-seed42", "temporal-last20pct"])
    parser.add_argument("--splits-dir", type=Path, default=SPLITS)
    parser.add_argument("--groups", type=int, default=300)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "home")
    args = parser.parse_args()
    report: dict[str, Any] = {
        "load_average_at_start": os.getloadavg(),
        "groups_per_size": args.groups,
        "splits": {},
    }
    for split in args.splits:
        report["splits"][split] = evaluate_split(split, args.splits_dir, args.groups, args.sizes)
    report["load_average_at_end"] = os.getloadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "group_quality.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"load average at start {report['load_average_at_start']}, end {os.getloadavg()}")
    print(
        "| split | size | strategy | NDCG@10 mean member | least served | hits/group "
        "| hit stars | misery |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for split, body in report["splits"].items():
        for size, rows in body["sizes"].items():
            for name, r in rows.items():
                print(
                    f"| {split} | {size} | {name} | {r['ndcg@10_mean_member']:.4f} | "
                    f"{r['ndcg@10_least_served']:.4f} | {r['hits_per_group']:.2f} | "
                    f"{r['hit_stars']:.2f} | {r['misery_share']:.3f} |"
                )
        print(
            f"({split}: {body['test_users']} test users, {body['cold_start_users']} cold "
            f"start, model trained in {body['train_seconds']} s)"
        )


if __name__ == "__main__":
    main()
