from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import AuthenticatedRequest, values_read_with_authentication
from accounts.serializers import MessageOutputSerializer
from mcbackend.api import ArrayLimitOffsetPagination, paginated_response
from movies import catalogue, feed, feed_cache, selectors, services
from movies.models import Comment
from movies.serializers import (
    CommentCreateInputSerializer,
    CommentCreateOutputSerializer,
    CommentDeleteInputSerializer,
    CommentOutputSerializer,
    FeedInputSerializer,
    FeedItemOutputSerializer,
    MovieDetailOutputSerializer,
    MovieSearchBodyInputSerializer,
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
    @extend_schema(summary="A movie's page", responses={200: MovieDetailOutputSerializer})
    def get(self, request: AuthenticatedRequest, movie_id: int) -> Response:
        return Response(selectors.movie_detail_for_viewer(movie_id=movie_id, viewer=request.user))


@extend_schema_view(get=extend_schema(summary="List a movie's comments, newest first"))
class MovieCommentListView(ListAPIView):
    request: AuthenticatedRequest  # behind IsAuthenticated

    serializer_class = CommentOutputSerializer
    pagination_class = ArrayLimitOffsetPagination

    def get_queryset(self) -> QuerySet[Comment]:
        return selectors.comment_list(movie_id=self.kwargs["movie_id"], viewer=self.request.user)


class MovieCommentView(APIView):
    """POST adds a comment; DELETE removes one of the caller's own (`comment_id`: body or query)."""

    @extend_schema(
        summary="Comment on a movie",
        request=CommentCreateInputSerializer,
        responses={201: CommentCreateOutputSerializer},
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
        summary="Delete your comment",
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
        summary="Rate a movie (or change your rating)",
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
    @extend_schema(
        summary="Add a movie to your watch list",
        request=None,
        responses={201: MessageOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, movie_id: int) -> Response:
        movie = selectors.movie_get(movie_id=movie_id)
        services.watchlist_item_add(user=request.user, movie=movie)
        return Response({"message": "Added to watch list."}, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a movie from your watch list", request=None, responses={204: None}
    )
    def delete(self, request: AuthenticatedRequest, movie_id: int) -> Response:
        movie = selectors.movie_get(movie_id=movie_id)
        services.watchlist_item_remove(user=request.user, movie=movie)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(get=extend_schema(summary="List your watch list"))
# A paged list of movies: one query for the page's rows (ids and the user's columns) and their
# total, the summaries from the materialised catalogue (movies/catalogue.py) instead of a
# serializer per movie. (A comment, not a docstring: docstrings become the operations' text.)
class SummaryPageView(ListAPIView):
    pagination_class = ArrayLimitOffsetPagination

    def render_page(self, rows: list[Any]) -> list[dict[str, Any]]:
        return selectors.movie_summary_page(rows)

    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        return paginated_response(
            items=self.get_queryset(),
            request=request,
            serialize=self.render_page,
            paginator=ArrayLimitOffsetPagination(),
        )


class RatedMoviesPageView(SummaryPageView):
    request: AuthenticatedRequest  # behind IsAuthenticated

    serializer_class = RatedMovieOutputSerializer

    def render_page(self, rows: list[Any]) -> list[dict[str, Any]]:
        return selectors.rated_movie_page(rows)


class WatchlistView(SummaryPageView):
    """The caller's watch list, most recently added first."""

    request: AuthenticatedRequest  # behind IsAuthenticated

    serializer_class = MovieSummaryOutputSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.watchlist_movie_ids(user=self.request.user)


@extend_schema_view(get=extend_schema(summary="List the most popular movies"))
class PopularMoviesView(ListAPIView):
    """Pages of the materialised ranking (movies/catalogue.py), rendered from cached summaries."""

    serializer_class = MovieSummaryOutputSerializer
    pagination_class = PopularPagination

    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        return paginated_response(
            items=selectors.movie_popular_ids(),
            request=request,
            serialize=catalogue.movie_summaries,
            paginator=PopularPagination(),
        )


class MovieSearchView(APIView):
    """`title` from the query string (GET and POST) or, for POST, from the body."""

    pagination_class = ArrayLimitOffsetPagination

    @extend_schema(
        summary="Search movies by title",
        parameters=[MovieSearchInputSerializer],
        responses={200: MovieSummaryOutputSerializer(many=True), 400: OpenApiResponse()},
    )
    def get(self, request: Request) -> Response:
        return self._search(request, request.query_params.get("title"))

    @extend_schema(
        summary="Search movies by title (title in the query string or the body)",
        parameters=[MovieSearchBodyInputSerializer],
        request=MovieSearchBodyInputSerializer,
        responses={200: MovieSummaryOutputSerializer(many=True), 400: OpenApiResponse()},
    )
    def post(self, request: Request) -> Response:
        body = MovieSearchBodyInputSerializer(data=request.data)  # as documented, even if unused
        body.is_valid(raise_exception=True)
        title = request.query_params.get("title")
        if title is None:
            title = request.data.get("title")  # type: ignore[union-attr]  # a mapping: body is valid
        return self._search(request, title)

    def _search(self, request: Request, title: object) -> Response:
        serializer = MovieSearchInputSerializer(data={"title": title})
        serializer.is_valid(raise_exception=True)
        movies = selectors.movie_search(title=serializer.validated_data["title"])
        return paginated_response(
            items=movies,
            request=request,
            serialize=selectors.movie_summary_page,
            paginator=self.pagination_class(),
        )


@extend_schema_view(
    get=extend_schema(
        operation_id="user_movies_rated_own_list", summary="List the movies you rated"
    )
)
class OwnRatedMoviesView(RatedMoviesPageView):
    def get_queryset(self) -> QuerySet[Any]:
        return selectors.rated_movie_rows(user=self.request.user)


@extend_schema_view(
    get=extend_schema(
        summary="List another user's rated movies",
        responses={
            200: RatedMovieOutputSerializer(many=True),
            403: OpenApiResponse(
                MessageOutputSerializer, description="That user is private and not your friend"
            ),
            404: OpenApiResponse(MessageOutputSerializer, description="Not found"),
        },
    )
)
class UserRatedMoviesView(RatedMoviesPageView):
    """Another user's rated movies: 404 unknown user, 403 when not visible to the caller."""

    def get_queryset(self) -> QuerySet[Any]:
        user = selectors.user_get_visible(user_id=self.kwargs["user_id"], viewer=self.request.user)
        return selectors.rated_movie_rows(user=user)


class FeedLimitPagination(ArrayLimitOffsetPagination):
    """Only `limit` is read for the feed (default 20, clamped to 100; bad values 400)."""

    default_limit = 20
    max_limit = 100


class FeedView(APIView):
    """Friends' ratings and comments, newest first, paged by cursor (`before`)."""

    @staticmethod
    def read_with_authentication(user_id: object) -> tuple[str, ...]:
        """The feed stamps, read in the round trip that authenticates (accounts.auth)."""
        return feed_cache.stamp_keys(user_id)

    @extend_schema(
        summary="Friends' activity",
        parameters=[
            FeedInputSerializer,
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 0, "maximum": 10**12 - 1},
                required=False,
                allow_blank=True,
                description="How many (default 20; values above 100 are clamped).",
            ),
        ],
        responses={
            200: FeedItemOutputSerializer(many=True),
            400: OpenApiResponse(description="`before` is not a feed item id, or a bad `limit`"),
        },
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        limit = FeedLimitPagination().get_limit(request)
        params = FeedInputSerializer(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        items = feed.feed_list(
            user=request.user,
            before=params.validated_data.get("before"),
            limit=limit,
            stamps=values_read_with_authentication(request),
        )
        return Response(items)
