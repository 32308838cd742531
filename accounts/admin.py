from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from accounts.models import User
from accounts.services import session_login, user_delete
from mcbackend.exceptions import AuthenticationError, RateLimitError
from mcbackend.throttling import client_address


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin login checks passwords through session_login, so it spends the same
    failed-login budget (per username and per address) as POST /api/token/."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = session_login(
                    username=username,
                    password=password,
                    client_address=client_address(self.request),
                )
            except AuthenticationError:
                raise self.get_invalid_login_error() from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


admin.site.login_form = ThrottledAdminAuthenticationForm


def admin_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """/admin/login/: past the failed-login limit, 429 with Retry-After, as the API answers."""
    try:
        return admin.site.login(request, extra_context)
    except RateLimitError as exc:
        response = HttpResponse(
            "Too many failed logins. Try again later.\n", status=429, content_type="text/plain"
        )
        response["Retry-After"] = str(exc.wait)
        return response


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "is_private", "is_active", "date_joined")
    search_fields = ("username", "email")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Profile", {"fields": ("birth_date", "bio", "is_private", "movielens_id")}),
    )

    # Deletion goes through the service, which keeps movie rating aggregates exact and closes
    # the user's sockets; the admin's default would only cascade in the database. Whoever may
    # delete a user may delete what the user owns, whatever the other admins allow one by one
    # (RatingAdmin refuses direct deletes, which used to block every user deletion).
    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, Any, set, Any]:
        deleted, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, set(), protected

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        user_delete(user=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset.order_by("pk"):
            user_delete(user=user)
