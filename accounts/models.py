from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower

from accounts.validators import USERNAME_RULE, UsernameValidator


class CaseInsensitiveUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(username__iexact=username)


class User(AbstractUser):
    username_validator = UsernameValidator()
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
    email = models.EmailField(null=True, blank=True)  # noqa: DJ001
    birth_date = models.DateField(null=True, blank=True)
    bio = models.TextField(blank=True, default="")
    is_private = models.BooleanField(default=False)
    # Part of every JWT; bumping it (password change) ends all of the user's sessions at once.
    auth_generation = models.PositiveIntegerField(default=0)
    movielens_id = models.PositiveIntegerField(null=True, blank=True, unique=True)

    objects = CaseInsensitiveUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username
