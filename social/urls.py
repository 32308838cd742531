from mcbackend.api import optional_slash
from social import views

app_name = "social"

urlpatterns = [
    *optional_slash("friends/", views.FriendListView.as_view(), name="friend-list"),
    *optional_slash(
        "user/remove-friend/<int:friend_id>/",
        views.FriendRemoveView.as_view(),
        name="friend-remove",
    ),
    *optional_slash(
        "friend-requests/incoming/",
        views.FriendRequestIncomingListView.as_view(),
        name="friend-request-incoming",
    ),
    *optional_slash(
        "friend-requests/outgoing/",
        views.FriendRequestOutgoingListView.as_view(),
        name="friend-request-outgoing",
    ),
    *optional_slash(
        "friend-requests/update/<int:request_id>/",
        views.FriendRequestUpdateView.as_view(),
        name="friend-request-update",
    ),
    *optional_slash(
        "friend-requests/cancel/<int:request_id>/",
        views.FriendRequestCancelView.as_view(),
        name="friend-request-cancel",
    ),
    *optional_slash(
        "send-friend-request/<int:to_user_id>/",
        views.FriendRequestSendView.as_view(),
        name="friend-request-send",
    ),
    *optional_slash("user/blocked/", views.BlockedListView.as_view(), name="blocked-list"),
    *optional_slash("user/<int:user_id>/block/", views.UserBlockView.as_view(), name="user-block"),
    *optional_slash("user/search/", views.UserSearchView.as_view(), name="user-search"),
    *optional_slash(
        "user/<int:user_id>/profile/", views.UserProfileView.as_view(), name="user-profile"
    ),
    *optional_slash(
        "user/<int:user_id>/friends/", views.UserFriendListView.as_view(), name="user-friends"
    ),
]
