from django.http import HttpRequest, JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mcbackend.health import channel_layer_status, database_status, health_reporters


class HealthView(APIView):
    """For load balancers: 200 while the database answers, 503 when it does not."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        responses={
            (200, "application/json"): inline_serializer(
                "HealthOutput",
                {
                    "status": serializers.CharField(),
                    "database": serializers.CharField(),
                    "channel_layer": serializers.CharField(),
                    # Filled in by ml through mcbackend.health.health_reporters.
                    "model_version": serializers.CharField(allow_null=True),
                },
            )
        }
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
        return Response(body, status=200 if database == "ok" else 503)


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"message": "Resource not found"}, status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"message": "Internal server error"}, status=500)
