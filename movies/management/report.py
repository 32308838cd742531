"""The shape shared by the catalogue data-quality commands (log_missing_*): counts, then ids."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from movies.models import Movie

logger = logging.getLogger("movies.quality")


class CatalogueReportCommand(BaseCommand):
    """Subclasses set `title` and implement `report()` -> {check: movie ids}."""

    title = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--show", type=int, default=20, help="ids printed per check [20; 0: all]"
        )
        parser.add_argument("--json", action="store_true", help="counts and every id, as JSON")

    def report(self, **options: Any) -> Mapping[str, list[int]]:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        from django.core.management.base import CommandError

        if options["show"] < 0:
            raise CommandError("--show must be >= 0", returncode=2)
        total = Movie.objects.count()
        report = self.report(**options)
        for check, ids in report.items():
            if ids:
                logger.warning("%d of %d movies: %s %s", len(ids), total, self.title, check)
        if options["json"]:
            missing = {check: {"count": len(ids), "ids": ids} for check, ids in report.items()}
            body = {"movies": total, "missing": missing}
            self.stdout.write(json.dumps(body, indent=2))
            return
        self.stdout.write(f"movies: {total:,}")
        show = options["show"] or None
        for check, ids in report.items():
            share = f" ({len(ids) / total:.1%})" if total else ""
            self.stdout.write(f"{self.title} {check}: {len(ids):,}{share}")
            if ids:
                listed = ", ".join(map(str, ids[:show]))
                more = f", ... ({len(ids) - len(ids[:show]):,} more; --show 0 lists all)"
                self.stdout.write(f"  ids: {listed}{more if len(ids[:show]) < len(ids) else ''}")
