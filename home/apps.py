from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "home"

    def ready(self) -> None:
        from home import services
        from ml.hooks import ratings_committed, recommendations_refreshing

        ratings_committed.register(services.home_rows_forget_for_rater)
        recommendations_refreshing.register(services.home_rows_refresh)
        services.connect_friendship_signals()
