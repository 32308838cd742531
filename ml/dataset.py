"""Training data from the live database: the only training module that touches the ORM."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ml.data import COLUMNS
from movies.models import Rating

EXPORT_CHUNK = 100_000


def ratings_export(progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Every rating as userId (our user pk), movieId (Movie pk = MovieLens id), rating (stars,
    float32) and timestamp (Unix seconds): the frame `ml.train.train` takes.

    Streams the rows (a server-side cursor on PostgreSQL) in chunks of `EXPORT_CHUNK` into
    arrays sized from a count taken first, so memory stays at one copy of the columns (28 bytes a
    rating) plus one chunk; rows added during the export are appended. `progress(done, total)`
    is called after each chunk."""
    total = Rating.objects.count()
    columns: dict[str, np.ndarray] = {
        "userId": np.empty(total, dtype=np.int64),
        "movieId": np.empty(total, dtype=np.int64),
        "rating": np.empty(total, dtype=np.float32),
        "timestamp": np.empty(total, dtype=np.int64),
    }
    extra: list[list[tuple[int, int, float, int]]] = []
    rows = Rating.objects.order_by().values_list("user_id", "movie_id", "value", "timestamp")
    done = 0
    chunk: list[tuple[int, int, float, int]] = []

    def flush() -> None:
        nonlocal done, chunk
        fit = max(0, min(len(chunk), total - done))
        if fit:
            u, m, v, t = zip(*chunk[:fit], strict=True)
            columns["userId"][done : done + fit] = u
            columns["movieId"][done : done + fit] = m
            columns["rating"][done : done + fit] = v
            columns["timestamp"][done : done + fit] = t
        if fit < len(chunk):
            extra.append(chunk[fit:])
        done += len(chunk)
        chunk = []
        if progress is not None:
            progress(done, max(total, done))

    for user_id, movie_id, value, timestamp in rows.iterator(chunk_size=EXPORT_CHUNK):
        chunk.append((user_id, movie_id, float(value), int(timestamp.timestamp())))
        if len(chunk) >= EXPORT_CHUNK:
            flush()
    if chunk:
        flush()
    n = min(done, total)
    if extra:  # rows inserted after the count
        rest = [row for part in extra for row in part]
        for name, col in zip(COLUMNS, zip(*rest, strict=True), strict=True):
            more = np.asarray(col, dtype=columns[name].dtype)
            columns[name] = np.concatenate([columns[name][:n], more])
        n += len(rest)
    data = {name: col[:n] for name, col in columns.items()}
    return pd.DataFrame(data, columns=COLUMNS, copy=False)
