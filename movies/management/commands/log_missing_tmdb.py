from typing import Any

from movies.management.report import CatalogueReportCommand
from movies.quality import movie_ids_missing_tmdb


class Command(CatalogueReportCommand):
    help = (
        "Data-quality report: how many movies, and which ids, have no TMDb id (their "
        "metadata cannot be imported or fetched). Each non-empty check is also logged."
    )
    title = "missing"

    def report(self, **options: Any) -> dict[str, list[int]]:
        return movie_ids_missing_tmdb()
