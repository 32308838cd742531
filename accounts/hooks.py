"""Extension points of the accounts app (see mcbackend/hooks.py and docs/ARCHITECTURE.md).

accounts is the lowest app: it cannot import the apps that keep data about a user, so it
announces what happens to accounts and they register here in their AppConfig.ready().
"""

from mcbackend.hooks import Hook

user_deleting = Hook(
    "accounts.user_deleting",
    doc="""`receiver(*, user)`: the account is about to be deleted, inside user_delete's
    transaction and before the row (and the cascade) goes. Apps whose data needs more than the
    cascade clean it up here (movies: ratings, so the movies' aggregates stay exact).""",
)

sessions_ended = Hook(
    "accounts.sessions_ended",
    doc="""`receiver(*, user_id)`: every session of the user has ended (logout, password change,
    account deletion), inside the service's transaction. realtime closes the user's sockets
    (with 4401) once it commits.""",
)
