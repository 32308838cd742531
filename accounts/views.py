from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import Token

from accounts.auth import AnonymousEndpointAuthentication, AuthenticatedRequest
from accounts.schema import REFRESH_COOKIE, set_cookie
from accounts.serializers import (
    DetailOutputSerializer,
    LoginInputSerializer,
    LogoutInputSerializer,
    MessageOutputSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetInputSerializer,
    ProfileOutputSerializer,
    RefreshInputSerializer,
    SignupInputSerializer,
    UserUpdateInputSerializer,
)
from accounts.services import (
    RESET_LINK_INVALID,
    password_reset_confirm,
    password_reset_request,
    session_end,
    session_login,
    session_refresh,
    user_create,
    user_delete,
    user_update,
)
from accounts.tokens import clear_auth_cookies, session_tokens_for_user, set_auth_cookies
from mcbackend.throttling import PasswordResetThrottle, SignupThrottle, client_address

RESET_REQUESTED = "If an account uses this email address, a reset link is on its way."
RESET_DONE = "Password changed. Sign in with the new password."


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

    @extend_schema(
        summary="Sign up (and sign in)",
        request=SignupInputSerializer,
        parameters=[set_cookie(201)],
        responses={201: DetailOutputSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = SignupInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_create(**serializer.validated_data)
        return _signed_in(request, user, {"detail": "Account created."}, status.HTTP_201_CREATED)


class LoginView(PublicAuthView):
    """Failed logins are limited per username and per client address; successes do not count."""

    @extend_schema(
        summary="Log in",
        request=LoginInputSerializer,
        parameters=[set_cookie(201)],
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
        summary="Renew the session's tokens",
        request={"application/json": RefreshInputSerializer},  # all optional: JSON only
        parameters=[REFRESH_COOKIE, set_cookie(200)],
        responses={
            200: DetailOutputSerializer,
            401: OpenApiResponse(description="Missing, invalid, expired or used refresh token"),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshInputSerializer(data=request.data)  # checked even beside a cookie
        serializer.is_valid(raise_exception=True)
        raw = request.COOKIES.get(settings.AUTH_COOKIE_REFRESH) or serializer.validated_data.get(
            "refresh"
        )
        if not raw:
            raise exceptions.NotAuthenticated("No refresh token.")
        access, refresh = session_refresh(raw_refresh=raw)
        response = Response({"detail": "Token refreshed."})
        set_auth_cookies(response, request, access=access, refresh=refresh)
        return response


class LogoutView(APIView):
    """Ends this session: its access token is refused at once, its refresh token (from the
    cookie, or `refresh` in the body for clients without cookies) is blacklisted, and no
    refresh token of the session renews it."""

    @extend_schema(
        summary="Log out",
        request={"application/json": LogoutInputSerializer},  # all optional: JSON only
        parameters=[REFRESH_COOKIE, set_cookie(200, clears=True)],
        responses={
            200: DetailOutputSerializer,
            400: OpenApiResponse(description="`refresh` is not a string"),
            401: OpenApiResponse(description="Not signed in, or the session has already ended"),
        },
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        # The body is checked even when the cookie names the session: a client sending a bad one
        # hears about it.
        serializer = LogoutInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        raw = request.COOKIES.get(settings.AUTH_COOKIE_REFRESH) or serializer.validated_data.get(
            "refresh"
        )
        access = request.auth if isinstance(request.auth, Token) else None
        session_end(user=request.user, access_token=access, raw_refresh=raw)
        response = Response({"detail": "Logged out."})
        clear_auth_cookies(response)
        return response


class UserDeleteView(APIView):
    @extend_schema(
        summary="Delete your account and everything you own",
        request=None,
        parameters=[set_cookie(204, clears=True)],
        responses={204: None},
    )
    def delete(self, request: AuthenticatedRequest) -> Response:
        user_delete(user=request.user)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_auth_cookies(response)
        return response


class ProfileView(APIView):
    @extend_schema(summary="Your profile", responses={200: ProfileOutputSerializer})
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(ProfileOutputSerializer(request.user).data)


PASSWORD_CHANGE_COOKIES = OpenApiParameter(
    "Set-Cookie",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=[200],
    required=False,
    description="Only when the password changed: new `access_token` and `refresh_token` "
    "cookies for this session (every other session has ended).",
)


class UserUpdateView(APIView):
    """PUT and PATCH both take any subset of the fields."""

    @extend_schema(
        summary="Update your profile (any subset of the fields)",
        request=UserUpdateInputSerializer,
        parameters=[PASSWORD_CHANGE_COOKIES],
        responses={200: MessageOutputSerializer},
    )
    def put(self, request: AuthenticatedRequest) -> Response:
        serializer = UserUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password_changed = user_update(user=request.user, data=serializer.validated_data)
        if password_changed:  # every other session ended; this one continues with new tokens
            return _signed_in(request, request.user, {"message": "Profile updated."}, 200)
        return Response({"message": "Profile updated."})

    @extend_schema(
        summary="Update your profile (any subset of the fields)",
        request=UserUpdateInputSerializer,
        parameters=[PASSWORD_CHANGE_COOKIES],
        responses={200: MessageOutputSerializer},
    )
    def patch(self, request: AuthenticatedRequest) -> Response:
        return self.put(request)


class PasswordResetView(PublicAuthView):
    throttle_classes = [PasswordResetThrottle]

    @extend_schema(
        summary="Ask for a password reset link by email",
        description=(
            "Mails `<FRONTEND_URL>/reset-password?uid=<uid>&token=<token>` to the account with "
            "this address (case-insensitive). The answer is the same, in similar time, for an "
            "unknown address, past the per-email limit (`THROTTLE_PASSWORD_RESET_EMAIL`: no mail "
            "is sent) and when the mail server fails. Limited per client address "
            "(`THROTTLE_PASSWORD_RESET_ADDRESS`, 429)."
        ),
        request=PasswordResetInputSerializer,
        responses={
            202: OpenApiResponse(
                DetailOutputSerializer,
                description="Accepted; a link is mailed if an active account uses the address",
                examples=[OpenApiExample("accepted", value={"detail": RESET_REQUESTED})],
            ),
            400: OpenApiResponse(description="Missing or malformed `email` (field errors)"),
            429: OpenApiResponse(description="Too many reset requests from this client address"),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordResetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password_reset_request(email=serializer.validated_data["email"])
        return Response({"detail": RESET_REQUESTED}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(PublicAuthView):
    @extend_schema(
        summary="Set a new password with a reset link",
        description=(
            "Takes `uid` and `token` from the mailed link. The token works once and for "
            "`PASSWORD_RESET_TIMEOUT` seconds (default 3600); a refused weak password does not "
            "use it up. Confirming ends every session of the user, as a password change does, and "
            "closes their sockets with 4401. It does not sign in: the client logs in next."
        ),
        request=PasswordResetConfirmInputSerializer,
        responses={
            200: OpenApiResponse(
                DetailOutputSerializer,
                description="Password changed; every session of the user has ended",
                examples=[OpenApiExample("reset", value={"detail": RESET_DONE})],
            ),
            400: OpenApiResponse(
                description=(
                    f'Field errors: `{{"token": ["{RESET_LINK_INVALID}"]}}` for an invalid, used '
                    'or expired link (uid or token); `{"password": [...]}` for a password '
                    "Django's validators refuse; or missing fields"
                ),
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordResetConfirmInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password_reset_confirm(**serializer.validated_data)
        return Response({"detail": RESET_DONE})
