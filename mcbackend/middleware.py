"""Every /api/ path answers JSON, whatever the settings."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse


class ApiJsonNotFoundMiddleware:
    """With DEBUG on (the embedded default), Django answers an unmatched URL with its HTML
    technical 404 and never calls `handler404`; API clients get our JSON 404 instead."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.path_info.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return JsonResponse({"message": "Resource not found"}, status=404)
        return response
