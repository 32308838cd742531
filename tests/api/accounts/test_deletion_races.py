"""Account deletion racing the account's own writes and a friend's accept (issue 14).

No request may fail with a 500 (a foreign-key violation at COMMIT) or a 503 (a deadlock), and
afterwards nothing of the account is left and the movie's rating aggregates are exact.
"""

import pytest
from django.db.models import Sum

from accounts.models import User
from movies.models import Comment, Movie, Rating, WatchlistItem
from realtime.models import Notification
from social.models import FriendRequest, Friendship
from tests.factories import PASSWORD, FriendRequestFactory, MovieFactory, UserFactory
from tests.races import bearer, login, run_parallel

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 6


def test_deletion_racing_rating_comment_watchlist_and_accept_keeps_every_invariant():
    movie = MovieFactory()
    friend = UserFactory(username="friend")
    friend_access, _ = login("friend", PASSWORD)
    for round_ in range(ROUNDS):
        doomed = UserFactory(username=f"doomed{round_}")
        access, _ = login(doomed.username, PASSWORD)
        fr = FriendRequestFactory(from_user=doomed, to_user=friend)
        client = bearer(access)

        results = run_parallel(
            [
                lambda c=client: c.delete("/api/user/delete/"),
                lambda c=client: c.post(f"/api/movie/{movie.pk}/rate/", {"rating": 4}),
                lambda c=client: c.post(f"/api/movie/{movie.pk}/comment/", {"body": "hi"}),
                lambda c=client: c.post(f"/api/movie/{movie.pk}/watch/"),
                lambda f=fr: bearer(friend_access).post(f"/api/friend-requests/update/{f.pk}/"),
            ]
        )

        deleted, rated, commented, watched, accepted = (r.status_code for r in results)
        assert deleted == 204
        assert rated in {201, 401}
        assert commented in {201, 401}
        assert watched in {201, 401}
        assert accepted in {200, 404}
        assert not User.objects.filter(pk=doomed.pk).exists()
        for model, owner in [
            (Rating, "user"),
            (Comment, "author"),
            (WatchlistItem, "user"),
            (Notification, "user"),
        ]:
            assert not model.objects.filter(**{f"{owner}_id": doomed.pk}).exists()
        assert not FriendRequest.objects.filter(from_user_id=doomed.pk).exists()
        assert not Friendship.objects.filter(user_low_id=doomed.pk).exists()
        assert not Friendship.objects.filter(user_high_id=doomed.pk).exists()
        movie_row = Movie.objects.get(pk=movie.pk)
        ratings = Rating.objects.filter(movie=movie)
        assert movie_row.ratings_count == ratings.count() == 0
        assert (movie_row.ratings_sum or 0) == (ratings.aggregate(s=Sum("value"))["s"] or 0)
