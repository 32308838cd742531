from typing import Any

from movies.management.report import CatalogueReportCommand
from movies.quality import movie_ids_missing_credits


class Command(CatalogueReportCommand):
    help = (
        "Data-quality report: how many movies with a TMDb id have no cast or no director, and "
        "their ids. Each non-empty check is also logged."
    )
    title = "without"

    def report(self, **options: Any) -> dict[str, list[int]]:
        return movie_ids_missing_credits()
