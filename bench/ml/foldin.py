"""Fold-in + top-20 on a saved artifact, and how far the served list is from the exact blend.

    PYTHONPATH=. python bench/ml/foldin.py --artifact DIR [--row-cap 2000] [--calls 400]

Histories are drawn as bench/ml/scale.py draws its ratings: 20 users, 100 movies each, movies by
a Zipf(0.9) popularity over the artifact's catalogue, stars uniform in 0.5-5. Each
`Recommender.recommend(k=20)` is timed on one torch thread (p50/p95 of `--calls` after 20
warm-up calls), and its list is compared with the exact blend (ranker score of every movie plus
`blend` x its predicted stars, from the rows as saved). `--row-cap` rebuilds the scoring rows
with that cap first (what training with `TrainConfig.ease_row_cap` stores: the rows derive from
the saved neighbour weights alone), for artifacts saved before the cap.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from ml.recommender import Recommender, configure_threads
from ml.sparse_ease import SparseEASE


def histories(rec: Recommender, users: int = 20, size: int = 100) -> list[dict[int, float]]:
    ids = np.asarray(rec.movie_ids)
    n = len(ids)
    rng = np.random.default_rng(0)
    p = 1.0 / np.arange(1, n + 1) ** 0.9
    p = p[np.random.default_rng(0).permutation(n)]
    p /= p.sum()
    return [
        {int(ids[m]): float(rng.integers(1, 11)) / 2 for m in rng.choice(n, size, False, p=p)}
        for _ in range(users)
    ]


def exact_top(rec: Recommender, ratings: dict[int, float], k: int) -> list[int]:
    items, stars = rec._encode(ratings)
    with torch.inference_mode():
        scores = rec.ranker.score(items)
        bias, vec = rec.model.fold_in(items, stars)
        scores = scores + float(rec.ranker.blend) * rec.model.predict_items(bias, vec)
        scores[items] = float("-inf")
        return [int(rec._movie_ids[i]) for i in torch.topk(scores, k).indices.tolist()]


def timed(rec: Recommender, hist: list[dict[int, float]], calls: int) -> dict[str, float]:
    times = []
    for i in range(calls + 20):
        started = time.perf_counter()
        rec.recommend(ratings=hist[i % len(hist)], k=20)
        times.append(time.perf_counter() - started)
    times = sorted(times[20:])
    return {
        "p50_ms": round(1000 * times[len(times) // 2], 2),
        "p95_ms": round(1000 * times[int(len(times) * 0.95)], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--artifact", type=Path, required=True)
    parser.add_argument("--row-cap", type=int, default=0, help="rebuild the rows with this cap")
    parser.add_argument("--calls", type=int, default=400)
    args = parser.parse_args()
    configure_threads(1)
    rec = Recommender.load(args.artifact)
    assert isinstance(rec.ranker, SparseEASE), "the sparse ranker's rows are what is measured"
    hist = histories(rec)
    exact = [exact_top(rec, h, 20) for h in hist]
    if args.row_cap:
        rec.ranker._build_rows(args.row_cap)
    lengths = rec.ranker.row_ptr[1:] - rec.ranker.row_ptr[:-1]
    served = [[m for m, _ in rec.recommend(ratings=h, k=20)] for h in hist]
    agreement = np.mean([len(set(a) & set(b)) / 20 for a, b in zip(exact, served, strict=True)])
    out = {
        "movies": len(rec.movie_ids),
        "row_cap": args.row_cap,
        "row_entries": int(rec.ranker.row_targets.numel()),
        "longest_row": int(lengths.max()),
        "top20_agreement_with_exact_blend": round(float(agreement), 4),
        "recommend_k20": timed(rec, hist, args.calls),
        "load_average": Path("/proc/loadavg").read_text().split()[:3],
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
