from mcbackend.api import optional_slash
from movies import views

app_name = "movies"

urlpatterns = [
    *optional_slash("feed/", views.FeedView.as_view(), name="feed"),
    *optional_slash("movies/popular/", views.PopularMoviesView.as_view(), name="popular"),
    *optional_slash("movies/watch/", views.WatchlistView.as_view(), name="watchlist"),
    *optional_slash("movie/search/", views.MovieSearchView.as_view(), name="search"),
    *optional_slash("movie/<int:movie_id>/", views.MovieDetailView.as_view(), name="detail"),
    *optional_slash(
        "movie/<int:movie_id>/comments/", views.MovieCommentListView.as_view(), name="comments"
    ),
    *optional_slash(
        "movie/<int:movie_id>/comment/", views.MovieCommentView.as_view(), name="comment"
    ),
    *optional_slash("movie/<int:movie_id>/rate/", views.MovieRateView.as_view(), name="rate"),
    *optional_slash("movie/<int:movie_id>/watch/", views.MovieWatchView.as_view(), name="watch"),
    *optional_slash("user/movies/rated/", views.OwnRatedMoviesView.as_view(), name="rated-own"),
    *optional_slash(
        "user/<int:user_id>/movies/rated/", views.UserRatedMoviesView.as_view(), name="rated-user"
    ),
]
