import datetime

import factory
from factory.django import DjangoModelFactory

from accounts.models import User
from social.models import FriendRequest, Friendship

PASSWORD = "Corr3ct-Horse-Battery"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    birth_date = datetime.date(1990, 5, 17)
    bio = ""
    is_private = False
    password = factory.django.Password(PASSWORD)


class FriendRequestFactory(DjangoModelFactory):
    class Meta:
        model = FriendRequest

    from_user = factory.SubFactory(UserFactory)
    to_user = factory.SubFactory(UserFactory)
    accepted = False


class FriendshipFactory(DjangoModelFactory):
    """Pass `user_low`/`user_high` in either order; they are stored smaller id first."""

    class Meta:
        model = Friendship

    user_low = factory.SubFactory(UserFactory)
    user_high = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        low, high = sorted((kwargs.pop("user_low"), kwargs.pop("user_high")), key=lambda u: u.pk)
        return super()._create(model_class, *args, user_low=low, user_high=high, **kwargs)
