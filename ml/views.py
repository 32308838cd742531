"""The recommender's endpoints: a user's recommendations and a movie's similar movies."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mcbackend.api import ArrayLimitOffsetPagination
from ml import selectors
from movies.serializers import MovieSummaryOutputSerializer

SIMILAR_COUNT = 10


class MovieSimilarView(APIView):
    @extend_schema(
        summary="The movies most similar to a movie",
        responses={200: MovieSummaryOutputSerializer(many=True)},
    )
    def get(self, request: Request, movie_id: int) -> Response:
        return Response(selectors.similar_movies(movie_id=movie_id, limit=SIMILAR_COUNT))


class RecommendationLimitPagination(ArrayLimitOffsetPagination):
    """Only `limit` (default 20, clamped to 100; bad values 400) is read for recommendations."""

    default_limit = 20
    max_limit = 100


class RecommendedMoviesView(APIView):
    """The caller's recommendations, best first; never a movie they rated."""

    @extend_schema(
        summary="Your recommendations, best first",
        parameters=[
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 0, "maximum": 10**12 - 1},
                required=False,
                allow_blank=True,
                description="How many (default 20; values above 100 are clamped).",
            )
        ],
        responses={200: MovieSummaryOutputSerializer(many=True), 400: OpenApiResponse()},
    )
    def get(self, request: Request) -> Response:
        limit = RecommendationLimitPagination().get_limit(request)
        return Response(selectors.recommendation_list_for_user(user=request.user, limit=limit))
