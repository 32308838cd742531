"""Synthetic MovieLens-shaped ratings at scale (default 70k users x 10k movies, ~10M ratings).

Long-tailed movie popularity (Zipf), log-normal user activity with a few heavy raters, stars from a
planted rank-16 model plus noise, rounded to half stars. Trains with the product's `train()` and
records wall time, peak RSS, validation RMSE (vs the noise floor) and a serving-latency probe.
Writes bench/out/ml/scale.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ml.recommender import Recommender, configure_threads
from ml.train import TrainConfig, train


def synthetic(
    *,
    n_users: int,
    n_movies: int,
    n_ratings: int,
    rank: int = 16,
    noise: float = 0.7,
    seed: int = 0,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, n_movies + 1) ** 0.9
    popularity = popularity[rng.permutation(n_movies)]
    popularity /= popularity.sum()
    activity = rng.lognormal(mean=0.0, sigma=1.1, size=n_users)
    heavy = rng.choice(n_users, size=max(1, n_users // 500), replace=False)
    activity[heavy] *= 20.0  # a few heavy raters
    per_user = np.maximum(
        20, np.round(activity / activity.sum() * n_ratings * 1.6).astype(np.int64)
    )
    per_user = np.minimum(per_user, n_movies // 2)
    users = np.repeat(np.arange(n_users), per_user)
    movies = rng.choice(n_movies, size=len(users), p=popularity)
    key = np.unique(users * n_movies + movies)  # drop repeats
    if len(key) > n_ratings:
        key = np.sort(rng.choice(key, size=n_ratings, replace=False))
    users, movies = key // n_movies, key % n_movies
    scale = 1.0 / np.sqrt(rank)
    uf = rng.normal(0.0, 1.0, (n_users, rank)).astype(np.float32)
    mf = rng.normal(0.0, 1.0, (n_movies, rank)).astype(np.float32)
    ub = rng.normal(0.0, 0.35, n_users).astype(np.float32)
    mb = rng.normal(0.0, 0.45, n_movies).astype(np.float32)
    signal = np.empty(len(users), dtype=np.float32)
    for lo in range(0, len(users), 2_000_000):
        hi = lo + 2_000_000
        signal[lo:hi] = (uf[users[lo:hi]] * mf[movies[lo:hi]]).sum(1) * scale * 0.6
    stars = 3.5 + ub[users] + mb[movies] + signal + rng.normal(0.0, noise, len(users))
    stars = np.clip(np.round(stars * 2) / 2, 0.5, 5.0).astype(np.float32)
    return pd.DataFrame(
        {
            "userId": users + 1,
            "movieId": movies + 1,
            "rating": stars,
            "timestamp": rng.integers(1_000_000_000, 1_500_000_000, len(users)),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=70_000)
    parser.add_argument("--movies", type=int, default=10_000)
    parser.add_argument("--ratings", type=int, default=10_000_000)
    parser.add_argument("--batch-size", type=int, default=1_000_000)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out", default="bench/out/ml")
    args = parser.parse_args()
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    frame = synthetic(n_users=args.users, n_movies=args.movies, n_ratings=args.ratings)
    gen_s = time.perf_counter() - t0
    print(f"generated {len(frame):,} ratings in {gen_s:.1f}s", flush=True)
    config = TrainConfig(batch_size=args.batch_size, epochs=args.epochs, patience=3, progress=True)
    result = train(frame, config)
    rec = Recommender.from_result(result)
    configure_threads(1)
    history = frame[frame.userId == int(frame.userId.iloc[0])]
    rated = dict(zip(history.movieId.astype(int), history.rating.astype(float), strict=True))
    times = []
    for _ in range(50):
        t = time.perf_counter()
        rec.recommend(ratings=rated, k=20)
        times.append(time.perf_counter() - t)
    report = {
        "n_users": int(frame.userId.nunique()),
        "n_movies": int(frame.movieId.nunique()),
        "n_ratings": len(frame),
        "generate_seconds": round(gen_s, 1),
        "train_seconds": round(result.train_seconds, 1),
        "best_epoch": result.best_epoch,
        "metrics": result.metrics,
        "history": result.history,
        "ranker_items": int(result.ranker.kept.numel()),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
        "recommend_p50_ms_history_len": [
            round(1000 * sorted(times)[len(times) // 2], 2),
            len(rated),
        ],
        "config": config.__dict__,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps(report, indent=2, default=float) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "history"}, indent=2, default=float))


if __name__ == "__main__":
    main()
