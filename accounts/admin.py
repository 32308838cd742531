from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import User
from accounts.services import (
    USER_ROW_FIELDS,
    session_login,
    user_admin_update,
    user_delete,
    user_password_replace,
)
from mcbackend.exceptions import AuthenticationError, NotFoundError, RateLimitError
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
                    # The admin login view always passes its request (only its META is read).
                    client_address=client_address(self.request),  # type: ignore[arg-type]
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


class SessionEndingPasswordChangeForm(AdminPasswordChangeForm):
    """Writes the new hash (or an unusable one) and a new auth generation by one UPDATE: the
    user's old sessions end, and no other column is rewritten from this form's copy."""

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        if commit:
            try:
                user_password_replace(user=user, password_hash=user.password)
            except NotFoundError as exc:
                raise Http404("User not found") from exc
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    change_password_form = SessionEndingPasswordChangeForm
    list_display = ("username", "email", "is_private", "is_active", "date_joined")
    search_fields = ("username", "email")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Profile", {"fields": ("birth_date", "bio", "is_private", "movielens_id")}),
    )

    # Deletion goes through the service, which keeps movie rating aggregates exact and closes
    # the user's sockets; the admin's default would only cascade in the database. Whoever may
    # delete a user may delete what the user owns, whatever the other admins allow one by one
    # (RatingAdmin refuses direct deletes, which used to block every user deletion).
    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, Any, set, Any]:
        deleted, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, set(), protected

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm]:
        # Each field posts the value it was shown with, so `changed_data` is what this moderator
        # edited, not every field someone else changed since the form was opened. (Not the
        # read-only password hash: disabled, it never changes, and must not sit in the page.)
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            for field in form.base_fields.values():
                if not field.disabled:
                    field.show_hidden_initial = True
        return form

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        """A new user is one INSERT; an edit writes only the changed columns (see the service)."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        try:
            user_admin_update(
                user=obj, fields=[f for f in form.changed_data if f in USER_ROW_FIELDS]
            )
        except NotFoundError as exc:
            raise Http404("User not found") from exc

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        user_delete(user=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset.order_by("pk"):
            user_delete(user=user)
