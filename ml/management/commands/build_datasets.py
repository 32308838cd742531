import time
from pathlib import Path
from typing import Any

import pandas as pd
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ml.dataset import ratings_export
from ml.deployment import Holdout, holdout_mask
from movies.models import Movie

SUFFIXES = (".csv", ".csv.gz")


class Command(BaseCommand):
    help = (
        "Export the ratings the recommender trains on (userId, movieId, rating, timestamp) to "
        "CSV or CSV.gz for notebook work, with a `holdout` column marking the deploy gate's "
        "fixed holdout (1: held out; no model the gate deploys trains on it). ml.data.load_ratings "
        "and python -m ml.train / ml.evaluate / ml.registry read the file as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out", default="var/datasets/ratings.csv.gz", help="ratings file (.csv or .csv.gz)"
        )
        parser.add_argument(
            "--movies", help="also write the catalogue (movieId, title, year, genres, tmdbId) here"
        )
        parser.add_argument("--holdout", type=float, default=0.1, help="the gate's share [0.1]")
        parser.add_argument("--seed", type=int, default=42, help="the gate's holdout seed [42]")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        targets = [out] + ([Path(options["movies"])] if options["movies"] else [])
        for path in targets:
            if not path.name.endswith(SUFFIXES):
                raise CommandError(f"{path}: expected a .csv or .csv.gz name", returncode=2)
        try:
            holdout = Holdout(fraction=options["holdout"], seed=options["seed"])
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        started = time.perf_counter()
        ratings = ratings_export().sort_values(["userId", "movieId"], kind="stable")
        held = holdout_mask(ratings, fraction=holdout.fraction, seed=holdout.seed)
        frame = ratings.assign(holdout=held.astype("int8"))
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out, index=False)
        self.stdout.write(
            f"{len(frame):,} ratings by {frame['userId'].nunique():,} users of "
            f"{frame['movieId'].nunique():,} movies -> {out} "
            f"({int(held.sum()):,} in the gate's holdout: {holdout.describe()})"
        )
        if options["movies"]:
            movies = self._movies()
            path = Path(options["movies"])
            path.parent.mkdir(parents=True, exist_ok=True)
            movies.to_csv(path, index=False)
            self.stdout.write(f"{len(movies):,} movies -> {path}")
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Datasets built in {elapsed:.1f} s"))

    @staticmethod
    def _movies() -> pd.DataFrame:
        genres: dict[int, list[str]] = {}
        pairs = Movie.genres.through.objects.values_list("movie_id", "genre__name")
        for movie_id, name in pairs.order_by("movie_id", "genre__name"):
            genres.setdefault(movie_id, []).append(name)
        rows = Movie.objects.order_by("pk").values_list("pk", "title", "release_date", "tmdb_id")
        return pd.DataFrame(
            [
                {
                    "movieId": pk,
                    "title": title,
                    "year": released.year if released else None,
                    "genres": "|".join(genres.get(pk, [])),
                    "tmdbId": tmdb_id,
                }
                for pk, title, released, tmdb_id in rows.iterator(chunk_size=5000)
            ],
            columns=["movieId", "title", "year", "genres", "tmdbId"],
        ).astype({"year": "Int64", "tmdbId": "Int64"})
