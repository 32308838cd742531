"""Extension points of the movies app (see mcbackend/hooks.py and docs/ARCHITECTURE.md)."""

from mcbackend.hooks import Hook

ratings_changed = Hook(
    "movies.ratings_changed",
    doc="""`receiver(*, user_id)`: the user's ratings changed (rating_upsert), inside the
    service's transaction. ml refreshes the user's recommendations once it commits.""",
)
