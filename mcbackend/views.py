from django.http import HttpRequest, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mcbackend.api import DATABASE_RETRY_AFTER
from mcbackend.health import channel_layer_status, database_status, health_reporters

HEALTH = inline_serializer(
    "HealthOutput",
    {
        "status": serializers.ChoiceField(["ok", "unavailable"]),
        "database": serializers.ChoiceField(["ok", "unreachable"]),
        "channel_layer": serializers.ChoiceField(["ok", "degraded"]),
        # Filled in by ml through mcbackend.health.health_reporters.
        "model_version": serializers.CharField(allow_null=True),
    },
)


class HealthView(APIView):
    """For load balancers: 200 while the database answers, 503 when it does not."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        summary="Health check",
        parameters=[
            OpenApiParameter(
                "Retry-After",
                OpenApiTypes.INT,
                location=OpenApiParameter.HEADER,
                response=[503],
                required=True,
                description="Seconds to wait before asking again.",
            )
        ],
        responses={
            200: HEALTH,
            503: OpenApiResponse(HEALTH, description="The database cannot be reached"),
        },
    )
    def get(self, request: Request) -> Response:
        database = database_status()
        body = {
            "status": "ok" if database == "ok" else "unavailable",
            "database": database,
            "channel_layer": channel_layer_status(),
        }
        for fields in health_reporters.send():  # model_version, from ml
            body.update(fields)
        if database == "ok":
            return Response(body)
        return Response(body, status=503, headers={"Retry-After": str(DATABASE_RETRY_AFTER)})


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"message": "Resource not found"}, status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"message": "Internal server error"}, status=500)
