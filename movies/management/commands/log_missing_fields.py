from typing import Any

from django.core.management.base import CommandError, CommandParser

from movies.management.report import CatalogueReportCommand
from movies.quality import METADATA_FIELDS, movie_ids_missing_fields


class Command(CatalogueReportCommand):
    help = (
        "Data-quality report: per metadata field (imdb_id, overview, poster_path, runtime, "
        "release_date, genres), how many movies with a TMDb id lack it, and their ids. Each "
        "non-empty check is also logged."
    )
    title = "missing"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--field",
            action="append",
            default=[],
            help=f"only these fields (repeatable; one of {', '.join(METADATA_FIELDS)})",
        )

    def report(self, **options: Any) -> dict[str, list[int]]:
        fields = tuple(options["field"]) or METADATA_FIELDS
        unknown = [f for f in fields if f not in METADATA_FIELDS]
        if unknown:
            raise CommandError(
                f"--field {unknown[0]!r}: expected one of {', '.join(METADATA_FIELDS)}",
                returncode=2,
            )
        return movie_ids_missing_fields(fields=fields)
