"""Two tabs marking read at the same moment (threads, one connection each; on Postgres they
really overlap): the mark ends at the larger `up_to` whatever the order, never lower."""

import pytest
from django.db import transaction

from realtime.events import notify_user_on_commit
from realtime.models import NotificationCounter
from tests.api.social.test_friend_request_races import client_for, run_parallel
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_tabs_marking_read_at_once_keep_the_higher_mark():
    user = UserFactory()
    for i in range(10):
        with transaction.atomic():
            notify_user_on_commit(user_id=user.id, type="friend.removed", data={"user_id": i})

    mark = 0
    for low, high in [(3, 7), (7, 3), (5, 9), (2, 4)]:
        responses = run_parallel(
            [
                lambda up_to=low: client_for(user).post(
                    "/api/notifications/read/", {"up_to": up_to}, format="json"
                ),
                lambda up_to=high: client_for(user).post(
                    "/api/notifications/read/", {"up_to": up_to}, format="json"
                ),
            ]
        )
        assert [r.status_code for r in responses] == [200, 200]
        mark = max(mark, low, high)
        assert NotificationCounter.objects.get(user=user).read_up_to == mark
        # Each answer is the count after its own update, so at most what its own up_to leaves.
        for response, up_to in zip(responses, (low, high), strict=True):
            assert 10 - mark <= response.json()["unread"] <= 10 - up_to
        unread = client_for(user).get("/api/notifications/unread-count/").json()["unread"]
        assert unread == 10 - mark
    assert NotificationCounter.objects.get(user=user).read_up_to == 9
