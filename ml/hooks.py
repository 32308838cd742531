"""Extension points of the ml app (see mcbackend/hooks.py and docs/ARCHITECTURE.md).

Unlike the other apps' hooks, these run outside the request, in the recommendation refresh: a
failing receiver is logged and the others still run (`Hook.send_robust`), since there is no
caller to tell.
"""

from mcbackend.hooks import Hook

ratings_committed = Hook(
    "ml.ratings_committed",
    doc="""`receiver(*, user_id)`: a rating change of the user committed, before the refresh is
    queued. home drops the rows and predictions that are now stale.""",
)

recommendations_refreshing = Hook(
    "ml.recommendations_refreshing",
    doc="""`receiver(*, user_id)`: inside the refresh, before `recommendations.updated` is
    published, so what the receiver computes is ready when the event arrives. home recomputes
    the user's rows.""",
)
