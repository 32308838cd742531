from mcbackend.api import optional_slash
from ml import views

app_name = "ml"

urlpatterns = [
    *optional_slash(
        "movie/<int:movie_id>/similar/", views.MovieSimilarView.as_view(), name="similar"
    ),
    *optional_slash("user/movies/", views.RecommendedMoviesView.as_view(), name="recommended"),
]
