from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import AnonymousEndpointAuthentication, AuthenticatedRequest
from accounts.serializers import (
    DetailOutputSerializer,
    LoginInputSerializer,
    MessageOutputSerializer,
    ProfileOutputSerializer,
    RefreshInputSerializer,
    SignupInputSerializer,
    UserUpdateInputSerializer,
)
from accounts.services import (
    session_end,
    session_login,
    session_refresh,
    user_create,
    user_delete,
    user_update,
)
from accounts.tokens import clear_auth_cookies, session_tokens_for_user, set_auth_cookies
from mcbackend.throttling import SignupThrottle, client_address


class PublicAuthView(APIView):
    authentication_classes = [AnonymousEndpointAuthentication]
    permission_classes = [AllowAny]
    throttle_classes: list = []


def _signed_in(request: Request, user: object, body: dict, status_code: int) -> Response:
    access, refresh = session_tokens_for_user(user)  # type: ignore[arg-type]
    response = Response(body, status=status_code)
    set_auth_cookies(response, request, access=access, refresh=refresh)
    return response


class SignupView(PublicAuthView):
    throttle_classes = [SignupThrottle]

    @extend_schema(request=SignupInputSerializer, responses={201: DetailOutputSerializer}, auth=[])
    def post(self, request: Request) -> Response:
        serializer = SignupInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_create(**serializer.validated_data)
        return _signed_in(request, user, {"detail": "Account created."}, status.HTTP_201_CREATED)


class LoginView(PublicAuthView):
    """Failed logins are limited per username and per client address; successes do not count."""

    @extend_schema(
        request=LoginInputSerializer,
        responses={
            201: DetailOutputSerializer,
            401: OpenApiResponse(description="Bad credentials"),
            429: OpenApiResponse(description="Too many failed logins for the username or address"),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = LoginInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = session_login(
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
            client_address=client_address(request),
        )
        return _signed_in(request, user, {"detail": "Logged in."}, status.HTTP_201_CREATED)


class TokenRefreshView(PublicAuthView):
    @extend_schema(
        request=RefreshInputSerializer,
        responses={
            200: DetailOutputSerializer,
            401: OpenApiResponse(description="Missing, invalid, expired or used refresh token"),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        raw = request.COOKIES.get(settings.AUTH_COOKIE_REFRESH)
        if not raw:
            serializer = RefreshInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            raw = serializer.validated_data.get("refresh")
        if not raw:
            raise exceptions.NotAuthenticated("No refresh token.")
        access, refresh = session_refresh(raw_refresh=raw)
        response = Response({"detail": "Token refreshed."})
        set_auth_cookies(response, request, access=access, refresh=refresh)
        return response


class LogoutView(APIView):
    @extend_schema(request=None, responses={200: DetailOutputSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        session_end(
            user=request.user, raw_refresh=request.COOKIES.get(settings.AUTH_COOKIE_REFRESH)
        )
        response = Response({"detail": "Logged out."})
        clear_auth_cookies(response)
        return response


class UserDeleteView(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request: AuthenticatedRequest) -> Response:
        user_delete(user=request.user)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_auth_cookies(response)
        return response


class ProfileView(APIView):
    @extend_schema(responses={200: ProfileOutputSerializer})
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(ProfileOutputSerializer(request.user).data)


class UserUpdateView(APIView):
    """PUT and PATCH both take any subset of the fields."""

    @extend_schema(request=UserUpdateInputSerializer, responses={200: MessageOutputSerializer})
    def put(self, request: AuthenticatedRequest) -> Response:
        serializer = UserUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password_changed = user_update(user=request.user, data=serializer.validated_data)
        if password_changed:  # every other session ended; this one continues with new tokens
            return _signed_in(request, request.user, {"message": "Profile updated."}, 200)
        return Response({"message": "Profile updated."})

    @extend_schema(request=UserUpdateInputSerializer, responses={200: MessageOutputSerializer})
    def patch(self, request: AuthenticatedRequest) -> Response:
        return self.put(request)
