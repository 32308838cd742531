"""Quality, training time and serving latency of the ml/ recommender on the fixed splits.

Writes bench/out/ml/quality.json and quality.md. Peers (global mean, popularity, EASE) are small
numpy re-implementations evaluated by the same protocol code (ml.evaluate.evaluate_recommender).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from ml.data import load_ratings
from ml.evaluate import evaluate_recommender
from ml.recommender import Recommender, configure_threads
from ml.train import TrainConfig, train

ROOT = Path(__file__).resolve().parents[2]
# The shared fixed splits sit next to the checkout (../shared/data/splits); --splits-dir overrides.
SPLITS = ROOT.parent / "shared" / "data" / "splits" / "ml-latest-small"


class GlobalMean:
    def __init__(self, train_df: pd.DataFrame) -> None:
        self.mu = float(train_df["rating"].mean())

    def predict(
        self, *, ratings: Mapping[int, float], movie_ids: Sequence[int], **_: Any
    ) -> list[float]:
        return [self.mu] * len(movie_ids)

    def recommend(
        self, *, ratings: Mapping[int, float], k: int = 10, **_: Any
    ) -> list[tuple[int, float]]:
        return []


class Popularity(GlobalMean):
    def __init__(self, train_df: pd.DataFrame) -> None:
        super().__init__(train_df)
        counts = train_df["movieId"].value_counts()
        self.order = [int(m) for m in counts.index]

    def recommend(
        self, *, ratings: Mapping[int, float], k: int = 10, **_: Any
    ) -> list[tuple[int, float]]:
        out = [m for m in self.order[: k + len(ratings)] if m not in ratings]
        return [(m, 0.0) for m in out[:k]]


class NumpyEASE(GlobalMean):
    """Plain EASE (Steck 2019), all training movies, lambda as given."""

    def __init__(self, train_df: pd.DataFrame, lam: float = 200.0) -> None:
        super().__init__(train_df)
        self.ids = np.unique(train_df["movieId"].to_numpy())
        self.index = {int(m): i for i, m in enumerate(self.ids)}
        users = np.unique(train_df["userId"].to_numpy(), return_inverse=True)[1]
        items = np.searchsorted(self.ids, train_df["movieId"].to_numpy())
        x = np.zeros((users.max() + 1, len(self.ids)), dtype=np.float64)
        x[users, items] = 1.0
        g = x.T @ x
        g[np.diag_indices_from(g)] += lam
        p = np.linalg.inv(g)
        self.b = -p / np.diag(p)
        np.fill_diagonal(self.b, 0.0)

    def recommend(
        self, *, ratings: Mapping[int, float], k: int = 10, **_: Any
    ) -> list[tuple[int, float]]:
        idx = [self.index[m] for m in ratings if m in self.index]
        scores = self.b[idx].sum(0)
        scores[idx] = -np.inf
        top = np.argsort(-scores)[:k]
        return [(int(self.ids[i]), float(scores[i])) for i in top]


def latency(
    rec: Recommender, train_df: pd.DataFrame, *, n_ratings: int = 100, repeats: int = 300
) -> dict[str, float]:
    """Fold-in + top-20 for users holding about `n_ratings` ratings (1 torch thread)."""
    sizes = train_df.groupby("userId").size()
    users = (sizes - n_ratings).abs().sort_values().index[:20]
    histories = [
        dict(zip(g["movieId"].astype(int), g["rating"].astype(float), strict=True))
        for _, g in train_df[train_df.userId.isin(users)].groupby("userId")
    ]
    times: dict[str, list[float]] = {"recommend": [], "predict": []}
    movies = [int(m) for m in train_df["movieId"].unique()[:50]]
    for i in range(repeats):
        h = histories[i % len(histories)]
        t = time.perf_counter()
        rec.recommend(ratings=h, k=20)
        times["recommend"].append(time.perf_counter() - t)
        t = time.perf_counter()
        rec.predict(ratings=h, movie_ids=movies)
        times["predict"].append(time.perf_counter() - t)
    out: dict[str, float] = {"mean_history": statistics.mean(len(h) for h in histories)}
    for name, values in times.items():
        values = sorted(values[20:])
        out[f"{name}_p50_ms"] = 1000 * values[len(values) // 2]
        out[f"{name}_p95_ms"] = 1000 * values[int(len(values) * 0.95)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="bench/out/ml")
    parser.add_argument("--splits", nargs="+", default=["random-seed42", "temporal-last20pct"])
    parser.add_argument(
        "--splits-dir",
        type=Path,
        default=SPLITS,
        help="folder holding <split>/train.csv.gz and test.csv.gz [../shared/data/splits/...]",
    )
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument(
        "--rankers",
        nargs="+",
        default=["sparse", "dense"],
        choices=["sparse", "dense"],
        help="ranking models trained side by side on each split (TrainConfig.ranker)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a TrainConfig field for every model trained (repeatable), e.g. "
        "--set ease_max_pairs=10000000",
    )
    args = parser.parse_args()
    overrides = {}
    for item in args.set:
        name, _, raw = item.partition("=")
        overrides[name] = TrainConfig.parse_value(name, raw)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "load_average_at_start": os.getloadavg(),
        "machine": {
            "cpus": torch.get_num_threads(),
            "platform": platform.platform(),
            "torch": torch.__version__,
        },
        "config": TrainConfig(**overrides).__dict__,
        "splits": {},
    }
    for split in args.splits:
        train_df = load_ratings(args.splits_dir / split / "train.csv.gz")
        test_df = load_ratings(args.splits_dir / split / "test.csv.gz")
        rows: dict[str, Any] = {}
        for ranker in args.rankers:
            # One intra-op thread: the MF steps are small, and on a shared 2-core machine a second
            # OpenMP thread mostly spin-waits (measured: 42 s wall with 2 threads vs 10 s with 1).
            torch.set_num_threads(1)
            cpu = time.process_time()
            result = train(train_df, TrainConfig(ranker=ranker, **overrides))
            cpu = time.process_time() - cpu
            rec = Recommender.from_result(result)
            model_row = evaluate_recommender(rec, train=train_df, test=test_df)
            model_row.update(
                train_seconds=result.train_seconds,
                train_cpu_seconds=cpu,
                best_epoch=result.best_epoch,
                **result.metrics,
            )
            # Without the neighbour correction and without the rating blend, for the record.
            alpha, blend = float(result.ranker.alpha), float(result.ranker.blend)
            result.ranker.alpha.fill_(0.0)
            result.ranker.blend.fill_(0.0)
            plain = evaluate_recommender(rec, train=train_df, test=test_df)
            result.ranker.alpha.fill_(alpha)
            result.ranker.blend.fill_(blend)
            model_row["rmse_mf_only"] = plain["rmse"]
            model_row["ndcg@10_ease_only"] = plain["ndcg@10"]
            configure_threads(1)
            model_row["latency"] = latency(rec, train_df)
            model_row["load_average"] = os.getloadavg()
            served = ranker == TrainConfig().ranker
            rows["movieconnect (served path)" if served else f"movieconnect, {ranker} EASE"] = (
                model_row
            )
        if not args.no_peers:
            torch.set_num_threads(2)
            for name, build in [
                ("global mean", GlobalMean),
                ("popularity", Popularity),
                ("EASE numpy (lambda 200)", NumpyEASE),
            ]:
                t = time.perf_counter()
                peer = build(train_df)
                fit_s = time.perf_counter() - t
                rows[name] = {
                    **evaluate_recommender(peer, train=train_df, test=test_df),
                    "train_seconds": fit_s,
                }
        report["splits"][split] = rows
        print(split, json.dumps(rows, indent=1, default=float))
    (out_dir / "quality.json").write_text(json.dumps(report, indent=2, default=float) + "\n")
    lines = [
        "| split | model | RMSE | MAE | P@10 | R@10 | NDCG@10 | coverage | fit s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for split, rows in report["splits"].items():
        for name, r in rows.items():
            rates = not (name == "popularity" or name.startswith("EASE"))
            rmse = f"{r['rmse']:.4f}" if rates else "—"
            mae = f"{r['mae']:.4f}" if rates else "—"
            rank = name != "global mean"
            cells = [
                f"{r[k]:.4f}" if rank else "—"
                for k in ("precision@10", "recall@10", "ndcg@10", "catalog_coverage")
            ]
            lines.append(
                f"| {split} | {name} | {rmse} | {mae} | "
                + " | ".join(cells)
                + f" | {r['train_seconds']:.1f} |"
            )
    (out_dir / "quality.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
