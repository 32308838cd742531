"""Rating loaders, id maps and deterministic splits. Columns: userId, movieId, rating, timestamp."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

COLUMNS = ["userId", "movieId", "rating", "timestamp"]
# Names accepted for each column (in a CSV header or in Reader.columns).
ALIASES = {
    "userId": ("userid", "user", "user_id", "uid"),
    "movieId": ("movieid", "movie", "movie_id", "item", "item_id", "iid"),
    "rating": ("rating", "stars", "value", "r"),
    "timestamp": ("timestamp", "time", "ts"),
}
# Files a MovieLens folder may hold, in order of preference.
FOLDER_FILES = ("ratings.csv", "ratings.csv.gz", "ratings.dat", "u.data")
PAIR_SAMPLE_EVERY = 64  # manifests keep 1 in 64 hashed (user, movie) pairs, for overlap checks


class RatingsError(ValueError):
    """Ratings that cannot be trained or evaluated on; the message is one line for the user."""


@dataclass(frozen=True)
class Reader:
    """How to read a ratings file, in the spirit of Surprise's `Reader`.

    `sep`: field separator (None: by file name: `::` for `.dat`, a tab for `u.data`, `.data` and
    `.tsv`, else a comma). `columns`: the fields of each line in file order, named as in
    `ALIASES` (`user item rating [timestamp]`; `-` skips a field); None reads a header line
    (CSV) or the MovieLens order (`.dat`, `u.data`). `rating_scale`: (lowest, highest) allowed
    star value. `skip_lines`: lines to skip before the data. `duplicates`: "error" refuses a
    (user, movie) pair rated twice, "last" keeps the latest rating of each pair.
    """

    sep: str | None = None
    columns: tuple[str, ...] | None = None
    rating_scale: tuple[float, float] = (0.5, 5.0)
    skip_lines: int = 0
    duplicates: str = "error"

    def __post_init__(self) -> None:
        low, high = self.rating_scale
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise RatingsError(f"rating scale {low}..{high}: expected LOW < HIGH, both finite")
        if self.duplicates not in ("error", "last"):
            raise RatingsError(f"duplicates={self.duplicates!r}: expected 'error' or 'last'")
        if self.skip_lines < 0:
            raise RatingsError("skip_lines must be >= 0")
        if self.sep == "":
            raise RatingsError("the separator must not be empty")
        if self.columns is not None:
            names = [_canonical(c) for c in self.columns if c != "-"]
            for needed in ("userId", "movieId", "rating"):
                if needed not in names:
                    raise RatingsError(f"columns {' '.join(self.columns)!r} lack {needed}")
            if len(set(names)) != len(names):
                raise RatingsError(f"columns {' '.join(self.columns)!r} name a field twice")

    @classmethod
    def from_options(
        cls,
        *,
        sep: str | None = None,
        columns: str | None = None,
        rating_scale: str | None = None,
        skip_lines: int = 0,
        duplicates: str = "error",
    ) -> Reader:
        """From command-line text: `--columns "user item rating timestamp"` (spaces or commas),
        `--rating-scale 1-5` (or `1,5`, `1:5`), `--sep '\\t'` for a tab."""
        cols = None
        if columns:
            cols = tuple(c for c in columns.replace(",", " ").split() if c)
        scale = (0.5, 5.0)
        if rating_scale:
            text = rating_scale.strip()
            parts = None
            for mark in (":", ",", ".."):
                if mark in text:
                    parts = text.split(mark)
                    break
            if parts is None and "-" in text[1:]:
                cut = text.index("-", 1)
                parts = [text[:cut], text[cut + 1 :]]
            try:
                low, high = (float(x) for x in (parts or []))
            except ValueError:
                raise RatingsError(
                    f"--rating-scale {rating_scale!r}: expected LOW-HIGH, e.g. 0.5-5"
                ) from None
            scale = (low, high)
        if sep is not None:
            sep = {"\\t": "\t", "tab": "\t", "\\s+": "\\s+"}.get(sep, sep)
        return cls(
            sep=sep,
            columns=cols,
            rating_scale=scale,
            skip_lines=skip_lines,
            duplicates=duplicates,
        )


def _canonical(name: str) -> str:
    low = str(name).strip().lower()
    for column, aliases in ALIASES.items():
        if low in aliases:
            return column
    return str(name)


def _read_file(path: Path, reader: Reader) -> pd.DataFrame:
    name = path.name.lower()
    plain = name[:-3] if name.endswith(".gz") else name
    headerless = plain.endswith((".dat", ".data", ".tsv")) or plain == "u.data"
    sep = reader.sep
    if sep is None:
        sep = "::" if plain.endswith(".dat") else "\t" if headerless else ","
    columns = reader.columns
    if columns is None and headerless:
        columns = ("user", "item", "rating", "timestamp")
    options: dict[str, Any] = {"sep": sep, "skiprows": reader.skip_lines}
    if len(sep) > 1 and sep != "\\s+":
        options["engine"] = "python"
    if headerless or reader.columns is not None:
        options["encoding"] = "latin-1"
    if columns is not None:
        options["header"] = None
        options["names"] = [c if c != "-" else f"_skip{i}" for i, c in enumerate(columns)]
    try:
        frame = pd.read_csv(path, **options)
    except pd.errors.EmptyDataError:
        raise RatingsError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RatingsError(f"{path}: cannot parse ({first})") from None
    return frame


def load_ratings(
    source: str | Path | pd.DataFrame, *, reader: Reader | None = None
) -> pd.DataFrame:
    """Validated ratings with the columns userId, movieId (int64), rating (float32) and
    timestamp (int64; 0 when the source has none).

    `source` is a DataFrame, a MovieLens folder (`ratings.csv(.gz)`, `ratings.dat` or `u.data`),
    or a file read as `reader` says (CSV with a header by default). Raises `RatingsError` with
    one line naming the problem for empty input, missing columns, missing or non-numeric values,
    fractional ids, ratings outside the scale, and (user, movie) pairs rated twice.
    """
    reader = reader or Reader()
    label = "ratings"
    if isinstance(source, pd.DataFrame):
        frame = source
    else:
        path = Path(source)
        label = str(path)
        if path.is_dir():
            for name in FOLDER_FILES:
                if (path / name).exists():
                    return load_ratings(path / name, reader=reader)
            raise RatingsError(f"no {', '.join(FOLDER_FILES)} in {path}")
        if not path.exists():
            raise RatingsError(f"{path}: no such file")
        frame = _read_file(path, reader)
    return validate_ratings(frame, reader=reader, label=label)


def validate_ratings(
    frame: pd.DataFrame, *, reader: Reader | None = None, label: str = "ratings"
) -> pd.DataFrame:
    """`frame` checked and normalised to the four columns (see `load_ratings`)."""
    reader = reader or Reader()
    frame = frame.rename(columns={c: _canonical(c) for c in frame.columns})
    missing = [c for c in COLUMNS[:3] if c not in frame.columns]
    if missing:
        raise RatingsError(
            f"{label}: no column {', '.join(missing)} "
            f"(columns: {', '.join(map(str, frame.columns))})"
        )
    if len(frame) == 0:
        raise RatingsError(f"{label}: no ratings (only a header, or nothing)")
    if "timestamp" not in frame.columns:
        frame = frame.assign(timestamp=0)
    out: dict[str, np.ndarray] = {}
    for column in COLUMNS:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            raise RatingsError(
                f"{label}: {int(bad.sum())} rows with a missing or non-numeric {column} "
                f"(first: row {row + 1}, value {frame[column].iloc[row]})"
            )
        if column != "rating":
            if (values != np.round(values)).any() or (np.abs(values) >= 2**62).any():
                row = int(np.argmax((values != np.round(values)) | (np.abs(values) >= 2**62)))
                raise RatingsError(
                    f"{label}: {column} must be whole numbers (row {row + 1}: {values[row]!r})"
                )
            out[column] = values.astype(np.int64)
        else:
            out[column] = values
    low, high = reader.rating_scale
    outside = (out["rating"] < low) | (out["rating"] > high)
    if outside.any():
        row = int(np.argmax(outside))
        raise RatingsError(
            f"{label}: {int(outside.sum())} ratings outside the rating scale {low:g}..{high:g} "
            f"(first: row {row + 1}, rating {out['rating'][row]:g}; see --rating-scale)"
        )
    for column in ("userId", "movieId"):
        if (out[column] < 0).any():
            row = int(np.argmax(out[column] < 0))
            raise RatingsError(f"{label}: negative {column} {out[column][row]} at row {row + 1}")
    result = pd.DataFrame(
        {
            "userId": out["userId"],
            "movieId": out["movieId"],
            "rating": out["rating"].astype(np.float32),
            "timestamp": out["timestamp"],
        }
    )
    dup = result.duplicated(["userId", "movieId"], keep=False).to_numpy()
    if dup.any():
        if reader.duplicates == "error":
            row = int(np.argmax(dup))
            raise RatingsError(
                f"{label}: {int(dup.sum())} rows rate the same (user, movie) pair more than once "
                f"(first: row {row + 1}, user {result.userId[row]}, movie {result.movieId[row]}; "
                "--duplicates last keeps the latest)"
            )
        result = (
            result.sort_values("timestamp", kind="stable")
            .drop_duplicates(["userId", "movieId"], keep="last")
            .sort_index()
            .reset_index(drop=True)
        )
    return result


def pair_hashes(frame: pd.DataFrame) -> np.ndarray:
    """A splitmix64 hash of each (user, movie) pair (uint64)."""
    with np.errstate(over="ignore"):
        x = frame["userId"].to_numpy(np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
        x ^= frame["movieId"].to_numpy(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return x


def pair_sample(frame: pd.DataFrame) -> np.ndarray:
    """The sorted hashes of 1 in PAIR_SAMPLE_EVERY (user, movie) pairs (chosen by the hash, so
    two frames sample the same pairs): enough to tell whether a test set overlaps training."""
    hashes = pair_hashes(frame)
    return np.unique(hashes[hashes % np.uint64(PAIR_SAMPLE_EVERY) == 0])


def sample_overlap(sample: np.ndarray, test: pd.DataFrame) -> tuple[int, int]:
    """(test pairs sampled, of those also in `sample`): their ratio estimates the share of
    `test` that the model was trained on."""
    probe = pair_sample(test)
    return len(probe), int(np.isin(probe, sample).sum())


def describe_ratings(frame: pd.DataFrame) -> dict[str, Any]:
    """Provenance of a ratings frame: a SHA-256 of its rows (order-independent), counts and the
    latest timestamp."""
    ordered = frame.sort_values(["userId", "movieId"], kind="stable")
    digest = hashlib.sha256()
    dtypes = {"userId": np.int64, "movieId": np.int64, "rating": np.float32, "timestamp": np.int64}
    for column in COLUMNS:
        values = ordered[column].to_numpy(dtypes[column])
        digest.update(np.ascontiguousarray(values).tobytes())
    cutoff = int(frame["timestamp"].max()) if len(frame) else 0
    return {
        "sha256": digest.hexdigest(),
        "n_ratings": len(frame),
        "n_users": int(frame["userId"].nunique()),
        "n_movies": int(frame["movieId"].nunique()),
        "cutoff": cutoff,
    }


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
