"""The serving object and the Python API: `Recommender.load(path)`, `recommend`, `predict`,
`similar`. Loaded once per web process, read-only afterwards (thread-safe for reads).

    from ml.recommender import Recommender
    rec = Recommender.load("var/models")          # the deployed artifact (CURRENT), or a folder
    rec.recommend(ratings={1: 5.0, 260: 4.5}, k=10)   # [(movie id, score), ...], best first
    rec.predict(ratings={1: 5.0}, movie_ids=[2571])   # predicted stars
    rec.similar(1, 5)                                 # movie ids
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from ml.artifacts import load_artifact
from ml.data import IdMap
from ml.deployment import POINTER, deployed_version
from ml.model import EASE, MatrixFactorization
from ml.sparse_ease import SparseEASE
from ml.types import TrainResult

MIN_STARS, MAX_STARS = 0.5, 5.0
# `recommend` blends the predicted stars into the ranker's best this many movies only: over a
# 87k catalogue the stars of every movie were a third of a fold-in's cost, and at the 32M shape
# the blended top 20 came out of the ranker's top 200 in every probe (bench/ml/RESULTS.md).
BLEND_CANDIDATES = 500
Ratings: TypeAlias = Mapping[int, float] | pd.DataFrame | Sequence[tuple[int, float]]


def configure_threads(n: int = 1) -> None:
    """Limit torch's intra-op threads (call once at process start, e.g. in a web worker)."""
    torch.set_num_threads(n)


def as_ratings(ratings: Ratings) -> dict[int, float]:
    """{movie id: stars} from a mapping, (movie id, stars) pairs, or a DataFrame with movieId and
    rating columns. ValueError for stars that are not finite numbers."""
    pairs: Iterator[tuple[Any, Any]]
    if isinstance(ratings, pd.DataFrame):
        missing = {"movieId", "rating"} - set(ratings.columns)
        if missing:
            raise ValueError(f"ratings DataFrame lacks columns {sorted(missing)}")
        pairs = zip(ratings["movieId"].tolist(), ratings["rating"].tolist(), strict=True)
    elif isinstance(ratings, Mapping):
        pairs = iter(ratings.items())
    else:
        pairs = iter(ratings)
    out: dict[int, float] = {}
    for movie_id, stars in pairs:
        value = float(stars)
        if not np.isfinite(value):
            raise ValueError(f"rating of movie {movie_id} is not a finite number: {stars!r}")
        out[int(movie_id)] = value
    return out


class Recommender:
    """A trained recommender: ranked lists, predicted stars and similar movies for any user,
    folded in from their ratings (no user is stored in the model).

    Build one with `Recommender.load(path)` or `Recommender.from_result(ml.train.train(...))`.
    `version` names the artifact; `manifest` is its manifest.json.
    """

    def __init__(
        self,
        *,
        model: MatrixFactorization,
        ranker: EASE | SparseEASE,
        movies: IdMap,
        item_counts: torch.Tensor,
        manifest: dict[str, Any],
        users: IdMap | None = None,  # ignored: kept for callers of the older signature
    ) -> None:
        self.model = model.eval()
        self.ranker = ranker.eval()
        self.manifest = manifest
        self.version: str = str(manifest.get("version", "unsaved"))
        self._movie_ids = movies.ids.copy()
        self._movie_index = {int(m): i for i, m in enumerate(self._movie_ids.tolist())}
        self._counts = item_counts.to(torch.long)
        with torch.inference_mode():
            self._item_unit = F.normalize(model.item_factors.detach().clone(), dim=1)
            self._popularity = self._counts.to(torch.float32) + 0.0

    @classmethod
    def load(cls, path: str | Path) -> Recommender:
        """From an artifact folder (with manifest.json), or from a models folder: the artifact
        its CURRENT pointer names. FileNotFoundError, saying which, otherwise."""
        root = Path(path)
        if not (root / "manifest.json").is_file():
            if (root / POINTER).is_file():
                version = deployed_version(root)
                if version is None:
                    raise FileNotFoundError(f"{root / POINTER} names no artifact folder in {root}")
                root = root / version
            else:
                raise FileNotFoundError(
                    f"{root} is neither an artifact folder (no manifest.json) nor a models "
                    f"folder (no {POINTER} pointer)"
                )
        art = load_artifact(root)
        return cls(
            model=art.model,
            ranker=art.ranker,
            movies=art.movies,
            item_counts=art.item_counts,
            manifest=art.manifest,
        )

    @classmethod
    def from_result(
        cls, result: TrainResult, manifest: dict[str, Any] | None = None
    ) -> Recommender:
        """The recommender of a training result, without saving it (version "unsaved")."""
        return cls(
            model=result.model,
            ranker=result.ranker,
            movies=result.movies,
            item_counts=result.item_counts,
            manifest=manifest or {"version": "unsaved"},
        )

    @property
    def movie_ids(self) -> list[int]:
        """The movies the model knows, ascending."""
        return [int(m) for m in self._movie_ids.tolist()]

    def knows_movie(self, movie_id: int) -> bool:
        """Whether the model was trained on ratings of this movie."""
        return int(movie_id) in self._movie_index

    def _encode(self, ratings: Mapping[int, float]) -> tuple[torch.Tensor, torch.Tensor]:
        idx, stars = [], []
        for movie_id, value in ratings.items():
            i = self._movie_index.get(int(movie_id))
            if i is not None:
                idx.append(i)
                stars.append(float(value))
        return torch.tensor(idx, dtype=torch.long), torch.tensor(stars, dtype=torch.float32)

    def recommend(
        self,
        *,
        ratings: Ratings,
        k: int = 20,
        exclude: Collection[int] = (),
        user_id: int | None = None,
    ) -> list[tuple[int, float]]:
        """Top-k (movie id, score), best first; never a movie in `ratings` or `exclude`.

        `ratings`: the user's {movie id: stars} (or pairs, or a DataFrame; see `as_ratings`);
        empty gives the most-rated movies. Scores come from the ranking model folded in from
        `ratings`; `user_id` is accepted for interface stability but the list depends only on
        the ratings.
        """
        ratings = as_ratings(ratings)
        with torch.inference_mode():
            items, stars = self._encode(ratings)
            scores = self.ranker.score(items) if len(items) else self._popularity.clone()
            scores[items] = float("-inf")
            blocked = [self._movie_index[m] for m in map(int, exclude) if m in self._movie_index]
            if blocked:
                scores[torch.tensor(blocked, dtype=torch.long)] = float("-inf")
            n = min(k, len(scores))
            if n <= 0:
                return []
            # The ranker's best BLEND_CANDIDATES, re-ranked with `blend` x the predicted stars.
            candidates = torch.topk(scores, min(max(n, BLEND_CANDIDATES), len(scores))).indices
            blended = scores[candidates]
            blend = float(self.ranker.blend)
            if blend and len(items):
                bias, vec = self.model.fold_in(items, stars)
                blended += blend * self.model.predict_items(bias, vec, candidates)
            top = torch.topk(blended, n)
            values, indices = top.values.tolist(), candidates[top.indices].tolist()
        return [
            (int(self._movie_ids[i]), float(v))
            for i, v in zip(indices, values, strict=True)
            if v != float("-inf")
        ]

    def predict(
        self,
        *,
        ratings: Ratings,
        movie_ids: Sequence[int],
        user_id: int | None = None,
    ) -> list[float]:
        """Predicted stars in [0.5, 5.0] for `movie_ids`, in order, for a user with `ratings`;
        unknown movies get the baseline (mu + b_u)."""
        ratings = as_ratings(ratings)
        with torch.inference_mode():
            items, stars = self._encode(ratings)
            bias, vec = self.model.fold_in(items, stars)
            idx = np.array([self._movie_index.get(int(m), -1) for m in movie_ids], dtype=np.int64)
            known = torch.from_numpy(idx >= 0)
            out = torch.full((len(idx),), float(self.model.global_mean + bias))
            if bool(known.any()):
                wanted = torch.from_numpy(idx)[known]
                out[known] = self.model.predict_items(bias, vec, wanted)
                if len(items) and float(self.ranker.alpha):
                    residuals = stars - self.model.predict_items(bias, vec, items)
                    out[known] += self.ranker.correction(items, residuals, wanted)
            return out.clamp(MIN_STARS, MAX_STARS).tolist()

    def similar(self, movie_id: int, k: int = 10, *, min_support: int = 5) -> list[int]:
        """Up to k movies like `movie_id`, never itself; [] for unknown or thinly rated movies.

        The movies most often liked (>= 4 stars) by the users who liked it, stored by the ranking
        model at training time; item-embedding cosine fills the list (and serves models without
        that list: dense EASE, older artifacts). Chosen by bench/ml/similar.py: on the 100
        most-rated movies its hit rate@10 against what their fans liked next beats the ranking
        model's neighbours and the embedding cosine (bench/ml/RESULTS.md)."""
        i = self._movie_index.get(int(movie_id))
        if i is None or int(self._counts[i]) < min_support:
            return []
        co_liked = getattr(self.ranker, "co_liked_items", None)
        picked = [
            j for j in (co_liked(i) if co_liked else []) if int(self._counts[j]) >= min_support
        ][:k]
        if len(picked) < k:
            taken = set(picked)
            picked += [j for j in self._cosine(i, k + len(picked), min_support) if j not in taken]
        return [int(self._movie_ids[j]) for j in picked[:k]]

    def similar_by_neighbours(
        self, movie_id: int, *, k: int = 10, min_support: int = 5
    ) -> list[int]:
        """Up to k movies like `movie_id`, never itself: the ranking model's neighbours (the
        movies whose ratings best predict this one), then item-embedding cosine to fill the list.
        [] for unknown or thinly rated movies."""
        i = self._movie_index.get(int(movie_id))
        if i is None or int(self._counts[i]) < min_support:
            return []
        picked = [
            j for j, _ in self.ranker.item_neighbours(i, k) if int(self._counts[j]) >= min_support
        ]
        if len(picked) < k:
            taken = set(picked)
            picked += [j for j in self._cosine(i, k + len(picked), min_support) if j not in taken]
        return [int(self._movie_ids[j]) for j in picked[:k]]

    def similar_by_embedding(
        self, movie_id: int, *, k: int = 10, min_support: int = 5
    ) -> list[int]:
        """Nearest movies by rating-model item-embedding cosine (the former `similar`)."""
        i = self._movie_index.get(int(movie_id))
        if i is None or int(self._counts[i]) < min_support:
            return []
        return [int(self._movie_ids[j]) for j in self._cosine(i, k, min_support)]

    def _cosine(self, i: int, k: int, min_support: int) -> list[int]:
        with torch.inference_mode():
            sims = self._item_unit @ self._item_unit[i]
            sims[self._counts < min_support] = float("-inf")
            sims[i] = float("-inf")
            n = min(k, int((sims > float("-inf")).sum()))
            if n <= 0:
                return []
            return torch.topk(sims, n).indices.tolist()

    def item_neighbours(self, movie_id: int, *, k: int = 10) -> list[tuple[int, float]]:
        """(movie id, weight) of the movies whose ratings raise `movie_id`'s ranking score the
        most, largest first, never itself; [] for movies outside the ranking model."""
        i = self._movie_index.get(int(movie_id))
        if i is None:
            return []
        with torch.inference_mode():
            return [(int(self._movie_ids[j]), w) for j, w in self.ranker.item_neighbours(i, k)]

    def contributions(self, *, ratings: Mapping[int, float], movie_id: int) -> dict[int, float]:
        """Each rated movie's term in `movie_id`'s ranking score (the ranker part of
        `recommend`'s score: x_u B; the terms sum to it). Rated movies that do not bear on it are
        left out; {} for an unknown movie. For "because you liked ..." reasons."""
        target = self._movie_index.get(int(movie_id))
        items, _ = self._encode(ratings)
        if target is None or len(items) == 0:
            return {}
        with torch.inference_mode():
            terms = self.ranker.contributions(items, target).tolist()
        return {
            int(self._movie_ids[j]): t
            for j, t in zip(items.tolist(), terms, strict=True)
            if t != 0.0
        }
