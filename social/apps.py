from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "social"

    def ready(self) -> None:
        from accounts.hooks import user_deleting
        from realtime.hooks import hidden_users
        from social.selectors import blocked_user_ids_for
        from social.services import friendships_end_for_user

        # Each friend of a deleted account hears friend.removed.
        user_deleting.register(friendships_end_for_user)
        # Sockets leave out comment frames of users blocked either way.
        hidden_users.register(lambda *, user_id: blocked_user_ids_for(user=user_id))
