from django.apps import AppConfig


class MlConfig(AppConfig):
    name = "ml"

    def ready(self) -> None:
        from mcbackend.health import health_reporters
        from ml.loader import health_report
        from ml.services import recommendations_refresh_on_commit
        from movies.hooks import ratings_changed

        ratings_changed.register(recommendations_refresh_on_commit)
        health_reporters.register(health_report)
