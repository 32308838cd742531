"""Rating loaders, id maps and deterministic splits. Columns: userId, movieId, rating, timestamp."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = ["userId", "movieId", "rating", "timestamp"]


def load_ratings(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Ratings from a DataFrame, a MovieLens folder, a `.dat` (ml-1m `::`) or a CSV(.gz) file."""
    if isinstance(source, pd.DataFrame):
        frame = source
    else:
        path = Path(source)
        if path.is_dir():
            for name in ("ratings.csv", "ratings.csv.gz", "ratings.dat"):
                if (path / name).exists():
                    return load_ratings(path / name)
            raise FileNotFoundError(f"no ratings.csv or ratings.dat in {path}")
        if path.suffix == ".dat":
            frame = pd.read_csv(path, sep="::", engine="python", names=COLUMNS, encoding="latin-1")
        else:
            frame = pd.read_csv(path)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if "timestamp" in missing:
        frame = frame.assign(timestamp=0)
        missing.remove("timestamp")
    if missing:
        raise ValueError(f"ratings lack columns {missing}")
    out = pd.DataFrame(
        {
            "userId": frame["userId"].to_numpy(np.int64),
            "movieId": frame["movieId"].to_numpy(np.int64),
            "rating": frame["rating"].to_numpy(np.float32),
            "timestamp": frame["timestamp"].to_numpy(np.int64),
        }
    )
    return out


class IdMap:
    """External id <-> dense index. Indices follow the sorted order of the ids."""

    def __init__(self, ids: Iterable[int]) -> None:
        self.ids = np.unique(np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids))
        self.ids = self.ids.astype(np.int64)
        self._index = {int(x): i for i, x in enumerate(self.ids.tolist())}

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, external_id: object) -> bool:
        return external_id in self._index

    def get(self, external_id: int) -> int | None:
        return self._index.get(int(external_id))

    def to_index(self, external_ids: np.ndarray | pd.Series) -> np.ndarray:
        """Vectorised mapping; ids not in the map give -1."""
        values = np.asarray(external_ids, dtype=np.int64)
        pos = np.searchsorted(self.ids, values)
        pos = np.clip(pos, 0, max(len(self.ids) - 1, 0))
        found = (self.ids[pos] == values) if len(self.ids) else np.zeros(len(values), bool)
        return np.where(found, pos, -1)

    def to_id(self, index: np.ndarray | int) -> np.ndarray | int:
        return self.ids[index]

    def to_json(self) -> list[int]:
        return [int(x) for x in self.ids]

    @classmethod
    def from_json(cls, data: list[int]) -> IdMap:
        return cls(np.asarray(data, dtype=np.int64))


def split_random(
    ratings: pd.DataFrame, *, test_fraction: float = 0.1, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    mask = rng.random(len(ratings)) < test_fraction
    return ratings[~mask].reset_index(drop=True), ratings[mask].reset_index(drop=True)


def split_chrono(
    ratings: pd.DataFrame, *, test_fraction: float = 0.2
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per user, the latest `test_fraction` of their ratings (by timestamp, ties by movieId)."""
    ordered = ratings.sort_values(["userId", "timestamp", "movieId"], kind="stable")
    rank = ordered.groupby("userId").cumcount().to_numpy()
    size = ordered.groupby("userId")["movieId"].transform("size").to_numpy()
    n_test = np.floor(size * test_fraction).astype(np.int64)
    mask = rank >= size - n_test
    return ordered[~mask].reset_index(drop=True), ordered[mask].reset_index(drop=True)
