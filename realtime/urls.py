from mcbackend.api import optional_slash
from realtime import views

app_name = "realtime"

urlpatterns = [
    *optional_slash(
        "notifications/", views.NotificationListView.as_view(), name="notification-list"
    ),
    *optional_slash(
        "notifications/unread-count/",
        views.NotificationUnreadCountView.as_view(),
        name="notification-unread-count",
    ),
    *optional_slash(
        "notifications/read/", views.NotificationReadView.as_view(), name="notification-read"
    ),
]
