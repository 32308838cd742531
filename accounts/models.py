from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from accounts.validators import USERNAME_RULE, UsernameValidator


def username_matches(username: str) -> Q:
    """The rows whose username is `username` once both are NFKC-normalised and lowercased.

    The same comparison as the `user_username_ci_unique` constraint (which it can use as its
    index); stored names are already NFKC (sign-up, updates and a data migration normalise them),
    so a full-width or other compatibility twin of a name finds that name.
    """
    normalized = AbstractUser.normalize_username(username)
    return Q(Exact(Lower("username"), Lower(Value(normalized))))


class CaseInsensitiveUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(username_matches(username or ""))


class User(AbstractUser):
    username_validator = UsernameValidator()  # type: ignore[assignment]  # not a Unicode one
    # AbstractUser's field, with the rule the API and its schema state (accounts/validators.py).
    username = models.CharField(
        "username",
        max_length=150,
        unique=True,
        help_text=USERNAME_RULE,
        validators=[username_validator],
        error_messages={"unique": "A user with that username already exists."},
    )
    # Nullable so that imported MovieLens users (who never sign in) need none; sign-up requires it.
    email = models.EmailField(null=True, blank=True)  # type: ignore[assignment]  # noqa: DJ001
    birth_date = models.DateField(null=True, blank=True)
    bio = models.TextField(blank=True, default="")
    is_private = models.BooleanField(default=False)
    # Part of every JWT; bumping it (password change) ends all of the user's sessions at once.
    auth_generation = models.PositiveIntegerField(default=0)
    movielens_id = models.PositiveIntegerField(null=True, blank=True, unique=True)

    objects: ClassVar[CaseInsensitiveUserManager] = CaseInsensitiveUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username


class RevokedSession(models.Model):
    """A session ended by logout: its tokens (every access and refresh token carrying this
    session id, rotated or not) are refused until the last of them would have expired."""

    sid = models.CharField(max_length=64, primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.sid
