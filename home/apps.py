from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "home"

    def ready(self) -> None:
        from home import services
        from ml import services as ml_services

        ml_services.rating_commit_hooks.append(services.home_rows_forget_for_rater)
        ml_services.refresh_hooks.append(services.home_rows_refresh)
        services.connect_friendship_signals()
