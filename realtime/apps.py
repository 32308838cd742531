from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"

    def ready(self) -> None:
        from accounts.hooks import sessions_ended
        from realtime.events import disconnect_user_on_commit

        sessions_ended.register(disconnect_user_on_commit)  # logout etc. close sockets with 4401
