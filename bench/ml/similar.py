"""Offline measure of the similar-movies list: does it name what a movie's fans go on to like?

For each of the `--movies` most-rated training movies m: its fans are the users who rated m >= 4
in the training part; a fan is hit when at least one of m's 10 listed movies is among the movies
they rated >= 4 in the test part. Hit rate@10 = hit fans / fans with any such test movie, averaged
over the movies. Lists compared (all 10 movies, never m, movies with >= 5 training ratings):

- MF cosine: nearest item embeddings of the rating model (the list served before);
- ranking-model neighbours: the sparse EASE weights B[j, m] (`Recommender.item_neighbours`);
- co-rating: the movies most often rated >= 4 by m's fans in the training part;
- neighbours + cosine fill: `Recommender.similar_by_neighbours`;
- served (`Recommender.similar`): the co-liked lists the ranking model stores at training time
  (movies most often rated >= 4 by the movie's fans), cosine fill.

Writes bench/out/ml/similar.json. Titles of a few examples come from the MovieLens movies.csv.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from ml.data import load_ratings
from ml.recommender import Recommender
from ml.train import TrainConfig, train

# The shared data sits next to the checkout (../shared/data); --splits-dir overrides the splits.
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SPLITS = SHARED / "splits" / "ml-latest-small"
MOVIES_CSV = SHARED / "ml-latest-small" / "movies.csv"
MIN_SUPPORT = 5
K = 10


def co_rating_lists(train_df: pd.DataFrame, movies: list[int], k: int) -> dict[int, list[int]]:
    liked = train_df[train_df.rating >= 4.0]
    counts = train_df.movieId.value_counts()
    eligible = set(counts[counts >= MIN_SUPPORT].index.astype(int))
    by_user = liked.groupby("userId")["movieId"].apply(list)
    out = {}
    for m in movies:
        fans = liked.loc[liked.movieId == m, "userId"].to_numpy()
        pool = pd.Series(np.concatenate([by_user[f] for f in fans])).value_counts()
        out[m] = [int(j) for j in pool.index if int(j) != m and int(j) in eligible][:k]
    return out


def hit_rate(
    lists: dict[int, list[int]], train_df: pd.DataFrame, test_df: pd.DataFrame
) -> dict[str, float]:
    liked_train = train_df[train_df.rating >= 4.0]
    liked_test = test_df[test_df.rating >= 4.0].groupby("userId")["movieId"].apply(set)
    rates, sizes = [], []
    for m, listed in lists.items():
        assert len(listed) == K, (m, listed)
        assert m not in listed, (m, listed)
        fans = [f for f in liked_train.loc[liked_train.movieId == m, "userId"] if f in liked_test]
        if not fans:
            continue
        shown = set(listed)
        rates.append(np.mean([bool(shown & liked_test[f]) for f in fans]))
        sizes.append(len(fans))
    return {"hit_rate@10": float(np.mean(rates)), "movies": len(rates), "fans": int(sum(sizes))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", nargs="+", default=["random-seed42", "temporal-last20pct"])
    parser.add_argument("--movies", type=int, default=100)
    parser.add_argument("--splits-dir", type=Path, default=SPLITS, help="<split>/train.csv.gz ...")
    parser.add_argument("--out", default="bench/out/ml")
    args = parser.parse_args()
    torch.set_num_threads(1)
    titles = (
        pd.read_csv(MOVIES_CSV).set_index("movieId")["title"].to_dict()
        if MOVIES_CSV.exists()
        else {}
    )
    report: dict[str, Any] = {"load_average_at_start": os.getloadavg(), "splits": {}}
    for split in args.splits:
        train_df = load_ratings(args.splits_dir / split / "train.csv.gz")
        test_df = load_ratings(args.splits_dir / split / "test.csv.gz")
        rec = Recommender.from_result(train(train_df, TrainConfig()))
        top = [int(m) for m in train_df.movieId.value_counts().index[: args.movies]]

        lists_by_name: dict[str, dict[int, list[int]]] = {
            "MF cosine (before)": {
                m: rec.similar_by_embedding(m, k=K, min_support=MIN_SUPPORT) for m in top
            },
            "sparse EASE neighbours": {
                m: _support([j for j, _ in rec.item_neighbours(m, k=3 * K)], train_df)[:K]
                for m in top
            },
            "neighbours + cosine fill (Recommender.similar_by_neighbours)": {
                m: rec.similar_by_neighbours(m, k=K, min_support=MIN_SUPPORT) for m in top
            },
        }
        lists_by_name["served: stored co-liked lists (Recommender.similar)"] = {
            m: rec.similar(m, K, min_support=MIN_SUPPORT) for m in top
        }
        rows: dict[str, Any] = {}
        rows["load_average"] = list(os.getloadavg())
        lists_by_name["co-rating (fans' >= 4 counts)"] = co_rating_lists(train_df, top, K)
        for name, lists in lists_by_name.items():
            rows[name] = hit_rate(lists, train_df, test_df)
        examples = {}
        for m in (260, 1, 2571):
            if m in top:
                examples[titles.get(m, str(m))] = {
                    name: [titles.get(j, str(j)) for j in lists[m]]
                    for name, lists in lists_by_name.items()
                }
        report["splits"][split] = {"rows": rows, "examples": examples}
        print(split, json.dumps(rows, indent=1))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "similar.json").write_text(json.dumps(report, indent=2) + "\n")


def _support(movie_ids: list[int], train_df: pd.DataFrame) -> list[int]:
    counts = train_df.movieId.value_counts()
    return [m for m in movie_ids if counts.get(m, 0) >= MIN_SUPPORT]


if __name__ == "__main__":
    main()
