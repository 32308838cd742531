from django.apps import AppConfig


class MoviesConfig(AppConfig):
    name = "movies"

    def ready(self) -> None:
        from accounts.hooks import user_deleting
        from movies import feed_cache
        from movies.selectors import movie_exists
        from movies.services import ratings_delete_for_user
        from realtime.hooks import movie_exists as movie_stream_hook

        # Before the cascade, so the movies' rating aggregates stay exact.
        user_deleting.register(ratings_delete_for_user)
        movie_stream_hook.register(movie_exists)
        # Friends' feed pages kept per process go when what they show is written.
        feed_cache.connect_signals()
