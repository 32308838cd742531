"""Training data from the live database: the only training module that touches the ORM."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import BigIntegerField, FloatField, Func
from django.db.models.functions import Cast

from ml.data import COLUMNS
from movies.models import Rating

EXPORT_CHUNK = 100_000


class UnixSeconds(Func):
    """A datetime as whole Unix seconds (floored), computed by the database."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # strftime's '%s': '%%%%' is halved by the template, then by the query's parameters.
        template = "CAST(strftime('%%%%s', %(expressions)s) AS integer)"
        return self.as_sql(compiler, connection, template=template, **extra)


def ratings_export(progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Every rating as userId (our user pk), movieId (Movie pk = MovieLens id), rating (stars,
    float32) and timestamp (Unix seconds): the frame `ml.train.train` takes.

    Streams the rows (a server-side cursor on PostgreSQL, in one transaction) in chunks of
    `EXPORT_CHUNK` into arrays sized from a count taken first, so memory stays at one copy of the
    columns (28 bytes a rating) plus one chunk; rows added during the export are appended. The
    database converts the stars to a float and the time to Unix seconds, so no row builds a
    Decimal or a datetime.
    `progress(done, total)` is called after each chunk."""
    # In a transaction the server-side cursor streams; in autocommit Django declares it WITH HOLD,
    # and PostgreSQL then materialises the whole result before the first row (14 s at 32M).
    with transaction.atomic():
        total = Rating.objects.count()
        columns = [
            np.empty(total, dtype=dtype) for dtype in (np.int64, np.int64, np.float32, np.int64)
        ]
        extra: list[np.ndarray] = []
        rows = (
            Rating.objects.order_by()
            .annotate(stars=Cast("value", FloatField()), seconds=UnixSeconds("timestamp"))
            .values_list("user_id", "movie_id", "stars", "seconds")
        )
        done = 0
        stream = rows.iterator(chunk_size=EXPORT_CHUNK)
        while chunk := list(itertools.islice(stream, EXPORT_CHUNK)):
            # Exact in float64: ids, half stars and Unix seconds are all below 2^53.
            block = np.array(chunk, dtype=np.float64)
            fit = max(0, min(len(block), total - done))
            for col, values in zip(columns, block[:fit].T, strict=True):
                col[done : done + fit] = values
            if fit < len(block):
                extra.append(block[fit:])
            done += len(block)
            if progress is not None:
                progress(done, max(total, done))
    n = min(done, total)
    data = {name: col[:n] for name, col in zip(COLUMNS, columns, strict=True)}
    if extra:  # rows inserted after the count
        rest = np.concatenate(extra)
        for i, name in enumerate(COLUMNS):
            data[name] = np.concatenate([data[name], rest[:, i].astype(data[name].dtype)])
    return pd.DataFrame(data, columns=COLUMNS, copy=False)
