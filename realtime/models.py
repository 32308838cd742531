"""The personal-notification backlog (REALTIME.md "Guarantees"): rows are what `resume` replays."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class NotificationCounter(models.Model):
    """One row per user: the id of the user's newest notification.

    Taking the next id updates this row, which holds its lock until the caller's transaction
    commits, so a user's ids are assigned, and become visible, in commit order.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True
    )
    last_id = models.PositiveBigIntegerField(default=0)
    # The inbox's read state, as a high-water mark: every notification with seq <= read_up_to is
    # read, every later one unread. Only ever rises (never above last_id), so an older `up_to`
    # from another tab cannot un-read anything and later notifications arrive unread.
    read_up_to = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.last_id} (read {self.read_up_to})"


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    seq = models.PositiveBigIntegerField(help_text="Per-user event id (the frame's `id`).")
    type = models.CharField(max_length=64)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "seq"], name="notification_user_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}#{self.seq} {self.type}"
