from rest_framework import serializers

from accounts.models import User
from mcbackend.validators import NOT_BLANK, has_visible_character
from social.models import FriendRequest


class FriendRequestOutputSerializer(serializers.ModelSerializer):
    """API.md "Friend request": usernames for both ends."""

    from_user = serializers.CharField(source="from_user.username", read_only=True)
    to_user = serializers.CharField(source="to_user.username", read_only=True)

    class Meta:
        model = FriendRequest
        fields = ["id", "from_user", "to_user", "created_at", "accepted"]


class FriendRequestSentOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    request_id = serializers.IntegerField()


class FriendRequestConflictOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    incoming_request_id = serializers.IntegerField(required=False)


class UserPageOutputSerializer(serializers.ModelSerializer):
    """Another user's profile plus the viewer's relation (ids, or null)."""

    is_friend = serializers.IntegerField(allow_null=True, read_only=True)
    is_outgoing = serializers.IntegerField(allow_null=True, read_only=True)
    is_incoming = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "bio", "is_private", "is_friend", "is_outgoing", "is_incoming"]


class UserSearchInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, validators=[NOT_BLANK, has_visible_character])

    def validate_username(self, value: str) -> str:
        return User.normalize_username(value)  # stored names are NFKC: full-width finds them
