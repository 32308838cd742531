from home import views
from mcbackend.api import optional_slash

app_name = "home"

urlpatterns = [
    *optional_slash("user/movies/lists/", views.HomeRowsView.as_view(), name="rows"),
    *optional_slash("recommendations/group/", views.GroupPicksView.as_view(), name="group-picks"),
]
