"""Training data from the live database: the only training module that touches the ORM."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.data import COLUMNS
from movies.models import Rating

EXPORT_CHUNK = 20_000


def ratings_export() -> pd.DataFrame:
    """Every rating as userId (our user pk), movieId (Movie pk = MovieLens id), rating (stars,
    float32) and timestamp (Unix seconds): the frame `ml.train.train` takes. Streams the rows, so
    memory stays at the arrays' size."""
    users: list[int] = []
    movies: list[int] = []
    stars: list[float] = []
    stamps: list[int] = []
    rows = Rating.objects.order_by().values_list("user_id", "movie_id", "value", "timestamp")
    for user_id, movie_id, value, timestamp in rows.iterator(chunk_size=EXPORT_CHUNK):
        users.append(user_id)
        movies.append(movie_id)
        stars.append(float(value))
        stamps.append(int(timestamp.timestamp()))
    return pd.DataFrame(
        {
            "userId": np.asarray(users, dtype=np.int64),
            "movieId": np.asarray(movies, dtype=np.int64),
            "rating": np.asarray(stars, dtype=np.float32),
            "timestamp": np.asarray(stamps, dtype=np.int64),
        },
        columns=COLUMNS,
    )
