"""Trim every user's notification backlog (notification_create also prunes as it goes)."""

from typing import Any

from django.core.management.base import BaseCommand

from realtime.services import notification_prune


class Command(BaseCommand):
    help = "Delete notifications outside each user's newest 200 that are older than 24 hours."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = notification_prune()
        self.stdout.write(f"Deleted {deleted} notifications.")
