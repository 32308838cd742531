from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "home"

    def ready(self) -> None:
        from accounts.hooks import user_deleting
        from home import member_cache, services
        from ml.hooks import ratings_committed, recommendations_refreshing
        from movies.hooks import ratings_changed

        ratings_committed.register(services.home_rows_forget_for_rater)
        recommendations_refreshing.register(services.home_rows_refresh)
        services.connect_friendship_signals()
        ratings_changed.register(member_cache.member_ratings_changed)
        user_deleting.register(services.member_ratings_forget)
