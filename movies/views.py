from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import AuthenticatedRequest
from accounts.serializers import MessageOutputSerializer
from mcbackend.api import ArrayLimitOffsetPagination, paginated_response
from movies import selectors, services
from movies.models import Comment, Movie
from movies.serializers import (
    CommentCreateInputSerializer,
    CommentCreateOutputSerializer,
    CommentDeleteInputSerializer,
    CommentOutputSerializer,
    MovieDetailOutputSerializer,
    MovieSearchInputSerializer,
    MovieSummaryOutputSerializer,
    RatedMovieOutputSerializer,
    RatingInputSerializer,
    RatingOutputSerializer,
    RatingUpsertOutputSerializer,
)


class PopularPagination(ArrayLimitOffsetPagination):
    default_limit = 10
    max_limit = 100


class MovieDetailView(APIView):
    @extend_schema(responses={200: MovieDetailOutputSerializer})
    def get(self, request: AuthenticatedRequest, movie_id: int) -> Response:
        movie = selectors.movie_get_detail(movie_id=movie_id, viewer=request.user)
        return Response(MovieDetailOutputSerializer(movie).data)


class MovieCommentListView(ListAPIView):
    serializer_class = CommentOutputSerializer
    pagination_class = ArrayLimitOffsetPagination

    def get_queryset(self) -> QuerySet[Comment]:
        movie = selectors.movie_get(movie_id=self.kwargs["movie_id"])
        return selectors.comment_list(movie=movie)


class MovieCommentView(APIView):
    """POST adds a comment; DELETE removes one of the caller's own (`comment_id`: body or query)."""

    @extend_schema(
        request=CommentCreateInputSerializer, responses={201: CommentCreateOutputSerializer}
    )
    def post(self, request: AuthenticatedRequest, movie_id: int) -> Response:
        movie = selectors.movie_get(movie_id=movie_id)
        serializer = CommentCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.comment_create(
            author=request.user, movie=movie, body=serializer.validated_data["body"]
        )
        body = {"message": "Comment added.", "data": CommentOutputSerializer(comment).data}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        parameters=[CommentDeleteInputSerializer],  # also accepted in the body instead
        responses={204: None},
    )
    def delete(self, request: AuthenticatedRequest, movie_id: int) -> Response:
        movie = selectors.movie_get(movie_id=movie_id)
        raw = request.data.get("comment_id") if hasattr(request.data, "get") else None
        if raw is None:
            raw = request.query_params.get("comment_id")
        serializer = CommentDeleteInputSerializer(data={} if raw is None else {"comment_id": raw})
        serializer.is_valid(raise_exception=True)
        services.comment_delete(
            author=request.user, movie=movie, comment_id=serializer.validated_data["comment_id"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MovieRateView(APIView):
    @extend_schema(
        request=RatingInputSerializer,
        responses={200: RatingUpsertOutputSerializer, 201: RatingUpsertOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, movie_id: int) -> Response:
        movie = selectors.movie_get(movie_id=movie_id)
        serializer = RatingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rating, created = services.rating_upsert(
            user=request.user, movie=movie, value=serializer.validated_data["rating"]
        )
        body = {
            "message": "Rating saved." if created else "Rating updated.",
            "data": RatingOutputSerializer(rating).data,
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class MovieWatchView(APIView):
    @extend_schema(request=None, responses={201: MessageOutputSerializer})
    def post(self, request: AuthenticatedRequest, movie_id: int) -> Response:
        movie = selectors.movie_get(movie_id=movie_id)
        services.watchlist_item_add(user=request.user, movie=movie)
        return Response({"message": "Added to watch list."}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: AuthenticatedRequest, movie_id: int) -> Response:
        movie = selectors.movie_get(movie_id=movie_id)
        services.watchlist_item_remove(user=request.user, movie=movie)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WatchlistView(ListAPIView):
    """The caller's watch list, most recently added first."""

    request: AuthenticatedRequest  # behind IsAuthenticated

    serializer_class = MovieSummaryOutputSerializer
    pagination_class = ArrayLimitOffsetPagination

    def get_queryset(self) -> QuerySet[Movie]:
        return selectors.watchlist_movie_list(user=self.request.user)


class PopularMoviesView(ListAPIView):
    serializer_class = MovieSummaryOutputSerializer
    pagination_class = PopularPagination

    def get_queryset(self) -> QuerySet[Movie]:
        return selectors.movie_popular_queryset()


def _search(request: Request, title: object) -> Response:
    serializer = MovieSearchInputSerializer(data={"title": title})
    serializer.is_valid(raise_exception=True)
    movies = selectors.movie_search(title=serializer.validated_data["title"])
    return paginated_response(
        items=movies,
        request=request,
        serialize=lambda page: MovieSummaryOutputSerializer(page, many=True).data,
    )


class MovieSearchView(APIView):
    """`title` from the query string (GET and POST) or, for POST, from the body."""

    title_parameter = MovieSearchInputSerializer  # for POST also accepted in the body instead

    @extend_schema(
        parameters=[title_parameter],
        responses={200: MovieSummaryOutputSerializer(many=True), 400: OpenApiResponse()},
    )
    def get(self, request: Request) -> Response:
        return _search(request, request.query_params.get("title"))

    @extend_schema(
        parameters=[title_parameter],
        request=None,
        responses={200: MovieSummaryOutputSerializer(many=True), 400: OpenApiResponse()},
    )
    def post(self, request: Request) -> Response:
        title = request.query_params.get("title")
        if title is None and hasattr(request.data, "get"):
            title = request.data.get("title")
        return _search(request, title)


@extend_schema_view(get=extend_schema(operation_id="user_movies_rated_own_list"))
class OwnRatedMoviesView(ListAPIView):
    request: AuthenticatedRequest  # behind IsAuthenticated

    serializer_class = RatedMovieOutputSerializer
    pagination_class = ArrayLimitOffsetPagination

    def get_queryset(self) -> QuerySet[Movie]:
        return selectors.rated_movie_list(user=self.request.user)


class UserRatedMoviesView(ListAPIView):
    """Another user's rated movies: 404 unknown user, 403 when not visible to the caller."""

    request: AuthenticatedRequest  # behind IsAuthenticated

    serializer_class = RatedMovieOutputSerializer
    pagination_class = ArrayLimitOffsetPagination

    def get_queryset(self) -> QuerySet[Movie]:
        user = selectors.user_get_visible(user_id=self.kwargs["user_id"], viewer=self.request.user)
        return selectors.rated_movie_list(user=user)
