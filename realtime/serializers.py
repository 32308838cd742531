"""The inbox's REST shapes (API.md part two "Notifications inbox")."""

from typing import Any

from rest_framework import serializers

from realtime.protocol import format_ts

MAX_ID = 2**63 - 1


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer (API.md part two: numeric strings, booleans and floats are a 400)."""

    default_error_messages = {"invalid": "Must be a JSON integer."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)  # type: ignore[no-any-return]


class NotificationListInputSerializer(serializers.Serializer):
    unread = serializers.ChoiceField(
        choices=["true", "false"],
        required=False,
        help_text="Only unread (`true`) or only read (`false`) notifications.",
    )


class NotificationOutputSerializer(serializers.Serializer):
    """The socket frame's `id`, `type`, `ts` and `data`, plus `read`."""

    id = serializers.IntegerField(source="seq")
    type = serializers.CharField()
    ts = serializers.SerializerMethodField()
    data = serializers.JSONField()
    read = serializers.BooleanField()

    def get_ts(self, notification: Any) -> str:
        return format_ts(notification.created_at)


class UnreadCountOutputSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
    last_event_id = serializers.IntegerField(
        help_text="The user's newest notification id (`hello.data.last_event_id`)."
    )


class MarkReadInputSerializer(serializers.Serializer):
    up_to = StrictIntegerField(
        min_value=0,
        max_value=MAX_ID,
        help_text="Marks every notification with id <= up_to read (ids above the newest allowed).",
    )


class MarkReadOutputSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
