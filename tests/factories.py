import datetime

import factory
from factory.django import DjangoModelFactory

from accounts.models import User

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
