"""Serving object: loaded once per web process, read-only afterwards (thread-safe for reads)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ml.artifacts import load_artifact
from ml.data import IdMap
from ml.model import EASE, MatrixFactorization
from ml.sparse_ease import SparseEASE
from ml.types import TrainResult

MIN_STARS, MAX_STARS = 0.5, 5.0


def configure_threads(n: int = 1) -> None:
    """Limit torch's intra-op threads (call once at process start, e.g. in a web worker)."""
    torch.set_num_threads(n)


class Recommender:
    def __init__(
        self,
        *,
        model: MatrixFactorization,
        ranker: EASE | SparseEASE,
        users: IdMap,
        movies: IdMap,
        item_counts: torch.Tensor,
        manifest: dict[str, Any],
    ) -> None:
        self.model = model.eval()
        self.ranker = ranker.eval()
        self.manifest = manifest
        self.version: str = str(manifest.get("version", "unsaved"))
        self._users = users
        self._movie_ids = movies.ids.copy()
        self._movie_index = {int(m): i for i, m in enumerate(self._movie_ids.tolist())}
        self._counts = item_counts.to(torch.long)
        with torch.inference_mode():
            self._item_unit = F.normalize(model.item_factors.detach().clone(), dim=1)
            self._popularity = self._counts.to(torch.float32) + 0.0

    @classmethod
    def load(cls, artifact_dir: str | Path) -> Recommender:
        art = load_artifact(Path(artifact_dir))
        return cls(
            model=art.model,
            ranker=art.ranker,
            users=art.users,
            movies=art.movies,
            item_counts=art.item_counts,
            manifest=art.manifest,
        )

    @classmethod
    def from_result(
        cls, result: TrainResult, manifest: dict[str, Any] | None = None
    ) -> Recommender:
        return cls(
            model=result.model,
            ranker=result.ranker,
            users=result.users,
            movies=result.movies,
            item_counts=result.item_counts,
            manifest=manifest or {"version": "unsaved"},
        )

    def knows_movie(self, movie_id: int) -> bool:
        return int(movie_id) in self._movie_index

    def knows_user(self, user_id: int) -> bool:
        return int(user_id) in self._users

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
        ratings: Mapping[int, float],
        k: int = 20,
        exclude: Collection[int] = (),
        user_id: int | None = None,
    ) -> list[tuple[int, float]]:
        """Top-k (movie id, score), best first; never a movie in `ratings` or `exclude`.

        Scores come from the ranking model folded in from `ratings` (the rated set); `user_id` is
        accepted for interface stability but the list depends only on the current ratings.
        """
        with torch.inference_mode():
            items, stars = self._encode(ratings)
            if len(items):
                scores = self.ranker.score(items)
                blend = float(self.ranker.blend)
                if blend:
                    bias, vec = self.model.fold_in(items, stars)
                    scores += blend * self.model.predict_items(bias, vec)
            else:
                scores = self._popularity.clone()
            scores[items] = float("-inf")
            blocked = [self._movie_index[m] for m in map(int, exclude) if m in self._movie_index]
            if blocked:
                scores[torch.tensor(blocked, dtype=torch.long)] = float("-inf")
            n = min(k, len(scores))
            if n <= 0:
                return []
            top = torch.topk(scores, n)
            values, indices = top.values.tolist(), top.indices.tolist()
        return [
            (int(self._movie_ids[i]), float(v))
            for i, v in zip(indices, values, strict=True)
            if v != float("-inf")
        ]

    def predict(
        self,
        *,
        ratings: Mapping[int, float],
        movie_ids: Sequence[int],
        user_id: int | None = None,
    ) -> list[float]:
        """Predicted stars in [0.5, 5.0]; unknown movies get the baseline (mu + b_u)."""
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

    def similar(self, movie_id: int, *, k: int = 10, min_support: int = 5) -> list[int]:
        """Nearest movies by item-embedding cosine, never itself; [] for unknown or thinly rated
        movies. (bench/ml/similar.py compares this with `similar_by_neighbours`; switch the
        served list only on its measured result.)"""
        return self.similar_by_embedding(movie_id, k=k, min_support=min_support)

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
