from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least


class FriendRequest(models.Model):
    """Pending until accepted; denying or cancelling deletes it. An accepted request stays (so
    the pair constraint also refuses requests between friends) until the friendship is removed,
    which deletes it so the two can ask each other again (social.services)."""

    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sent_friend_requests"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="received_friend_requests"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_user=F("to_user")), name="friend_request_not_to_self"
            ),
            # One request per pair of users, whichever of them asked.
            models.UniqueConstraint(
                Least("from_user", "to_user"),
                Greatest("from_user", "to_user"),
                name="friend_request_one_per_pair",
            ),
        ]
        indexes = [
            models.Index(fields=["to_user", "accepted", "-created_at"]),
            models.Index(fields=["from_user", "accepted", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.from_user_id} -> {self.to_user_id}"


class Friendship(models.Model):
    """One row per pair of friends, stored with the smaller user id first."""

    user_low = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    user_high = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user_low__lt=F("user_high")), name="friendship_ordered_pair"
            ),
            models.UniqueConstraint(
                fields=["user_low", "user_high"], name="friendship_unique_pair"
            ),
        ]
        indexes = [models.Index(fields=["user_high", "user_low"])]

    def __str__(self) -> str:
        return f"{self.user_low_id} <-> {self.user_high_id}"


class Block(models.Model):
    """`blocker` blocked `blocked`. Either direction hides the two users from each other
    (social.selectors.users_are_blocked); only the blocker can lift their own block."""

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="block_not_self"),
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_unique_pair"),
        ]
        # The unique constraint's index serves "whom did I block"; this one "who blocked me".
        indexes = [models.Index(fields=["blocked", "blocker"], name="block_blocked_idx")]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"
