"""Channel-layer group names (REALTIME.md: personal stream per user, stream per movie)."""


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def movie_group(movie_id: int) -> str:
    return f"movie.{movie_id}"


# Every feed event goes to one group; each process relays it to its own subscribed sockets.
FEED_GROUP = "feed"
