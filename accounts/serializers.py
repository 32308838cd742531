import datetime
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from accounts.models import User
from accounts.validators import USERNAME_RULE, UsernameValidator


class StrictBooleanField(serializers.BooleanField):
    """JSON true/false (or the strings "true"/"false" from form posts); nothing else."""

    default_error_messages = {"invalid": "Must be a boolean (true or false)."}

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and data.lower() in {"true", "false"}:
            return data.lower() == "true"
        self.fail("invalid")
        raise AssertionError  # unreachable: fail() raises


class UsernameField(serializers.CharField):
    """A username, NFKC-normalised before it is checked: compatibility forms (full-width letters,
    ligatures, circled or superscript digits) become their plain letters, so a twin of another
    name is caught as taken, and the length limit applies to what is stored."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", USERNAME_RULE)
        super().__init__(max_length=150, validators=[UsernameValidator()], **kwargs)

    def to_internal_value(self, data: Any) -> str:
        return User.normalize_username(super().to_internal_value(data))


class SignupInputSerializer(serializers.Serializer):
    username = UsernameField()
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    birth_date = serializers.DateField()

    def validate_birth_date(self, value: datetime.date) -> datetime.date:
        if value >= timezone.localdate():
            raise serializers.ValidationError("Birth date must be in the past.")
        if value.year < 1900:
            raise serializers.ValidationError("Birth date must be after 1900.")
        return value


class UserUpdateInputSerializer(serializers.Serializer):
    username = UsernameField(required=False)
    email = serializers.EmailField(max_length=254, required=False)
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, write_only=True, required=False
    )
    bio = serializers.CharField(max_length=1000, allow_blank=True, required=False)
    is_private = StrictBooleanField(required=False)


class LoginInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(required=False, allow_blank=True, max_length=4096)


class StringOnlyCharField(serializers.CharField):
    """A JSON string, as the schema says: DRF's CharField would also take a number."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class LogoutInputSerializer(serializers.Serializer):
    refresh = StringOnlyCharField(
        required=False,
        allow_blank=True,
        max_length=4096,
        help_text="For clients without cookies: the refresh token of the session to end.",
    )


class PasswordResetInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInputSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64, help_text="`uid` from the reset link.")
    token = serializers.CharField(max_length=128, help_text="`token` from the reset link.")
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, write_only=True, help_text="The new password."
    )


class DetailOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()


class MessageOutputSerializer(serializers.Serializer):
    message = serializers.CharField()


class ProfileOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "birth_date", "is_private", "bio"]


class UserSummaryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]

    def to_representation(self, user: User) -> dict[str, Any]:
        # The declared fields, built directly: user lists are pages of these, and DRF's
        # per-field walk costs more than their query.
        return {"id": user.pk, "username": user.username}
