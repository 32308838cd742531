"""Synthetic MovieLens-shaped ratings at scale (default 70k users x 10k movies, ~10M ratings;
`--shape ml-32m`: MovieLens 32M's 200,948 users x 87,585 movies, 32,000,204 ratings).

Long-tailed movie popularity (Zipf), log-normal user activity with a few heavy raters, stars from a
planted rank-16 model plus noise, rounded to half stars. Trains with the product's `train()` and
records wall time, peak RSS, validation RMSE (vs the noise floor) and a serving-latency probe.
Each training stage (rating-model fits, rankers and their passes, the alpha fit) is logged on
stdout with its wall time and the process's peak RSS as it ends, so a run stopped part way says
what each finished stage cost. With `--artifact DIR` the model is saved there and its size
recorded. Writes bench/out/ml/scale.json. `--write-ratings FILE` writes the generated set as a
CSV instead, for timing the training command itself (`python -m ml.train`, under torchrun too).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

import ml.train
from ml import sparse_ease
from ml.artifacts import save_artifact
from ml.recommender import Recommender, configure_threads
from ml.train import TrainConfig, train

SHAPES = {"ml-32m": {"users": 200_948, "movies": 87_585, "ratings": 32_000_204}}
STAGES = (
    (ml.train, ("_fit_mf", "_fit_ranker", "_fit_alpha")),
    (sparse_ease, ("_neighbour_pass", "_neighbourhood_grams", "_solve_pass", "_co_liked")),
)


def peak_rss_gib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.2f}] {message}", flush=True)


def timed_stages(record: list[dict[str, Any]]) -> None:
    """Wrap the training stages (module globals train() and SparseEASE.fit call) with a log."""
    for module, names in STAGES:
        for name in names:
            original: Callable[..., Any] = getattr(module, name)

            @functools.wraps(original)
            def wrapper(
                *args: Any, _f: Callable[..., Any] = original, _n: str = name, **kw: Any
            ) -> Any:
                log(f"{_n} started")
                t = time.perf_counter()
                out = _f(*args, **kw)
                row = {"stage": _n, "seconds": round(time.perf_counter() - t, 1)}
                row["peak_rss_gib"] = peak_rss_gib()
                record.append(row)
                log(f"{_n} done in {row['seconds']} s, peak RSS {row['peak_rss_gib']} GiB")
                return out

            setattr(module, name, wrapper)


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
    parser.add_argument("--shape", choices=sorted(SHAPES), help="preset --users/--movies/--ratings")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--artifact", help="save the model under this folder and record its size")
    parser.add_argument(
        "--no-refit",
        action="store_true",
        help="serve the rating model and the one ranker fitted on the fit part (refit=False, as "
        "the quick preset): one MF fit and one ranker fit instead of two each",
    )
    parser.add_argument(
        "--write-ratings",
        metavar="FILE",
        help="write the generated ratings to FILE (.csv) and stop, for `python -m ml.train "
        "--ratings FILE` (one process, or under torchrun --distributed)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any other TrainConfig field (repeatable), e.g. --set ease_max_pairs=750000000",
    )
    args = parser.parse_args()
    overrides = {}
    for item in args.set:
        name, _, raw = item.partition("=")
        overrides[name] = TrainConfig.parse_value(name, raw)
    for key, value in SHAPES.get(args.shape or "", {}).items():
        setattr(args, key, value)
    torch.set_num_threads(args.threads)
    stages: list[dict[str, Any]] = []
    timed_stages(stages)
    t0 = time.perf_counter()
    frame = synthetic(n_users=args.users, n_movies=args.movies, n_ratings=args.ratings)
    gen_s = time.perf_counter() - t0
    log(f"generated {len(frame):,} ratings in {gen_s:.1f}s, peak RSS {peak_rss_gib()} GiB")
    if args.write_ratings:
        frame.to_csv(args.write_ratings, index=False)
        log(f"wrote {args.write_ratings}: {Path(args.write_ratings).stat().st_size / 2**20:.0f} MB")
        return
    config = TrainConfig(
        batch_size=args.batch_size,
        epochs=args.epochs,
        patience=3,
        refit=not args.no_refit,
        progress=True,
        **overrides,
    )
    result = train(frame, config)
    log(f"trained in {result.train_seconds:.1f} s")
    artifact_mb = None
    if args.artifact:
        Path(args.artifact).mkdir(parents=True, exist_ok=True)
        path = save_artifact(
            Path(tempfile.mkdtemp(dir=args.artifact)), result=result, curve=False, command=[]
        )
        artifact_mb = round(sum(f.stat().st_size for f in path.iterdir()) / 2**20, 1)
        log(f"artifact {path}: {artifact_mb} MB")
        rec = Recommender.load(path)  # served as workers serve it: mapped
    else:
        rec = Recommender.from_result(result)
    configure_threads(1)
    # 20 users with about 100 ratings (the quality bench's latency probe), 200 calls.
    sizes = frame.groupby("userId").size()
    chosen = (sizes - 100).abs().sort_values().index[:20]
    histories = [
        dict(zip(g.movieId.astype(int), g.rating.astype(float), strict=True))
        for _, g in frame[frame.userId.isin(chosen)].groupby("userId")
    ]
    times = []
    for i in range(220):
        t = time.perf_counter()
        rec.recommend(ratings=histories[i % len(histories)], k=20)
        times.append(time.perf_counter() - t)
    times = sorted(times[20:])
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
        "peak_rss_gib": peak_rss_gib(),
        "stages": stages,
        "artifact_mb": artifact_mb,
        "recommend_k20_ms": {
            "p50": round(1000 * times[len(times) // 2], 2),
            "p95": round(1000 * times[int(len(times) * 0.95)], 2),
            "mean_history": sum(len(h) for h in histories) / len(histories),
        },
        "load_average_at_end": os.getloadavg(),
        "config": config.__dict__,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps(report, indent=2, default=float) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "history"}, indent=2, default=float))


if __name__ == "__main__":
    main()
