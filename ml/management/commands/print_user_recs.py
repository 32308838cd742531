import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ml.explain import pick_contributions
from ml.loader import get_recommender
from ml.selectors import LIKED_STARS, recommendations_for_user
from movies.management.lookup import user_from_argument
from movies.models import Movie, Rating

# Reasons are the user's movies rated at least this that add most to the pick's ranking score
# (ml.explain.pick_contributions; the home page's top_picks `because` uses the same rule).
BECAUSE_STARS = Decimal("3.5")


class Command(BaseCommand):
    help = (
        "Print the recommendations a user is served (the same list as GET /api/recommendations/), "
        "with the predicted stars and, for the model's list, the movies the user rated 3.5 or more "
        "that add most to each one's score. "
        "USER is an id or a username; the model is the one deployed in ML_MODEL_DIR."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help="user id or username (e.g. ml_user_1)")
        parser.add_argument("--limit", type=int, default=10, help="list length [10]")
        parser.add_argument("--reasons", type=int, default=1, help="rated movies per reason [1]")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["limit"] <= 100:
            raise CommandError("--limit must be between 1 and 100", returncode=2)
        if options["reasons"] < 0:
            raise CommandError("--reasons must be >= 0", returncode=2)
        user = user_from_argument(options["user"])
        rated = dict(Rating.objects.filter(user=user).values_list("movie_id", "value"))
        served = recommendations_for_user(user=user, limit=options["limit"])
        ids = [int(summary["id"]) for summary in served.movies]
        rows: list[dict[str, Any]] = []
        if served.model_version is not None:
            source = f"model {served.model_version}"
            recommender = get_recommender()
            if recommender is None:  # undeployed between the two reads
                raise CommandError("the model was undeployed meanwhile; run again")
            stars = {movie_id: float(value) for movie_id, value in rated.items()}
            predicted = recommender.predict(ratings=stars, movie_ids=ids)
            liked = [movie_id for movie_id, value in rated.items() if value >= BECAUSE_STARS]
            reasons = pick_contributions(
                recommender, ratings=stars, picks=ids, among=liked, k=options["reasons"]
            )
            titles = dict(
                Movie.objects.filter(
                    pk__in={m for why in reasons.values() for m in why}
                ).values_list("pk", "title")
            )
            for summary, stars_for in zip(served.movies, predicted, strict=True):
                because = [
                    {"movie_id": m, "title": titles.get(m, "?"), "stars": float(rated[m])}
                    for m in reasons.get(int(summary["id"]), [])
                ]
                rows.append(self._row(summary, round(stars_for, 2), because))
        else:
            why = self._cold_start_reason(rated=rated)
            source = f"cold-start list ({why})"
            averages = {
                movie.pk: movie.average_rating
                for movie in Movie.objects.filter(pk__in=ids).only("ratings_count", "ratings_sum")
            }
            for summary in served.movies:
                rows.append(self._row(summary, averages.get(int(summary["id"])), []))
        if options["json"]:
            body = {
                "user_id": user.pk,
                "username": user.username,
                "n_ratings": len(rated),
                "model_version": served.model_version,
                "recommendations": rows,
            }
            self.stdout.write(json.dumps(body, indent=2, ensure_ascii=False))
            return
        self.stdout.write(f"user {user.pk} ({user.username}): {len(rated):,} ratings; {source}")
        label = "predicted" if served.model_version else "average"
        for rank, row in enumerate(rows, start=1):
            stars_text = "-" if row["stars"] is None else f"{row['stars']:.1f}"
            line = f"{rank:>3}. {row['title']} (id {row['movie_id']})  {label} {stars_text}"
            if row["because"]:
                named = "; ".join(f"{b['title']} ({b['stars']:.1f})" for b in row["because"])
                line += f"  because you rated {named}"
            self.stdout.write(line)

    @staticmethod
    def _row(
        summary: dict[str, Any], stars: float | None, because: list[dict[str, Any]]
    ) -> dict[str, Any]:
        movie_id, title = int(summary["id"]), str(summary["title"])
        return {"movie_id": movie_id, "title": title, "stars": stars, "because": because}

    @staticmethod
    def _cold_start_reason(*, rated: dict[int, Decimal]) -> str:
        if get_recommender() is None:
            reason = "no model deployed"
        else:
            reason = f"fewer than ML_MIN_RATINGS={settings.ML_MIN_RATINGS} ratings the model knows"
        if any(value >= LIKED_STARS for value in rated.values()):
            reason += "; popular movies, boosted in the genres you liked"
        else:
            reason += "; popular movies"
        return reason
