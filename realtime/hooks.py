"""Extension points of the realtime app (see mcbackend/hooks.py and docs/ARCHITECTURE.md).

realtime carries events about things it does not own (movies), so the app that owns them tells
it which exist: `subscribe` to an unknown movie is answered `not_found` (REALTIME.md).
"""

from mcbackend.hooks import Hook

movie_exists = Hook(
    "realtime.movie_exists",
    doc="""`receiver(*, movie_id) -> bool`: whether a movie stream may be subscribed to (run in a
    thread, under database_sync_to_async). With no receiver no movie exists. movies registers
    movies.selectors.movie_exists.""",
)


def movie_stream_exists(*, movie_id: int) -> bool:
    return any(movie_exists.send(movie_id=movie_id))


hidden_users = Hook(
    "realtime.hidden_users",
    doc="""`receiver(*, user_id) -> set[int]`: users whose comment frames the user's sockets
    leave out (run in a thread, on connect and on `blocks.changed`). social registers
    social.selectors.blocked_user_ids_for (blocks either way).""",
)
