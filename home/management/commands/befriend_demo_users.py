from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Count

from accounts.models import User
from home.demo import taste_similarity
from movies.models import Rating
from social.selectors import friends_of
from social.services import friendship_create


class Command(BaseCommand):
    help = (
        "Make an account friends with a few MovieLens demo users, so the home page's friends "
        "row and group picks have something to show: the demo users whose ratings are closest "
        "to the account's (by movies rated in common), or the most active ones while the "
        "account has rated fewer than 5 movies."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--count", type=int, default=8)

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username__iexact=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        count = max(1, options["count"])
        already = set(friends_of(user=user).values_list("pk", flat=True))
        demo = User.objects.filter(movielens_id__isnull=False).exclude(pk__in=already)
        chosen = self._closest(user, demo, count)
        for friend in chosen:
            friendship_create(user_a=user, user_b=friend)
        names = ", ".join(friend.username for friend in chosen)
        self.stdout.write(f"{user.username} is now friends with {len(chosen)}: {names}")

    def _closest(self, user: User, demo: Any, count: int) -> list[User]:
        mine = dict(Rating.objects.filter(user=user).values_list("movie_id", "value"))
        if len(mine) < 5:
            return list(demo.annotate(n=Count("ratings")).order_by("-n", "pk")[:count])
        ratings: dict[int, dict[int, float]] = {user.pk: {m: float(v) for m, v in mine.items()}}
        demo_ids = set(demo.values_list("pk", flat=True))
        for user_id, movie_id, value in Rating.objects.filter(user_id__in=demo_ids).values_list(
            "user_id", "movie_id", "value"
        ):
            ratings.setdefault(user_id, {})[movie_id] = float(value)
        users, similarity = taste_similarity(ratings)
        row = similarity[users.index(user.pk)]
        ranked = sorted(range(len(users)), key=lambda j: (-row[j], users[j]))
        picked = [users[j] for j in ranked if users[j] != user.pk][:count]
        by_pk = User.objects.in_bulk(picked)
        return [by_pk[pk] for pk in picked]
