"""One reset link used by two requests at once (a double click, two tabs): one password wins."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import User
from tests.api.accounts.reset import request_reset
from tests.factories import UserFactory
from tests.races import run_parallel

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 4


def test_one_link_confirmed_twice_at_once_changes_the_password_once(settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "password_reset_email": "100/h"}
    user = UserFactory(username="alice", email="alice@example.com")
    for round_ in range(ROUNDS):
        mail.outbox.clear()
        params = request_reset(APIClient(), "alice@example.com")
        passwords = [f"Tab-{tab}-Round-{round_}-Passphrase" for tab in "ab"]

        def confirm(new: str, params: dict[str, str] = params):
            return APIClient().post(
                "/api/user/password-reset/confirm/", {**params, "password": new}, format="json"
            )

        answers = run_parallel([lambda p=p: confirm(p) for p in passwords])

        assert sorted(a.status_code for a in answers) == [200, 400]
        winner = passwords[[a.status_code for a in answers].index(200)]
        user.refresh_from_db()
        assert user.check_password(winner)
        assert user.auth_generation == round_ + 1
        assert User.objects.count() == 1
